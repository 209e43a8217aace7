"""The peer SPARQL servers the benches and tests start: Oxigraph server, Virtuoso 7.2 and rdflib-endpoint, each
on a free loopback port with its files in a directory the caller owns. One home for how each is started and
stopped, so the tests of ``kg publish`` / ``kg serve --store`` and the benches run the same servers.

Nothing here installs anything: ``oxigraph`` (the server binary, a test dependency on PyPI) is found next to the
running Python or on PATH, ``virtuoso-t`` comes from Debian's ``virtuoso-opensource`` (``.ci/install-debian-tools``),
and rdflib-endpoint from the bench's own virtualenv (``bench/bench_server.py``).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

#: Virtuoso's administrator account of a new database (the fixture's store is private to one test run).
VIRTUOSO_USER = "dba"
VIRTUOSO_PASSWORD = "dba"


def free_port() -> int:
    """A TCP port free on loopback now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def oxigraph_binary() -> str | None:
    """The ``oxigraph`` server binary: beside this Python (the test extra installs it) or on PATH."""
    here = Path(sys.executable).parent / "oxigraph"
    return str(here) if here.exists() else shutil.which("oxigraph")


def virtuoso_binary() -> str | None:
    """Debian's ``virtuoso-t``, when installed."""
    return shutil.which("virtuoso-t")


def terminate(proc: subprocess.Popen[bytes], *, grace_s: float) -> None:
    """Stop ``proc`` if it still runs: SIGTERM, then SIGKILL after ``grace_s`` seconds; waits for it."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Peer:
    """A running peer server: its endpoints (query, update, graph store; None where it has none), its process,
    and how to start it again on the same port and files (:meth:`restart`)."""

    name: str
    query_url: str
    update_url: str | None
    graph_store_url: str | None
    proc: subprocess.Popen[bytes]
    command: list[str]
    cwd: Path
    user: str | None = None
    password: str | None = None
    startup_s: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 60 s) and wait for it."""
        terminate(self.proc, grace_s=60)

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections are accepted by the kernel but never answered."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def restart(self, timeout: float = 120) -> None:
        """Start the server again with the same command, port and files, and wait until it answers."""
        self.stop()
        started = time.monotonic()
        self.proc = _popen(self.command, self.cwd)
        wait_ready(self.query_url, self.proc, timeout=timeout)
        self.startup_s = time.monotonic() - started


def _popen(command: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    log = (cwd / "server.log").open("ab")
    return subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def wait_ready(query_url: str, proc: subprocess.Popen[bytes], timeout: float = 900) -> None:
    """Wait until ``ASK {}`` gets a 200 from ``query_url``; RuntimeError when the server exits or never does."""
    url = query_url + "?" + urllib.parse.urlencode({"query": "ASK { }"})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{query_url}: the server exited with {proc.returncode}")
        try:
            req = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
            with urllib.request.urlopen(req, timeout=5) as r:
                if r.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{query_url}: the server did not become ready in {timeout:g} s")


def _oxigraph() -> str:
    binary = oxigraph_binary()
    if binary is None:
        raise RuntimeError("the oxigraph server binary is not installed (pip install oxigraph; the test extra)")
    return binary


def load_oxigraph(location: Path, files: list[Path]) -> float:
    """``oxigraph load`` of ``files`` into a new store in ``location`` (each file into the default graph, as
    Oxigraph's own bulk loader does); returns the seconds it took."""
    command = [_oxigraph(), "load", "--location", str(location)]
    for f in files:
        command += ["--file", str(f)]
    started = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def start_oxigraph(location: Path, *, timeout_s: float = 300, read_only: bool = False,
                   union_default_graph: bool = False) -> Peer:
    """``oxigraph serve`` (read-write: ``/query``, ``/update``, ``/store``) over the store in ``location``
    (created if new); ``read_only`` serves ``serve-read-only`` without the update endpoints;
    ``union_default_graph`` makes a query without a dataset see every graph (as kg and Virtuoso do)."""
    location.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [_oxigraph(), "serve-read-only" if read_only else "serve", "--location", str(location),
               "--bind", f"127.0.0.1:{port}", "--timeout-s", f"{timeout_s:g}",
               *(["--union-default-graph"] if union_default_graph else [])]
    started = time.monotonic()
    proc = _popen(command, location.parent)
    base = f"http://127.0.0.1:{port}"
    peer = Peer("oxigraph", base + "/query", None if read_only else base + "/update",
                None if read_only else base + "/store", proc, command, location.parent)
    wait_ready(peer.query_url, proc)
    peer.startup_s = time.monotonic() - started
    return peer


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 20
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {d}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
MaxQueryMem = 2G
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}/vsp
MaxClientConnections = 20
ServerThreads = 20
MaxKeepAlives = 20
KeepAliveTimeout = 10
EnabledDavVSP = 0
HTTPProxyEnabled = 0
Charset = UTF-8
EnabledGzipContent = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[SPARQL]
ResultSetMaxRows = 10000000
MaxSortedTopRows = 10000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = {timeout_s}
MaxConstructTriples = 10000000
"""


def start_virtuoso(directory: Path, *, timeout_s: int = 300, buffers: int = 170_000) -> Peer:
    """Virtuoso 7.2 (``virtuoso-t +foreground``) with a new database in ``directory`` and an ini file written
    there: SPARQL at ``/sparql``, updates at ``/sparql-auth`` and the Graph Store at ``/sparql-graph-crud-auth``
    (both with digest authentication as ``dba``), loopback only. ``buffers`` are 8 KiB pages of cache (the
    default 170,000 is Virtuoso's advice for 2 GB); the result-size caps are lifted so answers are whole."""
    binary = virtuoso_binary()
    if binary is None:
        raise RuntimeError("virtuoso-t is not installed (apt-get install virtuoso-opensource; "
                           ".ci/install-debian-tools)")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vsp").mkdir(exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(d=directory, sql_port=sql_port, http_port=http_port, buffers=buffers,
                                       dirty=buffers * 3 // 4, timeout_s=timeout_s))
    command = [binary, "+foreground", "+configfile", str(ini)]
    started = time.monotonic()
    proc = _popen(command, directory)
    base = f"http://127.0.0.1:{http_port}"
    peer = Peer("virtuoso", base + "/sparql", base + "/sparql-auth", base + "/sparql-graph-crud-auth", proc,
                command, directory, user=VIRTUOSO_USER, password=VIRTUOSO_PASSWORD)
    wait_ready(peer.query_url, proc, timeout=300)
    peer.startup_s = time.monotonic() - started
    return peer


def load_virtuoso(peer: Peer, files: list[tuple[Path, str]]) -> float:
    """PUT each ``(Turtle file, graph IRI)`` into a running Virtuoso through its Graph Store endpoint (digest
    authentication as ``dba``); returns the seconds it took."""
    import httpx2 as httpx

    assert peer.graph_store_url is not None
    started = time.monotonic()
    with httpx.Client(auth=httpx.DigestAuth(peer.user or "", peer.password or ""), timeout=3600) as client:
        for path, graph in files:
            response = client.put(peer.graph_store_url, params={"graph": graph}, content=path.read_bytes(),
                                  headers={"Content-Type": "text/turtle"})
            if response.status_code >= 300:
                raise RuntimeError(f"{path}: Virtuoso answered {response.status_code} {response.text[:300]}")
    return time.monotonic() - started


def start_rdflib_endpoint(bin_dir: Path, files: list[Path], cwd: Path) -> Peer:
    """rdflib-endpoint (from the bench's own virtualenv ``bin_dir``) serving ``files`` from memory."""
    port = free_port()
    command = [str(bin_dir / "rdflib-endpoint"), "serve", "--host", "127.0.0.1", "--port", str(port),
               *map(str, files)]
    started = time.monotonic()
    proc = _popen(command, cwd)
    peer = Peer("rdflib-endpoint", f"http://127.0.0.1:{port}/", None, None, proc, command, cwd)
    wait_ready(peer.query_url, proc, timeout=1800)
    peer.startup_s = time.monotonic() - started
    return peer
