"""`kg.query`: the limits and refusals built into the query API."""

from __future__ import annotations

import pytest

from kg.errors import QueryRefused, QuerySyntaxError, UpdateRefused, UsageError
from kg.graph import graph_iri
from kg.query import AskResult, GraphResult, SelectResult, query, query_form, refuse_unsafe

from .conftest import KG, ROOT, typed


def test_select_over_union_of_named_graphs(kg, repo_graph):
    """The default graph is the union of the files: a count over it equals the count over every file."""
    result = query(kg, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a kg:QuantityClaim }")
    assert isinstance(result, SelectResult)
    assert int(result.rows[0][0].value) == len(typed(repo_graph, KG.QuantityClaim)) > 9


def test_default_graph_uri_selects_one_file(kg, settings):
    actors = graph_iri(ROOT / "data" / "actors.ttl", settings)
    result = query(kg, "SELECT (COUNT(*) AS ?n) WHERE { ?c a kg:QuantityClaim }", default_graph_uris=[actors])
    assert int(result.rows[0][0].value) == 0
    result = query(kg, "SELECT (COUNT(*) AS ?n) WHERE { ?s a kg:State }", default_graph_uris=[actors])
    assert int(result.rows[0][0].value) == 4


def test_from_unknown_graph_is_empty_and_never_fetched(kg):
    result = query(kg, "SELECT * FROM <http://127.0.0.1:9/nothing> WHERE { ?s ?p ?o }")
    assert result.rows == []


def test_named_graphs_are_the_files(kg):
    result = query(kg, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    names = {r[0].value for r in result.rows}
    assert {s.graph for s in kg.sources} == names


def test_row_cap_marks_truncated(kg):
    result = query(kg, "SELECT * WHERE { ?s ?p ?o }", max_rows=5)
    assert len(result.rows) == 5 and result.truncated
    small = query(kg, "SELECT * WHERE { ?s a kg:QuantityClaim }", max_rows=100)
    assert not small.truncated


def test_ask_and_construct(kg, repo_graph):
    assert isinstance(query(kg, "ASK { ?s a kg:Person }"), AskResult)
    graph = query(kg, "CONSTRUCT { ?s a kg:Person } WHERE { ?s a kg:Person }")
    assert isinstance(graph, GraphResult) and len(graph.triples) == len(typed(repo_graph, KG.Person)) >= 5


def test_syntax_error_carries_parser_message(kg):
    with pytest.raises(QuerySyntaxError, match="malformed query"):
        query(kg, "SELECT ?x WHERE { ?x ")


@pytest.mark.parametrize("text", [
    "INSERT DATA { <http://a> <http://b> <http://c> }",
    "PREFIX ex: <http://e/> DELETE WHERE { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:9/x>",
    "DROP ALL",
])
def test_updates_are_refused(kg, text):
    with pytest.raises(UpdateRefused) as info:
        query(kg, text)
    assert info.value.http_status == 403


@pytest.mark.parametrize("clause", [
    "SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o }",
    "SERVICE<http://127.0.0.1:9/sparql>{ ?s ?p ?o }",
    "SERVICE SILENT<http://127.0.0.1:9/sparql> { ?s ?p ?o }",
    "service\n# a comment\n<http://127.0.0.1:9/sparql> { ?s ?p ?o }",
    "SERVICE ?endpoint { ?s ?p ?o }",
    "SERVICE kgr:endpoint { ?s ?p ?o }",
])
def test_service_is_refused_however_it_is_written(kg, clause):
    with pytest.raises(QueryRefused, match="KG_SERVICE_ALLOWLIST"):
        query(kg, f"SELECT * WHERE {{ {clause} }}")


@pytest.mark.parametrize("text", [
    "SELECT ?s WHERE { ?s a <http://schema.org/Service> }",
    "SELECT ?s WHERE { ?s a <http://www.w3.org/ns/sparql-service-description#Service> }",
    "SELECT ?s WHERE { ?s ?p <https://example.org/service/x> }",
    "PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> SELECT ?s WHERE { ?s a sd:Service }",
])
def test_service_in_an_iri_or_a_name_is_no_service_call(kg, text):
    """Found by the hostile-traffic review: a legal read-only query naming an IRI with "service" in it got 403."""
    refuse_unsafe(text)
    assert isinstance(query(kg, text), SelectResult)


def test_allowed_service_passes_the_check():
    refuse_unsafe("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
                  service_allowlist=["http://127.0.0.1:9/sparql"])


def test_invalid_graph_iri_is_a_usage_error(kg):
    with pytest.raises(UsageError, match="not a valid IRI"):
        query(kg, "ASK {}", default_graph_uris=["not an iri"])


def test_keywords_inside_strings_and_iris_do_not_count(kg):
    text = 'SELECT ?s WHERE { ?s rdfs:label "INSERT SERVICE <x> DROP" . FILTER(?s != <http://e/DELETE>) } # LOAD'
    assert query_form(text) == "SELECT"
    assert isinstance(query(kg, text), SelectResult)
