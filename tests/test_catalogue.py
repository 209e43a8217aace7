"""The example catalogue and the query page's cells (kg/catalogue.py), and the page itself in-process."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

import pytest

from kg import catalogue
from kg.web.pages import example_queries

from .test_pages import client  # noqa: F401 - the module's in-process server

#: The topics issue 13 asks the catalogue to cover, by file name.
TOPICS = ("figures", "children-to-russia", "disagreements", "inferred-dates", "unattributed", "person-events",
          "icc", "provenance", "actors-by-type", "documents", "events-timeline", "findings")


def test_every_topic_has_a_titled_described_example():
    examples = {e.name: e for e in (catalogue.example(n, t) for n, t in example_queries())}
    assert len(examples) >= 12 and set(TOPICS) <= set(examples)
    for e in examples.values():
        assert e.title and len(e.title) <= 100, e.name
    assert all(examples[name].description for name in TOPICS)


def test_example_title_and_description():
    e = catalogue.example("x", "# Actors by type\n# Every agent,\n# grouped.\n#   col  a column\nSELECT * {}")
    assert (e.title, e.description) == ("Actors by type", "Every agent, grouped.")
    assert e.run_href.startswith("/?query=%23+Actors")


@pytest.mark.parametrize(("text", "variables", "order"), [
    ("SELECT * WHERE { ?s ?p ?o }", ["o", "p", "s"], ["s", "p", "o"]),
    ("select distinct * { ?b <x:a> '?z' . ?a ?b ?c } # ?c first in a comment", ["a", "b", "c"], ["b", "a", "c"]),
    ("SELECT ?o ?s WHERE { ?s ?p ?o }", ["o", "s"], ["o", "s"]),
])
def test_star_order(text, variables, order):
    assert catalogue.star_order(text, variables) == order


def test_raw_terms():
    assert catalogue.raw({"type": "uri", "value": "http://x/a"}) == "<http://x/a>"
    assert catalogue.raw({"type": "literal", "value": "en", "xml:lang": "en"}) == '"en"@en'
    assert catalogue.raw({"type": "literal", "value": "1", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}
                         ) == '"1"^^<http://www.w3.org/2001/XMLSchema#integer>'
    assert catalogue.raw({"type": "literal", "value": 'a"b'}) == '"a\\"b"'


def test_query_page_lists_the_catalogue(client):  # noqa: F811
    page = client.get("/").text
    assert page.count("<dt>") >= 12 and "What the ICC did and when" in page


def test_results_show_labels_with_the_raw_term_on_hover(client):  # noqa: F811
    query = ("SELECT * WHERE { kgr:claim-19546-children-deported-russia kg:attributedTo ?who ; kg:value ?v ;"
             " rdfs:label ?l }")
    page = client.get("/?query=" + quote(query)).text
    header = re.findall(r"<th>(\w+)</th>", page)
    assert header == ["who", "v", "l"]  # the query's order, not the engine's
    assert ">Ukraine</a>" in page and 'title="&lt;https://w3id.org/ua-children-kg/id/state-ua&gt;"' in page
    cells = re.sub(r'title="[^"]*"', "", page)
    assert "^^" not in cells and "@en" not in cells
    downloads = re.findall(r'href="(/sparql\?[^"]+)" download', page)
    assert [d.rsplit("format=", 1)[1] for d in downloads] == ["csv", "tsv", "json"]
    for link in downloads:
        answer = client.get(link.replace("&amp;", "&"))
        assert answer.status_code == 200 and "19546" in answer.text
    permalink = re.search(r'class="permalink" type="text" readonly value="([^"]+)"', page)[1]
    assert unquote(permalink.replace("+", " ")).endswith(query)
