"""Fixtures of the W3C harness: the live servers it talks to, and the summary of pass counts at the end."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx2 as httpx
import pytest

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
