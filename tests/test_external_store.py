"""An external SPARQL store, for real: ``kg publish`` fills Oxigraph server and Virtuoso 7.2 (started by
:mod:`bench.peers` on free loopback ports, files in temporary directories), ``kg serve --store`` answers from
each as the embedded store does, a store that stops or hangs gives 502 / 504 and is used again once back, and a
publish cut short leaves every graph whole."""

from __future__ import annotations

import http.server
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from bench.peers import Peer, oxigraph_binary, start_oxigraph, start_virtuoso, virtuoso_binary
from kg.errors import PublishFailed
from kg.graph import load
from kg.remote import store as remote_store
from kg.remote.http import StoreClient
from kg.remote.manifest import MANIFEST_GRAPH
from kg.remote.publish import Publisher, publish
from kg.settings import Settings
from kg.web import create_app

from .conftest import ROOT
from .live import live_server

STARTERS = {"oxigraph": (oxigraph_binary, lambda d: start_oxigraph(d / "store")),
            "virtuoso": (virtuoso_binary, start_virtuoso)}


def _needs(name: str) -> None:
    """Skip only outside CI: the README's install puts both servers on a CI machine (see test_clients)."""
    if STARTERS[name][0]() is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed; the README's test command installs it")
        pytest.skip(f"{name} is not installed")


def _settings(peer: Peer, **changes: object) -> Settings:
    return Settings(root=ROOT, store_url=peer.query_url, graph_store_url=peer.graph_store_url,
                    store_update_url=peer.update_url, store_user=peer.user, store_password=peer.password,
                    **changes)  # type: ignore[arg-type]


def _env(peer: Peer) -> dict[str, str]:
    return {k: v for k, v in {"KG_STORE_USER": peer.user, "KG_STORE_PASSWORD": peer.password}.items() if v}


@pytest.fixture(scope="module", params=sorted(STARTERS))
def peer(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    _needs(request.param)
    started = STARTERS[request.param][1](tmp_path_factory.mktemp(request.param))
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def published(peer: Peer) -> subprocess.CompletedProcess[str]:
    """``kg publish`` of the repository into the peer, through the CLI (the check runs first)."""
    return subprocess.run([sys.executable, "-m", "kg", "publish", "--to", peer.graph_store_url or "",
                           "--update", peer.update_url or ""], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **_env(peer)}, timeout=600)


@pytest.fixture(scope="module")
def embedded() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(root=ROOT, workers=0))) as client:
        yield client


@pytest.fixture(scope="module")
def served(peer: Peer, published: subprocess.CompletedProcess[str]) -> Iterator[str]:
    """A real ``kg serve --store`` over the peer, one worker, a short timeout (for the 504 test)."""
    assert published.returncode == 0, published.stderr
    with live_server(["--store", peer.query_url, "--workers", "1", "--timeout", "3"]) as base:
        yield base


def get(url: str, accept: str = "application/json") -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def sparql(base: str, query: str, accept: str = "application/sparql-results+json") -> tuple[int, bytes]:
    return get(base + "/sparql?" + urllib.parse.urlencode({"query": query}), accept)


def test_publish_adds_every_file_and_the_inferred_graph_then_changes_nothing(peer, published):
    assert published.returncode == 0, published.stderr
    kg = load(settings=Settings(root=ROOT), reasoning=Settings(root=ROOT).reasoning)
    lines = published.stdout.splitlines()
    assert sorted(lines) == sorted(f"added {g}" for g in [*kg.graph_names, "https://w3id.org/ua-children-kg/graph/inferred"])
    again = publish(_settings(peer), kg)
    assert (again.added, again.replaced, again.removed) == ([], [], [])
    assert len(again.unchanged) == len(lines)


def _normalised(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """GROUP_CONCAT's order is the engine's (SPARQL 1.1 §18.5.1.7): joined lists compared as sets."""
    return [{k: sorted(v.replace("; ", ", ").split(", ")) if k in ("scope", "claimant") else v
             for k, v in r.items()} for r in rows]


def test_figures_and_compare_through_the_store_match_the_embedded_store(served, embedded):
    for path in ("/figures.json", "/compare.json"):
        status, body = get(served + path)
        assert status == 200, body
        mine, theirs = json.loads(body), embedded.get(path).json()
        rows = (mine["rows"], theirs["rows"]) if isinstance(mine, dict) else (mine, theirs)
        assert rows[0], path
        assert _normalised(rows[0]) == _normalised(rows[1]), path


def test_protocol_answers_match_the_embedded_store(served, embedded):
    select = "SELECT ?c ?v WHERE { ?c a kg:QuantityClaim ; kg:value ?v } ORDER BY ?c"
    status, body = sparql(served, select)
    assert status == 200
    reference = embedded.get("/sparql", params={"query": select}, headers={"Accept": "application/sparql-results+json"})
    assert json.loads(body)["results"] == reference.json()["results"]
    status, body = sparql(served, "ASK { ?c a kg:QuantityClaim }")
    assert (status, json.loads(body)["boolean"]) == (200, True)
    claim = json.loads(body := sparql(served, select)[1])["results"]["bindings"][0]["c"]["value"]
    construct = f"CONSTRUCT {{ <{claim}> ?p ?o }} WHERE {{ <{claim}> ?p ?o }}"
    status, body = sparql(served, construct, "application/n-triples")
    reference = embedded.get("/sparql", params={"query": construct}, headers={"Accept": "application/n-triples"})
    def unlabelled(data: bytes) -> list[bytes]:  # blank node labels are each store's own
        return sorted(re.sub(rb"_:\w+", b"_:b", line) for line in data.splitlines())

    assert status == 200 and unlabelled(body) == unlabelled(reference.content)


def test_refusals_happen_before_the_store_is_asked(served):
    status, body = sparql(served, "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }")
    assert status == 403 and json.loads(body)["status"] == 403
    status, body = sparql(served, "INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert status == 403 and "read-only" in json.loads(body)["error"]


def test_entity_pages_void_and_dumps_come_from_the_store(served, embedded):
    status, body = get(served + "/id/state-ua", "text/turtle")
    reference = embedded.get("/id/state-ua", headers={"Accept": "text/turtle"})
    assert status == 200
    mine = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(body, ox.RdfFormat.TURTLE))
    theirs = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(reference.content,
                                                                                    ox.RdfFormat.TURTLE))
    assert len(mine) == len(theirs) > 0
    status, body = get(served + "/dump.nq", "*/*")
    reference = embedded.get("/dump.nq")
    assert status == 200 and len(list(ox.parse(body, ox.RdfFormat.N_QUADS))) == len(
        list(ox.parse(reference.content, ox.RdfFormat.N_QUADS)))
    status, body = get(served + "/.well-known/void", "text/turtle")
    assert status == 200 and b"void:triples" in body.replace(b"http://rdfs.org/ns/void#triples", b"void:triples")


def test_settings_page_never_shows_the_password(peer):
    settings = _settings(peer, workers=0).replace(store_password="s3cret-value")
    with TestClient(create_app(settings)) as client:
        body = client.get("/-/settings.json").text
    assert "s3cret-value" not in body and "s3cret-value" not in repr(settings)


def test_a_stopped_store_gives_502_and_a_restarted_one_answers_again(served, peer):
    peer.stop()
    status, body = sparql(served, "ASK { ?s ?p ?o }")
    assert status == 502 and json.loads(body)["status"] == 502
    assert "unreachable" in json.loads(body)["error"]
    peer.restart()
    status, body = sparql(served, "ASK { ?s ?p ?o }")
    assert status == 200 and json.loads(body)["boolean"] is True


def test_a_hung_store_gives_504_within_the_timeout(served, peer):
    peer.pause()
    try:
        status, body = sparql(served, "SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    finally:
        peer.resume()
    assert status == 504 and "KG_QUERY_TIMEOUT_S" in json.loads(body)["error"]
    assert sparql(served, "ASK { ?s ?p ?o }")[0] == 200


# --- interrupted publishes ----------------------------------------------------------------------------------

def _small_root(tmp: Path, version: int) -> Path:
    """A repository of the ontology and two small data files whose content depends on ``version``."""
    root = tmp / "root"
    if not root.exists():
        shutil.copytree(ROOT / "ontology", root / "ontology")
        shutil.copytree(ROOT / "shapes", root / "shapes")
    (root / "data").mkdir(exist_ok=True)
    for name in ("a", "b"):
        (root / "data" / f"{name}.ttl").write_text(
            f"<https://w3id.org/ua-children-kg/id/{name}> <http://www.w3.org/2000/01/rdf-schema#label> "
            f"\"{name} version {version}\" .\n" + "".join(
                f"<https://w3id.org/ua-children-kg/id/{name}-{i}> <http://www.w3.org/2000/01/rdf-schema#label> "
                f"\"{name} {i} v{version}\" .\n" for i in range(version * 3)))
    return root


def _canonical(items: Iterator[ox.Quad] | Iterator[ox.Triple]) -> ox.Dataset:
    """The triples as one canonical graph (blank nodes relabelled by their place, RDFC-1.0's idea)."""
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in items)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return dataset


def _assert_whole(settings: Settings) -> None:
    """Every graph the manifest lists holds exactly the file content whose hash it records; no staging left
    behind is listed as published."""
    publisher = Publisher(settings)
    manifest = publisher.manifest()
    assert manifest.entries
    for entry in manifest.entries.values():
        data = publisher.client.get_graph(settings.graph_store_url or "", entry.graph) or b""
        stored = _canonical(ox.parse(data, ox.RdfFormat.TURTLE))
        versions = []
        for version in (1, 2):
            _small_root(settings.root.parent, version)
            versions.append(load(settings=settings))
        matching = [v for v in versions if any(s.graph == entry.graph and s.sha256 == entry.sha256
                                                for s in v.sources)]
        assert matching, entry  # the ontology is the same in both versions
        expected = _canonical(matching[0].store.quads_for_pattern(None, None, None, ox.NamedNode(entry.graph)))
        assert stored == expected, entry.graph


class _FailingProxy(http.server.ThreadingHTTPServer):
    """Forwards to ``target``; the ``fail_at``-th request (1-based) gets a 500 without reaching it; each request
    but a read of the manifest is held ``delay_s`` seconds first."""

    def __init__(self, target: str, fail_at: int, delay_s: float = 0.0) -> None:
        self.target, self.fail_at, self.count, self.delay_s = target, fail_at, 0, delay_s
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    server: _FailingProxy

    def log_message(self, *args: object) -> None:
        return

    def _forward(self) -> None:
        self.server.count += 1
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if urllib.parse.quote_plus(MANIFEST_GRAPH).encode() not in body:  # opening the graph is left quick
            time.sleep(self.server.delay_s)
        if self.server.count == self.server.fail_at:
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        req = urllib.request.Request(self.server.target + self.path, data=body if body else None,
                                     method=self.command,
                                     headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, headers, data = r.status, r.headers, r.read()
        except urllib.error.HTTPError as err:
            status, headers, data = err.code, err.headers, err.read()
        self.send_response(status)
        for k, v in headers.items():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = _forward


@pytest.fixture(scope="module")
def scratch_oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    _needs("oxigraph")
    started = start_oxigraph(tmp_path_factory.mktemp("scratch") / "store")
    try:
        yield started
    finally:
        started.stop()


@pytest.mark.parametrize("fail_at", [2, 3, 4, 6])
def test_a_store_failing_on_the_nth_request_leaves_every_graph_whole(scratch_oxigraph, tmp_path, fail_at):
    base = f"http://127.0.0.1:{scratch_oxigraph.query_url.split(':')[2].split('/')[0]}"
    settings = Settings(root=_small_root(tmp_path, 1), reasoning="none",
                        graph_store_url=scratch_oxigraph.graph_store_url, store_update_url=scratch_oxigraph.update_url)
    publish(settings)
    _small_root(tmp_path, 2)
    proxy = _FailingProxy(base, fail_at)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        port = proxy.server_address[1]
        failing = settings.replace(graph_store_url=f"http://127.0.0.1:{port}/store",
                                   store_update_url=f"http://127.0.0.1:{port}/update")
        with pytest.raises(PublishFailed, match="run kg publish again"):
            publish(failing)
    finally:
        proxy.shutdown()
    _small_root(tmp_path, 2)
    _assert_whole(settings)
    _small_root(tmp_path, 2)
    report = publish(settings)
    assert not report.added and not report.removed
    assert all(g.endswith(("data/a.ttl", "data/b.ttl")) for g in report.replaced)


KILL_AFTER_FIRST_GRAPH = """
import os, signal, sys
from pathlib import Path
from kg.remote.publish import publish
from kg.settings import Settings
settings = Settings(root=Path(sys.argv[1]), reasoning="none", graph_store_url=sys.argv[2], store_update_url=sys.argv[3])
publish(settings, progress=lambda line: os.kill(os.getpid(), signal.SIGKILL))
"""


def test_a_publish_killed_between_graphs_leaves_the_store_consistent(scratch_oxigraph, tmp_path):
    root = _small_root(tmp_path, 1)
    settings = Settings(root=root, reasoning="none", graph_store_url=scratch_oxigraph.graph_store_url,
                        store_update_url=scratch_oxigraph.update_url)
    publish(settings)
    _small_root(tmp_path, 2)
    proc = subprocess.run([sys.executable, "-c", KILL_AFTER_FIRST_GRAPH, str(root), settings.graph_store_url or "",
                           settings.store_update_url or ""], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == -9, proc.stderr
    _assert_whole(settings)
    _small_root(tmp_path, 2)
    report = publish(settings)
    assert len(report.replaced) == 1 and len(report.unchanged) >= 2
    assert Publisher(settings).client.get_graph(settings.graph_store_url or "", MANIFEST_GRAPH)


def test_publish_without_an_endpoint_is_a_usage_error_before_any_check():
    proc = subprocess.run([sys.executable, "-m", "kg", "publish", "--update", "http://127.0.0.1:9/update"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={k: v for k, v in os.environ.items() if not k.startswith("KG_")})
    assert proc.returncode == 2 and "KG_GRAPH_STORE_URL" in proc.stderr and "root" not in proc.stderr


def test_publish_of_data_that_does_not_conform_sends_nothing(tmp_path):
    root = _small_root(tmp_path, 1)
    (root / "data" / "bad.ttl").write_text("<https://w3id.org/ua-children-kg/id/x> a "
                                         "<https://w3id.org/ua-children-kg/ontology#QuantityClaim> .\n")
    proc = subprocess.run([sys.executable, "-m", "kg", "publish", "--root", str(root), "--reasoning", "none",
                           "--to", "http://127.0.0.1:9/store", "--update", "http://127.0.0.1:9/update"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "nothing published" in proc.stderr and proc.stdout == ""


# Virtuoso only: Oxigraph's default graph is the union only with --union-default-graph (the bench runs that).
@pytest.mark.parametrize("peer", ["virtuoso"], indirect=True)
def test_the_union_dataset_mode_answers_the_same_figures_from_virtuoso(peer, published, embedded):
    with TestClient(create_app(_settings(peer, workers=0, store_dataset="union"))) as client:
        mine = client.get("/figures.json").json()
    theirs = embedded.get("/figures.json").json()
    assert _normalised(mine["rows"] if isinstance(mine, dict) else mine) == _normalised(
        theirs["rows"] if isinstance(theirs, dict) else theirs)


# --- reading answers ----------------------------------------------------------------------------------------

class _CountingBody(io.BytesIO):
    """A response body that counts the bytes read from it."""

    taken = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.taken += len(data)
        return data


def _virtuoso_answer(labels: int) -> bytes:
    rows = "".join(f"<result><binding name=\"b\"><bnode>nodeID://b{i}</bnode></binding></result>"
                   for i in range(labels))
    return (f'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>'
            f'<variable name="b"/></head><results>{rows}</results></sparql>').encode()


@pytest.mark.parametrize("piece", [5, 16, 17, 64, 1 << 16])
def test_virtuoso_blank_node_labels_are_read_whole_across_piece_boundaries(monkeypatch, piece):
    monkeypatch.setattr(remote_store, "PIECE_BYTES", piece)
    answer = _virtuoso_answer(200)
    rows = list(remote_store._results("application/sparql-results+xml", io.BytesIO(answer)))
    assert [row["b"].value for row in rows] == [f"b{i}" for i in range(200)]


def test_a_large_answer_is_read_a_piece_at_a_time_not_all_ahead():
    """The parser's small reads never make the reader take the body far ahead of what it hands on: held data
    stays within two pieces (reading ahead without bound made each read copy all that was
    held, quadratic in the answer's size)."""
    answer = _virtuoso_answer(20_000)
    body = _CountingBody(answer)
    reader = io.BufferedReader(remote_store._Unprefixed(body), 8192)
    handed = bytearray()
    while chunk := reader.read(4096):
        handed += chunk
        removed = handed.count(b"<bnode>") * len(b"nodeID://")
        assert body.taken - len(handed) - removed <= 2 * remote_store.PIECE_BYTES
    assert bytes(handed) == answer.replace(b"nodeID://", b"")


def test_void_counts_are_computed_by_the_store_not_streamed(peer, published, embedded, monkeypatch):
    """The VoID description's counts, the inferred graph's included, each come from one aggregate query: no
    request asks the store for every quad of a graph (at 100,000 claims that is millions of rows parsed here)."""
    assert published.returncode == 0, published.stderr
    sent: list[str] = []
    original = StoreClient.query

    def recording(self: StoreClient, url: str, sparql: str, **options: object) -> object:
        sent.append(sparql)
        return original(self, url, sparql, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(StoreClient, "query", recording)
    with TestClient(create_app(_settings(peer, workers=0))) as client:
        sent.clear()  # what opening the graph asked (the manifest) is not the description's
        mine = client.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    theirs = embedded.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    assert mine.status_code == 200 and sent
    streamed = [text for text in sent if "SELECT *" in text or ("COUNT" not in text and "DISTINCT" not in text)]
    assert streamed == []

    def counts(body: bytes) -> list[bytes]:
        return sorted(line.split(b" ", 1)[1] for line in body.splitlines() if b"void#triples" in line)

    assert counts(mine.content) == counts(theirs.content) and len(counts(mine.content)) >= 2


def test_serve_store_needs_no_local_checkout(peer, published, embedded, tmp_path):
    """``kg serve --store`` from a directory holding none of the data files: the sources and the data version
    come from the store's manifest, and pages, figures, dereferencing, VoID and the ontology's documentation answer
    as the embedded store."""
    assert published.returncode == 0, published.stderr
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    with live_server(["--root", str(empty), "--store", peer.query_url, "--workers", "1"]) as base:
        version = json.loads(get(base + "/-/version.json")[1])
        reference = embedded.get("/-/version.json").json()
        assert version["data_version"] == reference["data_version"]
        assert version["graphs"] == reference["graphs"]
        status, body = get(base + "/", "text/html")
        assert status == 200 and reference["data_version"][:12].encode() in body
        status, body = get(base + "/figures.json")
        rows = json.loads(body)
        theirs = embedded.get("/figures.json").json()
        assert status == 200 and _normalised(rows["rows"] if isinstance(rows, dict) else rows) == _normalised(
            theirs["rows"] if isinstance(theirs, dict) else theirs)
        status, body = get(base + "/id/state-ua", "text/turtle")
        assert status == 200 and len(list(ox.parse(body, ox.RdfFormat.TURTLE))) > 0
        status, body = get(base + "/.well-known/void", "application/n-triples")
        assert status == 200 and b"void#triples" in body
        status, body = get(base + "/ontology", "text/html")
        assert status == 200 and embedded.get("/ontology", headers={"Accept": "text/html"}).text.count(
            'class="concept"') == body.decode().count('class="concept"') > 0
    assert list(empty.iterdir()) == []


def test_work_done_once_per_version_outlasts_the_request_timeout(peer, published, embedded):
    """The figures view and the VoID counts are computed once per data version and bounded by the pool, not by
    KG_QUERY_TIMEOUT_S: a store slower than that (here every answer held 1.5 s, the timeout 1 s; at 100,000
    claims the figures query takes Virtuoso 16 s) still gives them, while a request's own query gets 504."""
    assert published.returncode == 0, published.stderr
    path = urllib.parse.urlsplit(peer.query_url)
    proxy = _FailingProxy(f"{path.scheme}://{path.netloc}", fail_at=0, delay_s=1.5)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        slow = f"http://127.0.0.1:{proxy.server_address[1]}{path.path}"
        settings = _settings(peer, workers=0, light_workers=0, query_timeout_s=1.0).replace(store_url=slow)
        with TestClient(create_app(settings)) as client:
            figures = client.get("/figures.json")
            void = client.get("/.well-known/void", headers={"Accept": "application/n-triples"})
            asked = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"},
                               headers={"Accept": "application/sparql-results+json"})
    finally:
        proxy.shutdown()
        proxy.server_close()
    theirs = embedded.get("/figures.json").json()
    assert figures.status_code == 200, figures.text
    mine = figures.json()
    assert len(mine["rows"] if isinstance(mine, dict) else mine) == len(theirs["rows"] if isinstance(theirs, dict)
                                                                         else theirs) > 0
    assert void.status_code == 200 and b"void#triples" in void.content
    assert asked.status_code == 504 and "KG_QUERY_TIMEOUT_S" in asked.json()["error"]
