"""The HTTP shell through FastAPI's TestClient: protocol, negotiation, dumps, entity pages, VoID, pages."""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.parse

import pyoxigraph as ox
import pytest
import rdflib
import rdflib.compare
from fastapi.testclient import TestClient

from kg.cli import main
from kg.figures import figures
from kg.settings import Settings
from kg.web import create_app

from .conftest import KG, ROOT, source_files, typed

KGR = "https://w3id.org/ua-children-kg/id/"
CLAIM = "claim-19546-children-deported-russia"
FIGURES_Q = (ROOT / "kg" / "queries" / "figures.rq").read_text()


@pytest.fixture(scope="module")
def client():
    app = create_app(Settings(root=ROOT, workers=1))
    with TestClient(app) as c:
        yield c


def sparql_json(client: TestClient, query: str, **params: str) -> dict:
    response = client.get("/sparql", params={"query": query, **params},
                          headers={"accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return response.json()


# --- the protocol -------------------------------------------------------------------------------------------

def test_get_select_json_default(client, repo_graph):
    response = client.get("/sparql", params={"query": "SELECT ?v WHERE { ?c kg:value ?v } ORDER BY ?v"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    values = [int(b["v"]["value"]) for b in response.json()["results"]["bindings"]]
    assert values == sorted(values) and 19546 in values
    assert len(values) == len(list(repo_graph.triples((None, KG.value, None))))


@pytest.mark.parametrize(("accept", "media", "marker"), [
    ("application/sparql-results+xml", "application/sparql-results+xml", "<sparql"),
    ("text/csv", "text/csv", "v\r\n"),
    ("text/tab-separated-values", "text/tab-separated-values", "?v\n"),
    ("application/json", "application/sparql-results+json", '"bindings"'),
    ("text/csv;q=0.2, application/sparql-results+xml;q=0.9", "application/sparql-results+xml", "<sparql"),
])
def test_select_formats_by_accept(client, accept, media, marker):
    response = client.get("/sparql", params={"query": "SELECT ?v WHERE { ?c kg:value ?v }"},
                          headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert marker in response.text


def test_format_parameter_overrides_accept(client):
    response = client.get("/sparql", params={"query": "SELECT ?v WHERE { ?c kg:value ?v }", "format": "csv"},
                          headers={"accept": "application/sparql-results+xml"})
    assert response.headers["content-type"].startswith("text/csv")


def test_post_form_and_direct(client):
    q = "ASK { kgr:state-ua a kg:State }"
    form = client.post("/sparql", data={"query": q})
    direct = client.post("/sparql", content=q, headers={"content-type": "application/sparql-query"})
    assert form.json() == direct.json() == {"head": {}, "boolean": True}


def test_default_and_named_graph_uri(client, repo_graph):
    actors = "https://w3id.org/ua-children-kg/graph/data/actors.ttl"
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?c a kg:QuantityClaim }"
    assert sparql_json(client, q)["results"]["bindings"][0]["n"]["value"] == str(len(typed(repo_graph,
                                                                                       KG.QuantityClaim)))
    only_actors = client.get("/sparql", params={"query": q, "default-graph-uri": actors}).json()
    assert only_actors["results"]["bindings"][0]["n"]["value"] == "0"
    named = client.get("/sparql", params=[("query", "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"),
                                          ("named-graph-uri", actors)]).json()
    assert [b["g"]["value"] for b in named["results"]["bindings"]] == [actors]


@pytest.mark.parametrize(("accept", "fmt"), [
    ("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", ox.RdfFormat.JSON_LD), ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("application/n-quads", ox.RdfFormat.N_QUADS), ("application/trig", ox.RdfFormat.TRIG),
])
def test_construct_formats(client, accept, fmt):
    q = f"CONSTRUCT {{ kgr:{CLAIM} ?p ?o }} WHERE {{ kgr:{CLAIM} ?p ?o }}"
    response = client.get("/sparql", params={"query": q}, headers={"accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(accept)
    items = list(ox.parse(response.content, fmt))
    assert any(getattr(i, "predicate", None) == ox.NamedNode(
        "https://w3id.org/ua-children-kg/ontology#value") for i in items)


def test_describe(client):
    response = client.get("/sparql", params={"query": f"DESCRIBE kgr:{CLAIM}"}, headers={"accept": "text/turtle"})
    assert response.status_code == 200
    assert "19546" in response.text


def test_service_description(client):
    response = client.get("/sparql", headers={"accept": "text/turtle"})
    assert response.status_code == 200
    g = rdflib.Graph().parse(data=response.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (None, sd.endpoint, rdflib.URIRef("http://testserver/sparql")) in g
    assert (None, sd.feature, sd.UnionDefaultGraph) in g
    assert len(list(g.objects(None, sd.name))) == len(source_files()) + 1  # and the inferred graph


def test_browser_without_query_is_sent_to_the_query_page(client):
    response = client.get("/sparql", headers={"accept": "text/html,*/*;q=0.8"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"


# --- the one error shape, on every error path ---------------------------------------------------------------

ERROR_CASES = [
    ("GET", "/sparql", {"params": {"query": "SELECT ?x WHERE {"}}, 400, "malformed query"),
    ("GET", "/sparql", {"params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400, "more than one query"),
    ("GET", "/sparql", {"params": {"query": "ASK {}"}, "headers": {"accept": "image/png"}}, 406, "no representation"),
    ("GET", "/sparql", {"params": {"query": "ASK {}", "format": "turtle"}}, 406, "does not fit"),
    ("GET", "/sparql", {"params": {"query": "ASK {}", "format": "yaml"}}, 400, "unknown format"),
    ("POST", "/sparql", {"content": "ASK {}", "headers": {"content-type": "text/plain"}}, 415, "Content-Type"),
    ("POST", "/sparql", {"content": "ASK {}"}, 415, "Content-Type"),
    ("POST", "/sparql", {"content": "ASK {}".encode("utf-16"),
                         "headers": {"content-type": "application/sparql-query; charset=UTF-16"}}, 415, "UTF-8"),
    ("POST", "/sparql", {"content": b"ASK {\xff}", "headers": {"content-type": "application/sparql-query"}},
     400, "not valid UTF-8"),
    ("POST", "/sparql", {"data": {"update": "DROP ALL"}}, 403, "read-only"),
    ("POST", "/sparql", {"content": "DROP ALL", "headers": {"content-type": "application/sparql-update"}},
     403, "read-only"),
    ("POST", "/sparql", {"data": {"query": "INSERT DATA { <http://a> <http://b> <http://c> }"}}, 403, "read-only"),
    ("GET", "/sparql", {"params": {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}},
     403, "KG_SERVICE_ALLOWLIST"),
    ("POST", "/sparql", {"content": b"default-graph-uri=urn%3Ax",
                         "headers": {"content-type": "application/x-www-form-urlencoded"}}, 400, "missing query"),
    ("POST", "/sparql", {"content": "x" * 1_000_001, "headers": {"content-type": "application/sparql-query"}},
     413, "KG_MAX_BODY_BYTES"),
    ("PUT", "/sparql", {}, 405, "Method Not Allowed"),
    ("GET", "/no/such/route", {}, 404, "Not Found"),
    ("GET", "/id/no-such-entity", {}, 404, "nothing is known"),
    ("GET", "/id/no-such-entity", {"headers": {"accept": "text/turtle"}}, 404, "nothing is known"),
    ("GET", "/id/" + CLAIM, {"headers": {"accept": "image/png"}}, 406, "no representation"),
    ("GET", "/dump.xyz", {}, 404, "no dump"),
    ("GET", "/dump", {"headers": {"accept": "image/png"}}, 406, "no representation"),
    ("GET", "/figures.xml", {}, 404, "no figures"),
    ("GET", "/ontology.xyz", {}, 404, "no ontology"),
    ("GET", "/ontology/9.9.9", {}, 404, "no ontology version"),
    ("GET", "/queries/nothing.rq", {}, 404, "no bundled query"),
    ("GET", "/id/a%20b", {}, 404, "nothing is known"),
    ("GET", "/id/a%20b", {"headers": {"accept": "text/turtle"}}, 404, "nothing is known"),
    ("GET", "/sparql", {"params": {"query": "ASK {}", "default-graph-uri": "not an iri"}}, 400, "not a valid IRI"),
    ("GET", "/sparql", {"params": {"query": "DROP ALL"}, "headers": {"accept": "text/turtle"}}, 403, "read-only"),
    ("GET", "/sparql", {"params": {"query": "SELEC ?x"}, "headers": {"accept": "text/turtle"}}, 400, "malformed"),
    ("GET", "/sparql", {"params": {"query": "SELECT * WHERE { SERVICE<http://127.0.0.1:9/>{ ?s ?p ?o } }"}},
     403, "KG_SERVICE_ALLOWLIST"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "text"), ERROR_CASES,
                         ids=[f"{c[0]} {c[1]} {c[3]}" for c in ERROR_CASES])
def test_every_error_has_the_one_json_shape(client, method, path, kwargs, status, text):
    response = client.request(method, path, **kwargs)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["error"], str) and body["status"] == status
    assert text in body["error"]


def test_row_cap_marks_truncated():
    with TestClient(create_app(Settings(root=ROOT, workers=0, max_rows=3))) as capped:
        response = capped.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
        assert len(response.json()["results"]["bindings"]) == 3
        assert response.headers["kg-truncated"].startswith("true")
        small = capped.get("/sparql", params={"query": "SELECT * WHERE { kgr:state-ua a ?t } LIMIT 2"})
        assert "kg-truncated" not in small.headers


def _decimals_by_value(graph: rdflib.Graph) -> rdflib.Graph:
    out = rdflib.Graph()
    for s_, p, o in graph:
        if isinstance(o, rdflib.Literal) and o.datatype == rdflib.XSD.decimal:
            o = rdflib.Literal(format(o.toPython().normalize(), "f"), datatype=rdflib.XSD.decimal)
        out.add((s_, p, o))
    return out


# --- dumps --------------------------------------------------------------------------------------------------

def test_dump_turtle_is_the_whole_graph(client, repo_graph):
    response = client.get("/dump.ttl")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    dumped = rdflib.Graph().parse(data=response.text, format="turtle")
    # the source files, parsed by another parser; pyoxigraph writes decimals in canonical form ("1.0" as "1")
    assert rdflib.compare.isomorphic(_decimals_by_value(dumped), _decimals_by_value(repo_graph))


def test_dump_nquads_keeps_one_graph_per_file(client, kg):
    response = client.get("/dump", headers={"accept": "application/n-quads"})
    quads = list(ox.parse(response.content, ox.RdfFormat.N_QUADS))
    assert len(quads) == len(kg)
    assert {q.graph_name.value for q in quads} == set(kg.graph_names)


def test_dump_gzip_etag_and_conditional_requests(client):
    first = client.get("/dump.nt", headers={"accept-encoding": "gzip"})
    assert first.status_code == 200
    assert first.headers["content-encoding"] == "gzip"
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    plain = client.get("/dump.nt", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.headers["etag"] != etag
    assert first.content == plain.content  # the client decoded the gzip body
    assert int(first.headers["content-length"]) < int(plain.headers["content-length"]) / 3
    assert client.get("/dump.nt", headers={"accept-encoding": "gzip", "if-none-match": etag}).status_code == 304
    assert client.get("/dump.nt", headers={"if-modified-since": modified}).status_code == 304
    assert client.get("/dump.nt", headers={"if-none-match": '"other"'}).status_code == 200


def test_gzip_refused_with_q0_and_head_has_no_body(client):
    plain = client.get("/dump.nt", headers={"accept-encoding": "gzip;q=0.0, identity"})
    assert "content-encoding" not in plain.headers
    head = client.head("/dump.nt")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"]
    assert client.head(f"/id/{CLAIM}", headers={"accept": "text/turtle"}).status_code == 200


@pytest.mark.parametrize(("ext", "fmt"), [("ttl", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES),
                                          ("nq", ox.RdfFormat.N_QUADS), ("trig", ox.RdfFormat.TRIG),
                                          ("jsonld", ox.RdfFormat.JSON_LD)])
def test_every_dump_format_parses(client, ext, fmt):
    response = client.get(f"/dump.{ext}")
    assert response.status_code == 200
    assert len(list(ox.parse(response.content, fmt))) > 2000


# --- linked data --------------------------------------------------------------------------------------------

def test_entity_html_page(client):
    response = client.get(f"/id/{CLAIM}", headers={"accept": "text/html"})
    assert response.status_code == 200
    html = response.text
    assert "19,546 Ukrainian children illegally taken to Russia (Ukraine)" in html
    assert 'href="/id/state-ua"' in html  # linked neighbours resolve on this server
    assert "According to Ukraine, 19,546 children" in html  # the quote, via the span's selector
    actor = client.get("/id/person-maria-lvova-belova").text
    assert "claim-700000-children-received-russia" in actor and "made by this agent" in actor


@pytest.mark.parametrize(("accept", "suffix", "fmt"), [
    ("text/turtle", ".ttl", ox.RdfFormat.TURTLE), ("application/ld+json", ".jsonld", ox.RdfFormat.JSON_LD),
    ("application/n-triples", ".nt", ox.RdfFormat.N_TRIPLES)])
def test_entity_rdf_by_accept_and_extension(client, accept, suffix, fmt):
    by_accept = client.get(f"/id/{CLAIM}", headers={"accept": accept})
    by_ext = client.get(f"/id/{CLAIM}{suffix}")
    for response in (by_accept, by_ext):
        assert response.status_code == 200
        triples = list(ox.parse(response.content, fmt))
        subjects = {t.subject for t in triples}
        assert ox.NamedNode(KGR + CLAIM) in subjects
        assert any(isinstance(s, ox.BlankNode) for s in subjects)  # dates and selectors come along (CBD)


def test_ontology_html_and_turtle(client):
    html = client.get("/ontology", headers={"accept": "text/html"})
    assert html.status_code == 200 and "attributed to (claimant)" in html.text
    assert "<script src=\"http" not in html.text  # nothing loaded from a CDN
    ttl = client.get("/ontology", headers={"accept": "text/turtle"})
    g = rdflib.Graph().parse(data=ttl.text, format="turtle")
    assert (rdflib.URIRef("https://w3id.org/ua-children-kg/ontology"), rdflib.RDF.type, rdflib.OWL.Ontology) in g
    assert client.get("/ontology/0.1.0", headers={"accept": "text/turtle"}).status_code == 200


def test_void(client, kg):
    response = client.get("/.well-known/void", headers={"accept": "text/turtle"})
    assert response.status_code == 200
    g = rdflib.Graph().parse(data=response.text, format="turtle")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    ds = next(g.subjects(rdflib.RDF.type, void.Dataset))
    distinct = len({q.triple for q in kg.store.quads_for_pattern(None, None, None, None)})
    assert int(g.value(ds, void.triples)) == distinct
    assert g.value(ds, void.sparqlEndpoint) == rdflib.URIRef("http://testserver/sparql")
    assert rdflib.URIRef("http://testserver/dump.ttl") in set(g.objects(ds, void.dataDump))
    assert rdflib.URIRef(KGR + "doc-mindua-20265865") in set(g.objects(ds, rdflib.DCTERMS.source))
    assert rdflib.URIRef("http://www.w3.org/ns/oa#") in set(g.objects(ds, void.vocabulary))
    assert g.value(ds, rdflib.DCTERMS.license) is not None


def test_cors_on_read_only_routes(client):
    response = client.get("/sparql", params={"query": "ASK {}"}, headers={"origin": "http://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"
    preflight = client.options("/sparql", headers={"origin": "http://example.org",
                                                   "access-control-request-method": "POST"})
    assert preflight.status_code == 200


def test_openapi_describes_every_route(client):
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("/sparql", "/dump", "/dump.{extension}", "/id/{name}", "/.well-known/void", "/ontology",
                  "/figures", "/figures.{extension}", "/"):
        assert route in paths, route


# --- pages and prepared views -------------------------------------------------------------------------------

def test_figures_csv_equals_cli_output(client, capsys):
    response = client.get("/figures.csv")
    assert main(["figures", "--format", "csv"]) == 0
    assert response.text == capsys.readouterr().out
    records = client.get("/figures.json").json()
    assert [r["value"] for r in records] == [r["value"] for r in csv.DictReader(io.StringIO(response.text))]


def test_prepared_figures_equal_the_sparql_answer(client):
    """The view prepared at start-up is exactly what the figures query answers now."""
    prepared = client.get("/figures.json").json()
    answer = sparql_json(client, FIGURES_Q)
    rows = [{v: b.get(v, {}).get("value", "") for v in answer["head"]["vars"]} for b in answer["results"]["bindings"]]
    assert rows == prepared


def test_query_page_works_without_javascript(client, kg):
    page = client.get("/")
    assert page.status_code == 200 and "<form" in page.text and "<textarea" in page.text
    assert "SELECT ?claim ?value" in page.text  # the figures query is the default example
    ran = client.get("/?" + urllib.parse.urlencode({"query": FIGURES_Q}))
    assert ran.status_code == 200
    assert f"{len(figures(kg))} rows" in ran.text and "19546" in ran.text
    assert 'href="/id/claim-19546-children-deported-russia"' in ran.text
    # the one script is the vendored editor, an enhancement of the textarea (no inline or outside scripts)
    assert page.text.count("<script") == len(re.findall(
        r'<script src="/static/sparql-editor.js" defer nonce="[\w-]+"></script>', page.text))


def test_query_page_shows_errors_next_to_the_query(client):
    response = client.get("/", params={"query": "SELECT ?x WHERE {"}, headers={"accept": "text/html"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert 'id="error"' in response.text and "malformed query" in response.text
    assert "SELECT ?x WHERE {" in response.text  # the query stays in the form, to be fixed


@pytest.mark.parametrize("accept", ["application/json", "*/*", None])
def test_query_page_errors_are_json_unless_html_is_asked_for(client, accept):
    """Found by the hostile-traffic review: the query page answered its HTML to Accept: application/json."""
    response = client.get("/", params={"query": "SELECT ?x WHERE {"}, headers={"accept": accept} if accept else {})
    assert response.status_code == 400 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "status"} and body["status"] == 400 and "malformed query" in body["error"]


def test_bundled_query_is_served(client):
    response = client.get("/queries/figures.rq")
    assert response.status_code == 200 and response.text == FIGURES_Q


def test_settings_and_version(client):
    names = {s["name"] for s in client.get("/-/settings.json").json()}
    assert {"query_timeout_s", "max_rows", "host", "root"} <= names  # which checkout is served
    version = client.get("/-/version.json").json()
    assert len(version["graphs"]) == len(source_files()) and len(version["data_version"]) == 64
    assert version["worker_mode"] == "processes" and version["queries_abandoned"] == 0


# --- kg serve --get -----------------------------------------------------------------------------------------

def test_serve_get_prints_body_and_exits_0(capsysbinary, kg):
    assert main(["serve", "--get", "/figures.json"]) == 0
    assert len(json.loads(capsysbinary.readouterr().out)) == len(figures(kg))


def test_serve_get_exit_1_when_not_200(capsysbinary):
    assert main(["serve", "--get", "/id/nothing-here"]) == 1
    captured = capsysbinary.readouterr()
    assert json.loads(captured.out)["status"] == 404
    assert b"HTTP 404" in captured.err
