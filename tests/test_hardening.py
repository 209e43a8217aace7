"""Hostile clients and hostile data against the web shell (issue 15): the SERVICE guard as pyoxigraph parses,
IRIs that would run script never made links, security headers on every answer, invalid UTF-8 refused, every
error in the one JSON shape (the connection's own included), header and body read deadlines on a real server."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from kg.errors import QueryRefused, UsageError
from kg.query import query_form, refuse_unsafe
from kg.settings import Settings
from kg.web import create_app
from kg.web.security import CONTENT_SECURITY_POLICY, link_target, policy

from .conftest import FIXTURES, ROOT
from .live import live_server
from .test_protocol import GET_PATHS

DATA = [ROOT / "ontology" / "kg.ttl", FIXTURES / "clients" / "claims.ttl", FIXTURES / "clients" / "actors.ttl"]
BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8"
HOSTILE_IRIS = ["javascript:alert(document.domain)", "JavaScript:alert(1)",
                "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "vbscript:msgbox(1)"]
HOSTILE = f"""@prefix kgr: <https://w3id.org/ua-children-kg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dct: <http://purl.org/dc/terms/> .
kgr:hostile rdfs:label "hostile" ; rdfs:seeAlso {", ".join(f"<{i}>" for i in HOSTILE_IRIS)} ,
    <https://example.org/fine> .
kgr:doc-hostile a <http://xmlns.com/foaf/0.1/Document> ; rdfs:label "a document" ;
    <https://w3id.org/ua-children-kg/ontology#url> <javascript:alert(2)> .
"""


def _json_error(status: int, content_type: str, body: bytes) -> dict[str, object]:
    """The one error body, checked: JSON with a message and the answer's status."""
    assert content_type.split(";")[0].strip() == "application/json", content_type
    parsed = json.loads(body)
    assert isinstance(parsed["error"], str) and parsed["error"] and parsed["status"] == status
    return parsed


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    hostile = tmp_path_factory.mktemp("hostile") / "hostile.ttl"
    hostile.write_text(HOSTILE, encoding="utf-8")
    app = create_app(Settings(root=ROOT, workers=0, reasoning="none", max_body_bytes=1000),
                     data=[*DATA, hostile])
    with TestClient(app) as c:
        yield c


# --- the SERVICE guard, as pyoxigraph's parser reads a query -------------------------------------------------

@contextlib.contextmanager
def _listener() -> Iterator[tuple[int, list[int]]]:
    """A loopback socket counting the connections made to it: an endpoint a query must never reach."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.1)
    accepted: list[int] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append(1)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join()
        server.close()


#: Spellings pyoxigraph's parser takes as SERVICE calls although no space or word boundary follows the keyword.
GLUED = ["PREFIX : <http://127.0.0.1:{port}/> SELECT * {{ SERVICE:x {{ ?s ?p ?o }} }}",
         "PREFIX e: <http://127.0.0.1:{port}/> SELECT * {{ SERVICEe:x {{ ?s ?p ?o }} }}",
         "SELECT * {{ SERVICESILENT<http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
         "SELECT * {{ ?s ?p ?o .SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}"]


@pytest.mark.parametrize("template", GLUED[:3])
def test_the_engine_calls_a_glued_service(template):
    """The spellings below are real SERVICE calls: pyoxigraph, unguarded, connects to the endpoint."""
    with _listener() as (port, accepted), contextlib.suppress(OSError):  # SILENT swallows the failed call
        list(ox.Store().query(template.format(port=port)))
    assert accepted


@pytest.mark.parametrize("template", GLUED)
def test_a_glued_service_is_refused_and_nothing_is_reached(client, template):
    with _listener() as (port, accepted):
        text = template.format(port=port)
        with pytest.raises(QueryRefused, match="KG_SERVICE_ALLOWLIST"):
            refuse_unsafe(text)
        response = client.get("/sparql", params={"query": text})
        assert response.status_code == 403 and "SERVICE" in response.json()["error"]
    assert accepted == []


@pytest.mark.parametrize("template", [
    *GLUED,
    "PREFIX : <http://e/> SELECT * {{ ?s :p :o.SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "PREFIX : <http://e/> SELECT * {{ ?s :p :o .SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "PREFIX : <http://e/> SELECT * {{ ?s :p ?o.SERVICE<http://127.0.0.1:{port}/>{{ ?s ?p ?o }} }}",
    "SELECT * {{ ?s ?p _:b.SERVICE <http://127.0.0.1:{port}/> {{ }} }}",
    'SELECT * {{ ?s ?p ?o FILTER(?o != "x"@en) SERVICE<http://127.0.0.1:{port}/>{{ }} }}',
    "SELECT * {{ ?s ?p ?o # SERVICE <http://127.0.0.1:{port}/> {{ }}\n }}",
    'SELECT * {{ ?s ?p "SERVICE <http://127.0.0.1:{port}/> {{ }}" }}',
])
def test_what_the_guard_lets_through_the_engine_does_not_call(template):
    """Differential: run each query unguarded over a graph every pattern matches; a query the engine sends
    to the endpoint must be one the guard refuses."""
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.NamedNode("http://e/o")))
    with _listener() as (port, accepted):
        text = template.format(port=port)
        with contextlib.suppress(OSError, SyntaxError):
            list(store.query(text, use_default_graph_as_union=True))
        time.sleep(0.2)  # a connection the engine made is accepted by now
    refused = True
    try:
        refuse_unsafe(text)
    except QueryRefused:
        pass
    else:
        refused = False
    assert refused or not accepted, text


@pytest.mark.parametrize("text", [
    'SELECT * WHERE { ?s ?p "x"@service }',
    "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:a.SERVICE ?o }",
    "SELECT ?service WHERE { ?service ?p _:service }",
    "PREFIX insert: <http://example.org/> SELECT * WHERE { ?s insert:x ?o }",
    'SELECT * WHERE { ?s ?p "x"@en-service }',
])
def test_words_inside_names_and_language_tags_are_no_keywords(client, text):
    refuse_unsafe(text)
    assert query_form(text) == "SELECT"
    assert client.get("/sparql", params={"query": text}).status_code == 200


# --- casts with the wrong number of arguments ------------------------------------------------------------------

@pytest.mark.parametrize("expression", ['xsd:integer("1", "2")', "xsd:string()", "xsd:boolean(1, 2, 3)"])
def test_a_cast_with_the_wrong_arity_is_a_400(client, expression):
    response = client.get("/sparql", params={"query": f"SELECT ({expression} AS ?x) WHERE {{}}"})
    body = _json_error(400, response.headers["content-type"], response.content)
    assert response.status_code == 400 and "malformed query" in str(body["error"])


def test_an_unknown_function_is_still_unsupported(client):
    response = client.get("/sparql", params={"query": "SELECT (<http://example.org/f>(1) AS ?x) WHERE {}"})
    assert response.status_code == 501


# --- links to IRIs of the data ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("iri", "target"), [
    ("https://w3id.org/ua-children-kg/id/x", "/id/x"),
    ("https://example.org/a?b#c", "https://example.org/a?b#c"),
    ("HTTP://example.org/", "HTTP://example.org/"),
    ("mailto:someone@example.org", "mailto:someone@example.org"),
    *((iri, None) for iri in HOSTILE_IRIS),
    ("java\tscript:alert(1)", None), (" javascript:alert(1)", None), ("urn:isbn:0451450523", None),
    ("file:///etc/passwd", None), ("relative/path", None),
])
def test_link_target(iri, target):
    assert link_target(iri, "https://w3id.org/ua-children-kg/") == target


def _hrefs(page: str) -> list[str]:
    return re.findall(r'\bhref="([^"]*)"', page)


@pytest.mark.parametrize(("path", "shown"), [
    ("/id/hostile", HOSTILE_IRIS[0]), ("/id/doc-hostile", "javascript:alert(2)"),
    ("/sources/doc-hostile", "javascript:alert(2)"),
    ("/?query=" + quote("SELECT ?o WHERE { kgr:hostile ?p ?o }"), HOSTILE_IRIS[0]),
    ("/?query=" + quote("SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 500"), None),
])
def test_script_iris_are_shown_but_never_linked(client, path, shown):
    page = client.get(path, headers={"accept": BROWSER})
    assert page.status_code == 200
    hrefs = _hrefs(page.text)
    assert hrefs and all(not h.lower().startswith(("javascript:", "data:", "vbscript:")) for h in hrefs)
    if shown is not None:
        assert shown in page.text.replace("&#39;", "'")  # shown as text
    if shown == HOSTILE_IRIS[0]:
        assert "https://example.org/fine" in hrefs  # an http IRI beside them is still a link


# --- security headers ------------------------------------------------------------------------------------------

def _assert_security_headers(headers: object) -> None:
    get = headers.get  # type: ignore[attr-defined]
    assert get("x-content-type-options") == "nosniff" and get("referrer-policy") == "same-origin"
    policy = get("content-security-policy")
    assert policy and "script-src 'self'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.parametrize("path", GET_PATHS)
def test_every_page_sends_the_security_headers(client, path):
    response = client.get(path, headers={"accept": BROWSER}, follow_redirects=False)
    _assert_security_headers(response.headers)
    if not path.startswith("/ontology"):  # the ontology page adds the hashes of its styles instead
        nonce = re.search(r"'nonce-([\w-]+)'", response.headers["content-security-policy"])
        assert nonce and response.headers["content-security-policy"] == policy(nonce[1])


def test_the_style_nonce_is_new_for_every_answer_and_handed_to_the_editor(client):
    nonces = []
    for _ in range(2):
        page = client.get("/", headers={"accept": BROWSER})
        nonce = re.search(r"'nonce-([\w-]+)'", page.headers["content-security-policy"])[1]
        assert f'<script src="/static/sparql-editor.js" defer nonce="{nonce}"></script>' in page.text
        nonces.append(nonce)
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 16
    assert CONTENT_SECURITY_POLICY in policy("x").replace(" 'nonce-x'", "")


def test_error_answers_send_the_security_headers(client):
    for response in (client.get("/id/nothing-here"), client.delete("/sparql"), client.get("/sparql?query=%FF"),
                     client.post("/sparql", content=b"x" * 2000,
                                 headers={"content-type": "application/sparql-query"})):
        assert response.status_code >= 400
        _assert_security_headers(response.headers)


def test_the_ontology_page_allows_exactly_its_own_inline_styles(client):
    page = client.get("/ontology", headers={"accept": "text/html"})
    policy = page.headers["content-security-policy"]
    styles = re.findall(r"<style[^>]*>(.*?)</style>", page.text, re.DOTALL)
    assert styles
    for style in styles:
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "<script>" not in page.text and "script-src 'self'" in policy


def test_pages_have_no_inline_script_or_style(client):
    for path in ("/", "/?query=" + quote("ASK {}"), "/figures", "/id/claim-client-a", "/compare", "/id/"):
        page = client.get(path, headers={"accept": BROWSER}).text
        assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None, path
        assert re.search(r"<style|\sstyle=|\son[a-z]+=", page) is None, path


# --- invalid UTF-8 ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/sparql?query=ASK%20%7B%7D%FF", "/?query=SELECT%C3%28", "/figures?place=%E2%82",
                                  "/search?q=%FF", "/id/%FF", "/id/claim-client-a?x=%C0%AF",
                                  "/dump.ttl?inferred=%FF", "/static/style.css?v=%FF"])
def test_invalid_utf8_in_the_target_is_a_400(client, path):
    response = client.get(path)
    body = _json_error(400, response.headers["content-type"], response.content)
    assert response.status_code == 400 and "not valid UTF-8" in str(body["error"])
    browser = client.get(path, headers={"accept": BROWSER})
    assert browser.status_code == 400
    if not path.startswith(("/sparql", "/dump", "/static")):
        assert browser.headers["content-type"].startswith("text/html")


def test_valid_utf8_still_answers(client):
    response = client.get("/sparql", params={"query": 'ASK { FILTER("é" = "\u00e9") }'})
    assert response.status_code == 200 and response.json()["boolean"] is True
    assert client.get("/search?q=%C3%A9").status_code == 200


# --- Starlette's own answers to ranges ------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/dump.ttl", "/static/style.css"])
def test_range_errors_are_json(client, path):
    beyond = client.get(path, headers={"range": "bytes=999999999-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"].startswith("bytes */")
    _json_error(416, beyond.headers["content-type"], beyond.content)
    malformed = client.get(path, headers={"range": "bytes=9-3"})
    assert malformed.status_code == 400
    _json_error(400, malformed.headers["content-type"], malformed.content)
    assert client.get(path, headers={"range": "bytes=0-9"}).status_code == 206


# --- a real server: the connection's own deadlines and answers ---------------------------------------------------

HEADER_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 1.5
#: How long a test waits for the server to act on a deadline before calling it a hang.
PATIENCE_S = 15.0


@pytest.fixture(scope="module")
def live():
    args = ["--workers", "1", *(a for p in DATA for a in ("--data", str(p)))]
    env = {"KG_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S), "KG_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
           "KG_REASONING": "none"}
    with live_server(args, env=env) as base:
        yield base


def _port(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


def _exchange(port: int, *parts: bytes, pause: float = 0.0) -> bytes:
    """Send ``parts`` (``pause`` seconds apart, stopping if the server closes), then read until the server
    closes the connection; fails if it has not within :data:`PATIENCE_S`."""
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE_S) as sock:
        for part in parts:
            try:
                sock.sendall(part)
            except OSError:
                break
            time.sleep(pause)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def _parse(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict((k.lower(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:]))
    return int(lines[0].split()[1]), headers, body


def _normal_request(base: str) -> int:
    with urllib.request.urlopen(base + "/sparql?query=ASK%20%7B%7D", timeout=PATIENCE_S) as response:
        return response.status


@pytest.mark.parametrize(("raw", "status"), [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 20_000, 431),
    (b"GET /" + b"a" * 20_000, 414),
])
def test_malformed_requests_get_the_json_body_from_the_connection(live, raw, status):
    got, headers, body = _parse(_exchange(_port(live), raw))
    assert got == status and headers["connection"] == "close"
    _json_error(status, headers["content-type"], body)
    _assert_security_headers(headers)


def test_incomplete_headers_are_cut_off_and_others_still_answered(live):
    port = _port(live)
    results: list[bytes] = []
    slow = [threading.Thread(target=lambda: results.append(_exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\n")))
            for _ in range(8)]
    for thread in slow:
        thread.start()
    assert _normal_request(live) == 200  # while eight clients hold half-sent requests
    for thread in slow:
        thread.join()
    assert len(results) == 8
    for answer in results:
        status, headers, body = _parse(answer)
        parsed = _json_error(408, headers["content-type"], body)
        assert status == 408 and parsed["setting"] == "KG_HEADER_TIMEOUT_S"


def test_trickled_headers_do_not_reset_the_deadline(live):
    """A byte every 0.2 s: each arrives before any per-read timeout would fire, but the request never
    completes within KG_HEADER_TIMEOUT_S, and the connection is cut although the client keeps sending."""
    trickle = [bytes([c]) for c in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200]
    status, _headers, _body = _parse(_exchange(_port(live), *trickle, pause=0.2))
    assert status == 408


def test_an_idle_connection_is_closed_without_an_answer(live):
    assert _exchange(_port(live)) == b""


def test_a_body_never_finished_is_cut_off_and_others_still_answered(live):
    port = _port(live)
    results: list[bytes] = []
    request = (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
               b"Content-Length: 1000\r\n\r\nASK")
    slow = [threading.Thread(target=lambda: results.append(_exchange(port, request))) for _ in range(4)]
    for thread in slow:
        thread.start()
    assert _normal_request(live) == 200
    for thread in slow:
        thread.join()
    for answer in results:
        status, headers, body = _parse(answer)
        assert status == 408 and _json_error(408, headers["content-type"], body)["setting"] == "KG_BODY_TIMEOUT_S"
    assert _normal_request(live) == 200  # and the server, its worker included, still serves


def test_the_header_deadline_holds_for_a_later_request_on_a_kept_alive_connection(live):
    first = b"GET /sparql?query=ASK%20%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = _exchange(_port(live), first, b"GET / HTTP/1.1\r\n", pause=0.1)
    assert answer.startswith(b"HTTP/1.1 200") and b"HTTP/1.1 408 Request Timeout" in answer


def test_invalid_utf8_and_ranges_on_the_real_server(live):
    status, headers, body = _parse(_exchange(
        _port(live), b"GET /sparql?query=ASK%20%7B%7D%FF HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
    assert status == 400 and "UTF-8" in str(_json_error(400, headers["content-type"], body)["error"])
    status, headers, body = _parse(_exchange(
        _port(live), b"GET /static/style.css HTTP/1.1\r\nHost: x\r\nRange: bytes=99999999-\r\n"
                     b"Connection: close\r\n\r\n"))
    assert status == 416 and headers["content-range"].startswith("bytes */")
    _json_error(416, headers["content-type"], body)
    _assert_security_headers(headers)


# --- the Content-Security-Policy in a real browser ----------------------------------------------------------

CSP_WATCH = """window.__violations = [];
document.addEventListener("securitypolicyviolation",
    e => window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline")));"""


@pytest.mark.parametrize("path", ["/", "/?query=" + quote("SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 20"),
                                  "/ontology", "/figures", "/id/claim-client-a", "/compare"])
def test_the_policy_breaks_nothing_in_chromium(live, path):
    """No page (the query page's vendored editor, pyLODE's ontology page) trips its own policy."""
    from playwright.sync_api import sync_playwright

    from .test_browser import CHROMIUM, FLAGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page()
            messages: list[str] = []
            page.on("console", lambda m: messages.append(m.text))
            page.add_init_script(CSP_WATCH)
            response = page.goto(live + path, wait_until="load")
            assert response is not None and response.status == 200
            assert response.headers["content-security-policy"].startswith("default-src 'self'")
            if path.startswith("/?") or path == "/":
                page.wait_for_selector(".cm-editor")  # the editor mounted and styled itself
                assert page.eval_on_selector(".cm-editor", "e => getComputedStyle(e).display") == "flex"
            page.wait_for_timeout(200)  # a violation report is dispatched after the load
            assert page.evaluate("window.__violations") == []
            assert not [m for m in messages if "Content Security Policy" in m]
        finally:
            browser.close()


def test_the_read_and_write_deadlines_are_settings():
    s = Settings.from_env({"KG_HEADER_TIMEOUT_S": "2.5", "KG_BODY_TIMEOUT_S": "4", "KG_WRITE_TIMEOUT_S": "7"})
    assert (s.header_timeout_s, s.body_timeout_s, s.write_timeout_s) == (2.5, 4.0, 7.0)
    assert (Settings().header_timeout_s, Settings().body_timeout_s, Settings().write_timeout_s) == (10.0, 30.0, 60.0)
    for name, value in (("KG_HEADER_TIMEOUT_S", "0"), ("KG_BODY_TIMEOUT_S", "soon"), ("KG_WRITE_TIMEOUT_S", "-1")):
        with pytest.raises(UsageError, match=name):
            Settings.from_env({name: value})


# --- a client that never reads --------------------------------------------------------------------------------

WRITE_TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def large_dump(tmp_path_factory):
    """A real server with a write deadline of WRITE_TIMEOUT_S over a graph whose dump (about 24 MB) is far more
    than the kernel's socket buffers hold, so a client that stops reading stalls the answer in the server."""
    path = tmp_path_factory.mktemp("large") / "large.ttl"
    filler = "x" * 12_000
    path.write_text("@prefix kgr: <https://w3id.org/ua-children-kg/id/> .\n"
                    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
                    + "".join(f'kgr:n{i} rdfs:comment "{filler}" .\n' for i in range(2000)))
    env = {"KG_WRITE_TIMEOUT_S": str(WRITE_TIMEOUT_S), "KG_REASONING": "none"}
    with live_server(["--workers", "1", "--data", str(DATA[0]), "--data", str(path)], env=env) as base:
        yield base


def test_a_client_that_never_reads_is_cut_off_and_others_still_answered(large_dump):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window: the server's buffer fills
        sock.settimeout(PATIENCE_S)
        sock.connect(("127.0.0.1", _port(large_dump)))
        sock.sendall(b"GET /dump.nt HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(WRITE_TIMEOUT_S / 2)
        assert _normal_request(large_dump) == 200  # while the stalled answer waits on the client
        time.sleep(WRITE_TIMEOUT_S * 3)  # past the deadline: the server has cut the connection by now
        received, started = b"", time.monotonic()
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(1 << 20):
                received += chunk
        assert time.monotonic() - started < PATIENCE_S
    status, headers, _body = _parse(received)
    assert status == 200
    assert len(received) < int(headers["content-length"]) // 2  # cut off: what the buffers held, not the dump
    assert _normal_request(large_dump) == 200
