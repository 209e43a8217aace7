"""Every bundled example query (shown on the query page) parses and answers over the repository graph."""

from __future__ import annotations

import pytest

from kg.query import SelectResult, query
from kg.web.pages import example_queries

EXAMPLES = example_queries()


def test_figures_is_the_first_example():
    assert EXAMPLES[0][0] == "figures" and len(EXAMPLES) >= 4


@pytest.mark.parametrize(("name", "text"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_example_answers(inferred, name, text):
    result = query(inferred, text)  # over the graph as served by default: with the inferred triples
    assert isinstance(result, SelectResult)
    assert len(result.rows) > 0, name
    assert not result.truncated


def test_corrections_example_lists_the_kearns_fix(kg):
    text = dict(EXAMPLES)["corrections"]
    rows = [tuple(t.value for t in r) for r in query(kg, text).rows]
    assert any(r[1] == "Alicia Keynes" and r[2].startswith("Alicia Kearns") for r in rows)
