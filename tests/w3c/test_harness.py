"""The harness's own rules, checked on small hand-made cases: a comparison that could not fail would make every
W3C verdict above meaningless."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from .harness import EMPTY_DEFAULT, check_response, with_base, with_from
from .manifest import HttpRequest
from .results import (
    OrderBy,
    Solutions,
    bnode,
    compare_results,
    has_dataset_clause,
    literal,
    number_value,
    order_by,
    parse_csv,
    parse_tsv,
    uri,
)

XSD = "http://www.w3.org/2001/XMLSchema#"


def table(*rows: dict[str, tuple[str, ...]]) -> Solutions:
    return Solutions(("x", "y"), list(rows))


def test_literals_compare_as_rdf_terms() -> None:
    assert literal("a") == literal("a", XSD + "string")  # RDF 1.1: a simple literal is an xsd:string
    assert literal("a", language="EN") == literal("a", language="en")
    assert compare_results(table({"x": literal("01", XSD + "integer")}), table({"x": literal("1", XSD + "integer")}))
    assert compare_results(table({"x": literal("1", XSD + "integer")}), table({"x": literal("1", XSD + "decimal")}))
    assert compare_results(table({"x": literal("a")}), table({"x": literal("a", language="en")}))


def test_solutions_are_multisets_with_a_blank_node_bijection() -> None:
    expected = table({"x": bnode("a"), "y": bnode("a")}, {"x": bnode("b"), "y": uri("u")})
    swapped = table({"x": bnode("q"), "y": uri("u")}, {"x": bnode("p"), "y": bnode("p")})
    assert compare_results(expected, swapped) is None
    # One expected node cannot stand for two actual nodes, nor two expected nodes for one.
    assert compare_results(expected, table({"x": bnode("p"), "y": bnode("r")}, {"x": bnode("q"), "y": uri("u")}))
    assert compare_results(expected, table({"x": bnode("p"), "y": bnode("p")}, {"x": bnode("p"), "y": uri("u")}))
    # Duplicates count.
    one = table({"x": uri("u")})
    assert compare_results(one, table({"x": uri("u")}, {"x": uri("u")}))
    # Unbound is not a value.
    assert compare_results(table({"x": uri("u")}), table({"x": uri("u"), "y": uri("v")}))
    assert compare_results(Solutions(("x",), []), Solutions(("x", "y"), []))
    assert compare_results(True, False) and compare_results(True, one) and compare_results(True, True) is None


def test_order_matters_only_as_order_by_decides() -> None:
    a, b, c = ({"x": literal(n, XSD + "integer"), "y": uri(u)} for n, u in (("1", "a"), ("1", "b"), ("2", "c")))
    assert compare_results(table(a, b, c), table(c, b, a)) is None
    assert compare_results(table(a, b, c), table(b, a, c), OrderBy(("x",))) is None  # a and b tie on ?x
    assert compare_results(table(a, b, c), table(c, a, b), OrderBy(("x",)))
    assert compare_results(table(a, b, c), table(b, a, c), OrderBy(None))  # expression keys: row by row


def test_order_by_reads_only_the_top_level_clause() -> None:
    assert order_by("SELECT * { ?s ?p ?o }") is None
    assert order_by("SELECT * { { SELECT ?s { ?s ?p ?o } ORDER BY ?s LIMIT 1 } }") is None
    assert order_by('SELECT * { ?s ?p "ORDER BY ?s" } # ORDER BY ?o') is None
    assert order_by("SELECT * { ?s ?p ?o } ORDER BY ?s DESC(?o) LIMIT 3") == OrderBy(("s", "o"))
    assert order_by("SELECT * { ?s ?p ?o } order by str(?o)") == OrderBy(None)


def test_numbers_by_value_only_relaxes_the_spelling() -> None:
    assert number_value(literal("2.0", XSD + "decimal")) == number_value(literal("2", XSD + "decimal"))
    assert number_value(literal("3.21E4", XSD + "double")) == number_value(literal("32100", XSD + "double"))
    assert number_value(literal("2", XSD + "decimal")) != number_value(literal("2", XSD + "integer"))
    assert number_value(literal("2.5", XSD + "decimal")) != number_value(literal("2", XSD + "decimal"))
    assert number_value(literal("2.0")) == literal("2.0")


def test_dataset_clauses() -> None:
    assert has_dataset_clause("SELECT * FROM <g> { }")
    assert not has_dataset_clause("SELECT ?from { ?from ex:from <from> } # FROM")
    for query, expected in [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT *  FROM <g> WHERE { ?s ?p ?o }"),
        ("SELECT (EXISTS { ?a ?b ?c } AS ?e) { }", "SELECT (EXISTS { ?a ?b ?c } AS ?e)  FROM <g> { }"),
        ("PREFIX s: <x:> CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
         "PREFIX s: <x:> CONSTRUCT { ?s ?p ?o } FROM <g>  WHERE { ?s ?p ?o }"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT  FROM <g> WHERE { ?s ?p ?o }"),
        ("ASK{}", "ASK FROM <g> {}"),
    ]:
        assert with_from(query, ["g"]) == expected
    assert with_base("BASE <a:> ASK {}", "q:") == "BASE <a:> ASK {}"
    assert with_base("ASK {}", "q:").startswith("BASE <q:>")
    assert EMPTY_DEFAULT.startswith("urn:")


def test_csv_and_tsv_readers() -> None:
    csv = parse_csv('x,y\r\n_:b,"a,b"\r\n\r\n')
    assert csv.variables == ("x", "y")
    assert csv.rows == [{"x": bnode("b"), "y": ("string", "a,b")}, {}]
    tsv = parse_tsv('?x\t?y\n"a"@en\t1.5\n<http://u>\t\n')
    assert tsv.rows == [{"x": literal("a", language="en"), "y": literal("1.5", XSD + "decimal")}, {"x": uri("http://u")}]
    assert parse_tsv("\n\n").rows == [{}]


@pytest.mark.parametrize(("status", "body", "media", "problem"), [
    (200, b'{"head": {}, "boolean": true}', "application/sparql-results+json", None),
    (200, b'{"head": {}, "boolean": false}', "application/sparql-results+json", "expected boolean True"),
    (400, b"{}", "application/json", "expected status 2xx"),
    (200, b"true", "text/plain", "boolean result as 'text/plain'"),
])
def test_protocol_checks(status: int, body: bytes, media: str, problem: str | None) -> None:
    request = HttpRequest(method="GET", path="/sparql?query=ASK%7B%7D", headers=(), body=None,
                          expected_status=frozenset({"2xx", "3xx"}), expected_format="boolean", expected_boolean=True)
    response = httpx.Response(status, content=body, headers={"content-type": media})
    found = check_response(request, response)
    assert (found is None) if problem is None else (found is not None and found.startswith(problem))
