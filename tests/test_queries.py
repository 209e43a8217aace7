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


def test_disagreements_come_in_an_order_the_query_promises(inferred):
    """``disagreements.rq`` answers the same rows in the same order on any conforming engine: one row per thing
    said, in an ORDER BY that leaves no ties, and no GROUP_CONCAT (whose order SPARQL leaves unspecified)."""
    from kg.compare import comparison, disagreements

    text = dict(EXAMPLES)["disagreements"]
    assert not any("GROUP_CONCAT" in line.upper() for line in text.splitlines() if not line.startswith("#"))
    result = query(inferred, text)
    assert isinstance(result, SelectResult)
    assert result.variables == ["indicator", "claims", "lowest", "highest", "value", "said"]
    rows = [tuple(t.value for t in row) for row in result.rows]
    key = [(-int(r[1]), r[0], float(r[4]), r[5]) for r in rows]
    assert key == sorted(key) and len(set(key)) == len(key)  # sorted, and by keys no two rows share
    values: dict[str, set[str]] = {}
    for indicator, _claims, lowest, highest, value, said in rows:
        assert float(lowest) <= float(value) <= float(highest) and f" {value} (" in said
        values.setdefault(indicator, set()).add(value)
    assert values == {d.indicator: set(d.values) for d in disagreements(comparison(inferred))}
