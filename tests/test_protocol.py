"""HTTP protocol details every client relies on (issue 14): the HTML redirect only when HTML is the best
choice, the ``format`` parameter as clients send it, HEAD wherever GET answers, ``Allow`` on 405, ``Vary`` on
negotiated answers, CORS exposing ``Link``, VoID's entity count, the public base URL, and an OpenAPI
description that matches what the server sends (schemathesis against a real server)."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Mapping

import pytest
import rdflib
import schemathesis
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, status_code_conformance

from kg import __version__
from kg.errors import UsageError
from kg.settings import Settings
from kg.web import create_app
from kg.web.openapi import RESPONSES

from .conftest import FIXTURES, ROOT
from .live import live_server

DATA = [ROOT / "ontology" / "kg.ttl", FIXTURES / "clients" / "claims.ttl", FIXTURES / "clients" / "actors.ttl"]
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
CONSTRUCT = "CONSTRUCT { ?c ?p ?o } WHERE { ?c a kg:QuantityClaim ; ?p ?o }"
#: A request path for every GET route with path parameters (a new one must be added here).
SAMPLES = {
    "/dump.{extension}": "/dump.ttl", "/figures.{extension}": "/figures.csv", "/compare.{extension}": "/compare.csv",
    "/id/{name:path}": "/id/claim-client-a", "/ontology.{extension}": "/ontology.ttl",
    "/ontology/{version}": f"/ontology/{__version__}", "/queries/{name}.rq": "/queries/figures.rq",
    "/static": "/static/style.css", "/sources/{document}": "/sources/claim-client-a",
}


def _app(**changes: object):
    return create_app(Settings(root=ROOT, workers=0).replace(**changes), data=DATA)


@pytest.fixture(scope="module")
def client():
    with TestClient(_app()) as c:
        yield c


def _get_paths() -> list[str]:
    """A request path for every route that answers GET, walked from the application itself."""
    paths = []
    for route in iter_route_contexts(_app().routes):
        if route.path and "GET" in (route.methods or {"GET"}):
            paths.append(SAMPLES.get(route.path, route.path))
    return paths


GET_PATHS = _get_paths()


def test_every_get_route_has_a_sample_path():
    assert all("{" not in p for p in GET_PATHS), "add a sample to SAMPLES for the new route"
    assert {"/", "/sparql", "/figures", "/ontology", "/.well-known/void", "/-/version.json"} <= set(GET_PATHS)


# --- the HTML redirect ----------------------------------------------------------------------------------

COMUNICA_ACCEPT = ("application/n-quads,application/trig;q=0.95,application/ld+json;q=0.9,application/n-triples;"
                   "q=0.8,text/turtle;q=0.6,application/rdf+xml;q=0.5,text/n3;q=0.35,application/xml;q=0.3,"
                   "text/html;q=0.2,application/xhtml+xml;q=0.18,application/json;q=0.135")
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(("accept", "status", "media"), [
    (BROWSER_ACCEPT, 303, None),
    ("text/html", 303, None),
    ("application/xhtml+xml", 303, None),
    (COMUNICA_ACCEPT, 200, "application/n-quads"),
    ("text/html;q=0, */*", 200, "text/turtle"),
    ("text/turtle;q=0.5, text/html;q=0.2", 200, "text/turtle"),
    ("text/html;q=0.5, application/rdf+xml", 200, "application/rdf+xml"),
    ("*/*", 200, "text/turtle"),
    (None, 200, "text/turtle"),
    ("text/html;q=0", 406, "application/json"),
])
def test_html_redirect_only_when_html_is_the_best_choice(client, accept, status, media):
    response = client.get("/sparql", headers={"accept": accept} if accept else {}, follow_redirects=False)
    assert response.status_code == status
    assert response.headers["vary"].startswith("Accept")
    assert "Origin" in response.headers["vary"]
    if status == 303:
        assert response.headers["location"] == "/"
    else:
        assert response.headers["content-type"].split(";")[0] == media


# --- the format parameter ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "params", "media"), [
    ("ASK {}", {"format": ["tsv", "text/tab-separated-values"]}, "text/tab-separated-values"),
    ("ASK {}", {"format": "application/sparql-results+json"}, "application/sparql-results+json"),
    ("ASK {}", {"format": "xml", "output": "xml", "results": "xml"}, "application/sparql-results+xml"),
    ("ASK {}", {"output": "csv"}, "text/csv"),
    ("ASK {}", {"format": "text/csv; charset=utf-8"}, "text/csv"),
    (CONSTRUCT, {"format": "xml"}, "application/rdf+xml"),
    (CONSTRUCT, {"format": "json"}, "application/ld+json"),
    (CONSTRUCT, {"format": "n3"}, "text/turtle"),
    (CONSTRUCT, {"format": ["rdf+xml", "application/rdf+xml"]}, "application/rdf+xml"),
    (CONSTRUCT, {"format": ["json-ld", "application/ld+json,application/x-json+ld"]}, "application/ld+json"),
    (CONSTRUCT, {"format": "ttl", "results": "turtle"}, "text/turtle"),
    (None, {"format": "xml"}, "application/rdf+xml"),  # the Service Description is a graph too
])
def test_format_parameter_as_clients_send_it(client, query, params, media):
    response = client.get("/sparql", params={**({"query": query} if query else {}), **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media


@pytest.mark.parametrize(("query", "params", "status", "message"), [
    ("ASK {}", {"format": ["tsv", "csv"]}, 400, "disagree"),
    ("ASK {}", {"format": "json", "output": "xml"}, 400, "disagree"),
    ("ASK {}", {"format": "yaml"}, 400, "unknown format"),
    ("ASK {}", {"format": "turtle"}, 406, "does not fit"),
    (CONSTRUCT, {"format": "csv"}, 406, "does not fit"),
])
def test_format_parameter_errors_have_the_json_body(client, query, params, status, message):
    response = client.get("/sparql", params={"query": query, **params})
    assert response.status_code == status
    body = response.json()
    assert body["status"] == status and message in body["error"]


def test_format_parameters_in_a_post_form(client):
    response = client.post("/sparql", data={"query": CONSTRUCT, "format": "xml", "output": "xml"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/rdf+xml")


# --- methods ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", GET_PATHS)
def test_head_answers_wherever_get_does(client, path):
    get, head = client.get(path, follow_redirects=False), client.head(path, follow_redirects=False)
    assert get.status_code == 200 and head.status_code == 200
    assert head.content == b""
    assert _same_but_nonce(head.headers) == _same_but_nonce(get.headers)


def _same_but_nonce(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` with what is made anew for every answer blanked: the policy's style nonce (kg.web.security)
    and the durations of Server-Timing (kg.web.servertiming), whose metric names must still match."""
    def blank(name: str, value: str) -> str:
        if name == "content-security-policy":
            return re.sub(r"'nonce-[\w-]+'", "'nonce-'", value)
        if name == "server-timing":
            return re.sub(r"dur=[\d.]+", "dur=", value)
        return value

    return {k: blank(k, v) for k, v in headers.items()}


@pytest.mark.parametrize("path", [*GET_PATHS, "/sparql?query=ASK%20%7B%7D"])
def test_allow_on_405_and_options(client, path):
    expected = "GET, HEAD, POST, OPTIONS" if path.startswith("/sparql") else "GET, HEAD, OPTIONS"
    refused = client.request("DELETE", path)
    assert refused.status_code == 405
    assert refused.headers["allow"] == expected
    assert refused.json() == {"error": "Method Not Allowed", "status": 405}
    options = client.options(path)
    assert options.status_code == 204 and options.headers["allow"] == expected


def test_head_on_the_real_server_sends_no_body_and_the_get_length(live):
    lengths = []
    for method in ("GET", "HEAD"):
        with urllib.request.urlopen(urllib.request.Request(live + "/.well-known/void", method=method),
                                    timeout=30) as response:
            lengths.append((response.status, response.headers["content-length"], len(response.read())))
    (get_status, get_length, get_read), (head_status, head_length, head_read) = lengths
    assert get_status == head_status == 200 and head_length == get_length == str(get_read) and head_read == 0


# --- Vary and CORS ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/sparql", "/sparql?query=ASK%20%7B%7D", "/dump", "/.well-known/void",
                                  "/id/claim-client-a", "/ontology", "/figures"])
def test_406_varies_on_accept(client, path):
    response = client.get(path, headers={"accept": "image/png"})
    assert response.status_code == 406
    assert [v.strip() for v in response.headers["vary"].split(",")] == ["Accept", "Origin"]
    assert response.json()["status"] == 406


def test_cors_exposes_link_and_preflight_allows_head(client):
    response = client.get("/id/claim-client-a", headers={"origin": "https://example.org", "accept": "text/turtle"})
    exposed = {h.strip() for h in response.headers["access-control-expose-headers"].split(",")}
    assert {"Link", "ETag", "Content-Type"} <= exposed and "rel=\"canonical\"" in response.headers["link"]
    preflight = client.options("/sparql", headers={"origin": "https://example.org",
                                                   "access-control-request-method": "HEAD"})
    assert preflight.status_code == 200 and "HEAD" in preflight.headers["access-control-allow-methods"]


# --- VoID and the public base URL ---------------------------------------------------------------------------

def _graph(response) -> rdflib.Graph:
    assert response.status_code == 200, response.text
    return rdflib.Graph().parse(data=response.text, format="turtle")


def test_void_entities_count_only_the_uri_space(client):
    void = _graph(client.get("/.well-known/void", headers={"accept": "text/turtle"}))
    dataset = next(void.subjects(rdflib.RDF.type, VOID.Dataset))
    space = str(void.value(dataset, VOID.uriSpace))
    data = rdflib.Graph()
    for path in DATA:
        data.parse(path, format="turtle")
    subjects = {s for s in data.subjects() if isinstance(s, rdflib.URIRef)}
    expected = {s for s in subjects if str(s).startswith(space)}
    assert len(expected) == 5 and len(subjects) > len(expected)  # the ontology's terms are outside the space
    assert int(void.value(dataset, VOID.entities)) == len(expected)


def test_host_is_reflected_with_vary_host_unless_a_public_url_is_set(client):
    headers = {"accept": "text/turtle", "host": "mirror.example:8080"}
    description = client.get("/sparql", headers=headers)
    assert (None, SD.endpoint, rdflib.URIRef("http://mirror.example:8080/sparql")) in _graph(description)
    assert "Host" in description.headers["vary"]
    void = client.get("/.well-known/void", headers=headers)
    assert (None, VOID.sparqlEndpoint, rdflib.URIRef("http://mirror.example:8080/sparql")) in _graph(void)
    assert "Host" in void.headers["vary"]
    answer = client.get("/sparql", params={"query": "ASK {}"}, headers={"host": "mirror.example:8080"})
    assert answer.status_code == 200 and "Host" in answer.headers["vary"]

    with TestClient(_app(public_url="https://kg.example.org/")) as public:
        for path, predicate in (("/sparql", SD.endpoint), ("/.well-known/void", VOID.sparqlEndpoint)):
            response = public.get(path, headers=headers)
            assert (None, predicate, rdflib.URIRef("https://kg.example.org/sparql")) in _graph(response)
            assert "Host" not in response.headers["vary"]
        base = public.get("/sparql", params={"query": "SELECT ?x WHERE { BIND(<x> AS ?x) }"})
        assert "Host" not in base.headers["vary"]
        assert base.json()["results"]["bindings"][0]["x"]["value"] == "https://kg.example.org/x"


def test_public_url_setting():
    assert Settings.from_env({"KG_PUBLIC_URL": "https://kg.example.org"}).public_url == "https://kg.example.org"
    assert Settings.from_env({}).public_url is None
    for bad in ("kg.example.org", "ftp://kg.example.org", "https://kg.example.org/?x=1", "https://"):
        with pytest.raises(UsageError, match="KG_PUBLIC_URL"):
            Settings(public_url=bad)


# --- OpenAPI ----------------------------------------------------------------------------------------------

def test_openapi_documents_every_operation_with_real_statuses(client):
    doc = client.get("/openapi.json").json()
    operations = {op["operationId"]: op for ops in doc["paths"].values() for op in ops.values()}
    routes = {r.name for r in iter_route_contexts(client.app.routes) if getattr(r, "include_in_schema", False)}
    assert routes == set(RESPONSES)
    assert len(operations) == len(RESPONSES)
    statuses = {status for op in operations.values() for status in op["responses"]}
    assert "422" not in statuses and {"400", "403", "404", "406", "413", "415", "501", "503"} <= statuses
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    post = doc["paths"]["/sparql"]["post"]["responses"]
    assert set(post["200"]["content"]) >= {"application/sparql-results+json", "text/csv", "text/turtle"}
    assert post["415"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "text/html" in doc["paths"]["/id/{name}"]["get"]["responses"]["200"]["content"]


@pytest.fixture(scope="module")
def live():
    with live_server(["--workers", "1", *(a for p in DATA for a in ("--data", str(p)))]) as base:
        yield base


@pytest.fixture(scope="module")
def openapi_schema(live):
    return schemathesis.openapi.from_url(live + "/openapi.json")


def errors_have_the_json_body(ctx: object, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Every error answer is the one JSON error body, ``{"error": <message>, "status": <the status>}``, whatever
    the generated request asked for (schemathesis sends no browser ``Accept``, so no page is due)."""
    if response.status_code < 400:
        return
    media = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    assert media == "application/json", f"{response.status_code} answered as {media or 'no content type'}"
    body = json.loads(response.content)
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body
    assert body.get("status") == response.status_code, body


#: Generated requests per operation: with 21 operations, about 300 requests in all (a bounded budget for CI).
FUZZ_EXAMPLES = 15


@pytest.mark.parametrize("operation_id", sorted({op["operationId"] for ops in _app().openapi()["paths"].values()
                                                 for op in ops.values()}))
def test_openapi_matches_what_the_server_sends(openapi_schema, operation_id):
    """schemathesis's status-code and content-type conformance checks, no 5xx, and every error in the one
    JSON shape, on generated requests to one operation of the real server (driven through Hypothesis
    directly: schemathesis's pytest plugin does not load under this pytest)."""
    operation = openapi_schema.find_operation_by_id(operation_id)

    @given(operation.as_strategy())
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def conforms(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                       errors_have_the_json_body], timeout=30)

    conforms()


def test_the_error_shape_check_can_fail():
    """The check above rejects what it must: a plain-text error, a body whose status disagrees."""
    def response(status: int, media: str, content: bytes) -> schemathesis.Response:
        return schemathesis.Response(status_code=status, headers={"content-type": [media]}, content=content,
                                     request=None, elapsed=0.0, verify=False)  # type: ignore[arg-type]

    errors_have_the_json_body(None, response(200, "text/plain", b"fine"), None)  # type: ignore[arg-type]
    errors_have_the_json_body(None, response(404, "application/json", b'{"error": "x", "status": 404}'),
                              None)  # type: ignore[arg-type]
    for bad in (response(400, "text/plain", b"Invalid HTTP request"),
                response(416, "application/json", b'{"error": "x", "status": 400}'),
                response(400, "application/json", b'{"detail": "x"}')):
        with pytest.raises(AssertionError):
            errors_have_the_json_body(None, bad, None)  # type: ignore[arg-type]
