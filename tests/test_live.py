"""Against a real `kg serve` process on a loopback port: the timeout under concurrency, and real clients."""

from __future__ import annotations

import concurrent.futures
import csv
import io
import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, XML, SPARQLWrapper

from kg.figures import figures
from kg.query import query as kg_query

from .conftest import ROOT
from .live import live_server

# A query that keeps the engine busy for far longer than the 2 s limit below (a triple cross product).
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
WHO_WHEN = """SELECT ?value ?claimant ?stated WHERE {
  ?claim a kg:QuantityClaim ; kg:value ?value ; kg:attributedTo/rdfs:label ?claimant ;
         kg:generatedBy/kg:date/kg:earliest ?stated }
ORDER BY ?stated ?value ?claimant"""


@pytest.fixture(scope="module")
def server():
    with live_server(env={"KG_QUERY_TIMEOUT_S": "2", "KG_WORKERS": "2"}) as base:
        yield base


def get(url: str, accept: str = "application/sparql-results+json", timeout: float = 30) -> tuple[int, bytes, float]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    start = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), time.monotonic() - start
    except urllib.error.HTTPError as err:
        return err.code, err.read(), time.monotonic() - start


def sparql_url(base: str, query: str) -> str:
    return f"{base}/sparql?{urllib.parse.urlencode({'query': query})}"


def test_slow_query_times_out_while_a_concurrent_query_answers_promptly(server):
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        slow = pool.submit(get, sparql_url(server, SLOW))
        time.sleep(0.3)  # the slow query is now running in one worker
        assert not slow.done()
        status, body, elapsed = get(sparql_url(server, "ASK { kgr:state-ua a kg:State }"))
        assert status == 200 and json.loads(body)["boolean"] is True
        assert elapsed < 1.0, f"a simple query waited {elapsed:.2f} s behind a slow one"
        assert not slow.done()  # both were in flight at the same time
        slow_status, slow_body, slow_elapsed = slow.result()
    assert slow_status == 503
    error = json.loads(slow_body)
    assert error["status"] == 503 and "KG_QUERY_TIMEOUT_S=2" in error["error"]
    assert 1.9 < slow_elapsed < 6
    # the stopped worker was replaced, and the server keeps answering
    status, body, _ = get(server + "/-/version.json", accept="application/json")
    assert json.loads(body)["worker_restarts"] >= 1
    status, _, _ = get(sparql_url(server, "ASK {}"))
    assert status == 200


def test_a_client_leaving_mid_stream_does_not_lose_a_worker(server):
    """A large streamed answer abandoned after the first bytes: the worker is replaced, and every worker
    still answers afterwards (a lost worker would make these queries wait, then time out)."""
    import http.client

    before = json.loads(get(server + "/-/version.json", accept="application/json")[1])["worker_restarts"]
    host, port = server.removeprefix("http://").split(":")
    for _ in range(3):  # more abandoned streams than there are workers
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": "SELECT * WHERE { ?s ?p ?o }"}),
                     headers={"Accept": "text/tab-separated-values"})
        response = conn.getresponse()
        assert response.status == 200
        assert response.read(100)
        conn.close()  # leave with most of the answer unread
    time.sleep(0.5)
    for _ in range(4):
        status, _, elapsed = get(sparql_url(server, "ASK { kgr:state-ua a kg:State }"))
        assert status == 200 and elapsed < 1.5
    after = json.loads(get(server + "/-/version.json", accept="application/json")[1])["worker_restarts"]
    assert after >= before


def test_readme_who_attributed_which_figure_when_by_curl(server, kg):
    """The README's curl example, run as written."""
    proc = subprocess.run(
        ["curl", "-s", "-H", "Accept: text/csv", "--data-urlencode", f"query@{ROOT / 'kg/queries/figures.rq'}",
         f"{server}/sparql"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0] == "claim,value,qualifier,indicator,claimant,reported_by,stated,stated_basis,as_of,source,quote"
    assert len(lines) == 1 + len(figures(kg))


def _kg_rows(kg, query: str) -> list[tuple[str, ...]]:
    result = kg_query(kg, query)
    return [tuple(t.value if t is not None else "" for t in row) for row in result.rows]


@pytest.mark.parametrize("fmt", [JSON, XML, CSV])
def test_sparqlwrapper_gets_the_same_answers_as_kg_query(server, kg, fmt):
    client = SPARQLWrapper(f"{server}/sparql")
    client.setQuery("PREFIX kg: <https://w3id.org/ua-children-kg/ontology#>\n"
                    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n" + WHO_WHEN)
    client.setReturnFormat(fmt)
    result = client.query().convert()
    expected = _kg_rows(kg, WHO_WHEN)
    if fmt == JSON:
        rows = [tuple(b[v]["value"] for v in ("value", "claimant", "stated")) for b in result["results"]["bindings"]]
    elif fmt == XML:
        rows = []  # SPARQLWrapper gives a DOM document for XML
        for r in result.getElementsByTagName("result"):
            values = {b.getAttribute("name"): b.firstChild.firstChild.data for b in r.getElementsByTagName("binding")}
            rows.append(tuple(values[v] for v in ("value", "claimant", "stated")))
    else:
        text = result.decode() if isinstance(result, bytes) else result
        rows = [tuple(r) for r in csv.reader(io.StringIO(text))][1:]
    assert rows == expected and len(rows) >= 5


def test_rdflib_sparqlstore_gets_the_same_answers_as_kg_query(server, kg):
    store = SPARQLStore(f"{server}/sparql", returnFormat="json")
    graph = rdflib.Graph(store)
    ns = {"kg": rdflib.Namespace("https://w3id.org/ua-children-kg/ontology#"), "rdfs": rdflib.RDFS}
    rows = [tuple(str(t) for t in row) for row in graph.query(WHO_WHEN, initNs=ns)]
    assert rows == _kg_rows(kg, WHO_WHEN)


def test_entity_iri_dereferences_on_the_real_server(server):
    status, body, _ = get(f"{server}/id/person-andriy-kostin", accept="text/turtle")
    assert status == 200
    g = rdflib.Graph().parse(data=body.decode(), format="turtle")
    assert (rdflib.URIRef("https://w3id.org/ua-children-kg/id/person-andriy-kostin"), rdflib.RDFS.label,
            rdflib.Literal("Andriy Kostin", lang="en")) in g


def test_serve_binds_loopback_by_default():
    """With no --host, the listening socket is bound to 127.0.0.1 (read from /proc/net/tcp)."""
    from .live import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--port", str(port), "--workers", "0"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        listening: set[str] = set()
        while not listening and time.monotonic() < deadline:
            with open("/proc/net/tcp") as f:
                for line in f.read().splitlines()[1:]:
                    local, state = line.split()[1], line.split()[3]
                    address, hex_port = local.split(":")
                    if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                        listening.add(address)
            time.sleep(0.1)
        assert listening == {"0100007F"}  # 127.0.0.1, little-endian hex
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_accepted_connections_have_tcp_nodelay():
    """The listening socket says TCP, so asyncio (as uvicorn runs it) sets TCP_NODELAY on every accepted
    connection: a small answer on a kept-alive connection is sent at once, not after a delayed ACK (~40 ms)."""
    import asyncio
    import socket

    from kg.web.server import bind

    async def run() -> int:
        sock = bind("127.0.0.1", 0)
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted = writer.get_extra_info("socket")
            seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=sock)
        async with server:
            _reader, writer = await asyncio.open_connection(*sock.getsockname()[:2])
            value = await asyncio.wait_for(seen, 10)
            writer.close()
        return value

    assert asyncio.run(run()) != 0
