"""Content negotiation: a table of Accept headers and the format each must give (or 406)."""

from __future__ import annotations

import pytest

from kg.errors import NotAcceptable, UsageError
from kg.formats import by_name, formats_for, negotiate

RESULTS = formats_for("results")
GRAPH = formats_for("graph")


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "json"),
    ("", "json"),
    ("*/*", "json"),
    ("application/sparql-results+json", "json"),
    ("application/sparql-results+xml", "xml"),
    ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"),
    ("application/json", "json"),
    ("application/xml;q=0.9, text/csv", "csv"),
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.8", "xml"),
    ("text/*", "csv"),
    ("text/*;q=0.1, application/sparql-results+xml", "xml"),
    ("text/html, */*;q=0.1", "json"),
    ("application/sparql-results+json;q=0, */*", "xml"),
    ("TEXT/CSV", "csv"),
    ("text/csv; charset=utf-8", "csv"),
])
def test_results_negotiation(accept, expected):
    assert negotiate(accept, RESULTS).name == expected


@pytest.mark.parametrize(("accept", "expected"), [
    ("text/turtle", "turtle"),
    ("application/n-triples", "ntriples"),
    ("application/ld+json", "jsonld"),
    ("application/rdf+xml", "rdfxml"),
    ("application/rdf+xml;q=0.5, text/turtle;q=0.9", "turtle"),
    ("*/*", "turtle"),
])
def test_graph_negotiation(accept, expected):
    assert negotiate(accept, GRAPH).name == expected


@pytest.mark.parametrize("accept", ["image/png", "text/html", "application/sparql-results+json;q=0",
                                    "text/csv;q=0, text/tab-separated-values;q=0, application/*;q=0"])
def test_nothing_fits_is_406(accept):
    with pytest.raises(NotAcceptable) as info:
        negotiate(accept, RESULTS)
    assert info.value.http_status == 406
    assert "available" in str(info.value)


def test_malformed_q_is_ignored_not_fatal():
    assert negotiate("text/csv;q=abc, application/sparql-results+xml", RESULTS).name == "xml"


def test_by_name_and_extension():
    assert by_name("ttl").name == "turtle"
    assert by_name("turtle", "graph").media_type == "text/turtle"
    with pytest.raises(UsageError, match="choose one of"):
        by_name("csv", "graph")
