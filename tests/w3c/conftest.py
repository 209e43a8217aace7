"""Fixtures of the W3C harness: the live servers it talks to, and the summary of pass counts at the end."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pyoxigraph as ox
import pytest

from bench.peers import oxigraph_binary, start_oxigraph
from kg.graph import KnowledgeGraph, SourceFile
from kg.remote.publish import publish
from kg.settings import Settings

from ..live import live_server
from .harness import TALLY, ProtocolServer, protocol_graphs, summary_lines, write_dataset
from .manifest import data_files, query_tests


@pytest.fixture(scope="session")
def w3c_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A client of ONE server for every query test: it holds every data file of every test (approved or not) as a
    named graph called by the file's W3C IRI. One process for the session, since starting one per test is slow."""
    folder = tmp_path_factory.mktemp("w3c-query")
    nq = folder / "w3c-query-data.nq"
    files = data_files(query_tests())
    write_dataset([(iri, iri) for iri in files], nq)
    with live_server(["--data", str(nq)]) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
def w3c_store_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A client of ``kg serve --store`` over a real Oxigraph server into which ``kg publish`` wrote every data file
    of every query test as its own graph (named by the file's W3C IRI); the server runs from an empty directory,
    so every answer comes from the external store."""
    if oxigraph_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("the oxigraph server binary is not installed; the README's test command installs it")
        pytest.skip("the oxigraph server binary is not installed")
    folder = tmp_path_factory.mktemp("w3c-store")
    nq = folder / "w3c-query-data.nq"
    write_dataset([(iri, iri) for iri in data_files(query_tests())], nq)
    store = ox.Store()
    store.load(path=str(nq), format=ox.RdfFormat.N_QUADS)
    # one source per graph, hashed by its content: what kg publish sends is exactly each graph's triples
    sources = [SourceFile(path=Path(str(g.value).rsplit("/", 1)[-1]), graph=g.value, size=0, sha256=hashlib.sha256(
        ox.serialize(store.quads_for_pattern(None, None, None, g), format=ox.RdfFormat.N_QUADS) or b"").hexdigest())
        for g in sorted(store.named_graphs(), key=lambda g: g.value)]
    peer = start_oxigraph(folder / "store")
    try:
        empty = folder / "empty"
        empty.mkdir()
        settings = Settings(root=empty, reasoning="none", graph_store_url=peer.graph_store_url,
                            store_update_url=peer.update_url)
        publish(settings, KnowledgeGraph(store=store, sources=sources, settings=settings))
        with live_server(["--root", str(empty), "--store", peer.query_url, "--reasoning", "none"]) as base, \
                httpx.Client(base_url=base, timeout=60) as client:
            yield client
    finally:
        peer.stop()


@pytest.fixture(scope="session")
def protocol_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProtocolServer]:
    """``protocol_server(graphs)`` is the base URL of a server holding exactly ``graphs`` (``(graph name, W3C file
    IRI)`` pairs); one server per distinct start state, started on first use and stopped after the session."""
    servers: dict[tuple[tuple[str, str], ...], str] = {}
    with contextlib.ExitStack() as stack:
        def start(graphs: tuple[tuple[str, str], ...]) -> str:
            key = protocol_graphs(graphs)
            if key not in servers:
                nq = tmp_path_factory.mktemp("w3c-protocol") / "protocol-data.nq"
                write_dataset(key, nq)
                servers[key] = stack.enter_context(live_server(["--data", str(nq)]))
            return servers[key]

        yield start


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the pass counts (they go into the README), whether or not output is captured."""
    if not TALLY:
        return
    terminalreporter.section("W3C SPARQL 1.1 conformance")
    for line in summary_lines():
        terminalreporter.write_line(line)
