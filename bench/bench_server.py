"""Side-by-side server benchmark: kg vs Oxigraph server vs Virtuoso vs rdflib-endpoint, over HTTP on loopback.

Run (from the repository root, after the README's install):

    .venv/bin/python bench/bench_server.py                      # 10k and 100k claims
    .venv/bin/python bench/bench_server.py --sizes 1000 --repeat 5   # a quick run

In one run on one machine it generates the same synthetic graph (``kg synth``) for each size, loads it into
each server, and measures start-up, p50/p95 latency of the headline queries, throughput with 8 concurrent
clients and the peak memory (PSS) of each server's process tree. It prints a markdown table with ratios and writes the
raw numbers to ``bench/results/server.json``. The peers are started by :mod:`bench.peers`: ``oxigraph`` (the
server binary on PyPI, a test dependency), Virtuoso 7.2 (Debian's ``virtuoso-opensource``, as the README's
install brings it; each file PUT into its own graph) and rdflib-endpoint (installed into ``bench/.peers``, a
separate virtualenv, so its pins never touch ours). Every query's rows are counted on every server and
compared with kg's. Machines are shared and noisy: compare the ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / ".peers"
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

from bench import peers  # noqa: E402
from bench.peers import Peer, free_port, terminate, wait_ready  # noqa: E402

PREFIXES = """PREFIX kg: <https://w3id.org/ua-children-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


def ensure_peers() -> Path:
    """A virtualenv with rdflib-endpoint (created once)."""
    bin_dir = PEERS / "bin"
    if not (bin_dir / "rdflib-endpoint").exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
        subprocess.run([str(bin_dir / "pip"), "install", "-q", "rdflib-endpoint==0.6.3", "uvicorn"], check=True)
    return bin_dir


# --- process tree memory ------------------------------------------------------------------------------------

def tree_memory_kib(pid: int) -> int:
    """Memory of a process and all its descendants (KiB): the sum of their proportional set sizes (PSS, from
    /proc/PID/smaps_rollup). Not RSS: kg's workers are forked from one loaded graph and share its pages, and
    summing RSS would count every shared page once per worker. For a single process PSS equals RSS minus its
    share of shared libraries, so the peers are measured the same way."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
        todo.extend(children.get(current, []))
    return total


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, tree_memory_kib(self.pid))
            time.sleep(0.2)


# --- servers ------------------------------------------------------------------------------------------------

@dataclass
class Server:
    name: str
    endpoint: str
    proc: subprocess.Popen[bytes]
    startup_s: float
    cold_load_s: float | None = None
    sampler: RssSampler | None = None
    extra: dict[str, float] = field(default_factory=dict)

    def stop(self) -> int:
        peak = self.sampler.peak if self.sampler else 0
        if self.sampler:
            self.sampler.running = False
        terminate(self.proc, grace_s=30)
        return peak


def start_kg(data_dir: Path, store_dir: Path | None, workers: int) -> Server:
    """kg serving the data from a persisted store (``store_dir``) or, with None, from memory (the default)."""
    # KG_REASONING=none: the peers serve the data as written
    env = {**os.environ, "KG_QUERY_TIMEOUT_S": "300", "KG_MAX_ROWS": "0", "KG_WORKERS": str(workers),
           "KG_REASONING": "none"}
    persist = ["--store-dir", str(store_dir)] if store_dir is not None else []
    return launch_kg(data_dir, env, persist)


def launch_kg(data_dir: Path, env: dict[str, str], flags: list[str]) -> Server:
    """``kg serve`` of the ontology and ``data_dir`` on a free port with ``env`` and extra ``flags``, its
    memory sampled from the start; returns once it answers."""
    port = free_port()
    cmd = [sys.executable, "-m", "kg", "serve", "--port", str(port), *flags,
           "--data", str(ROOT / "ontology"), "--data", str(data_dir)]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sampler = RssSampler(proc.pid)
    sampler.start()
    endpoint = f"http://127.0.0.1:{port}/sparql"
    wait_ready(endpoint, proc)
    return Server("kg", endpoint, proc, time.monotonic() - start, sampler=sampler)


def turtle_files(data_dir: Path) -> list[Path]:
    return [ROOT / "ontology" / "kg.ttl", *sorted(data_dir.rglob("*.ttl"))]


def _sampled(peer: Peer, cold_load_s: float | None = None) -> Server:
    """A peer as this bench measures it: its process tree's memory sampled from now on."""
    sampler = RssSampler(peer.proc.pid)
    sampler.start()
    return Server(peer.name, peer.query_url, peer.proc, peer.startup_s, cold_load_s=cold_load_s, sampler=sampler)


def start_oxigraph(data_dir: Path, location: Path) -> Server:
    cold = peers.load_oxigraph(location, turtle_files(data_dir))
    return _sampled(peers.start_oxigraph(location, read_only=True, union_default_graph=True), cold)


def start_virtuoso(data_dir: Path, directory: Path) -> Server:
    """Virtuoso with each file in its own graph (a query without a dataset sees them all, as kg's does)."""
    from kg.graph import graph_iri
    from kg.settings import Settings

    settings = Settings(root=ROOT)
    peer = peers.start_virtuoso(directory)
    started = time.monotonic()
    peers.load_virtuoso(peer, [(f, graph_iri(f, settings)) for f in turtle_files(data_dir)])
    return _sampled(peer, time.monotonic() - started + peer.startup_s)


def start_rdflib_endpoint(bin_dir: Path, data_dir: Path, work: Path) -> Server:
    return _sampled(peers.start_rdflib_endpoint(bin_dir, turtle_files(data_dir), work))


# --- measurements -------------------------------------------------------------------------------------------

def timed_get(url: str, accept: str = "application/sparql-results+json", timeout: float = 600) -> float:
    req = urllib.request.Request(url, headers={"Accept": accept})
    start = time.monotonic()
    with urllib.request.urlopen(req, timeout=timeout) as r:
        while r.read(1 << 16):
            pass
        if r.status != 200:
            raise RuntimeError(f"HTTP {r.status}")
    return time.monotonic() - start


def query_url(endpoint: str, query: str) -> str:
    return endpoint + "?" + urllib.parse.urlencode({"query": query})


def latency(fn: Callable[[], float], repeat: int, warmup: int = 1, budget_s: float = 240) -> dict[str, float]:
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    started = time.monotonic()
    for _ in range(repeat):
        samples.append(fn())
        if time.monotonic() - started > budget_s and len(samples) >= 3:
            break  # slow peers: enough samples for a median within the time budget
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return {"p50_ms": statistics.median(samples) * 1000, "p95_ms": p95 * 1000, "n": len(samples)}


def throughput(url: str, clients: int = 8, seconds: float = 10) -> float:
    """Completed requests per second with ``clients`` concurrent clients that start requests for ``seconds``;
    divided by the time until the last one finished (a slow query outlasts the window)."""
    start = time.monotonic()
    deadline = start + seconds
    counts = [0] * clients

    def client(i: int) -> None:
        while time.monotonic() < deadline:
            timed_get(url)
            counts[i] += 1

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return sum(counts) / (time.monotonic() - start)


def queries(actor: str, claim: str) -> dict[str, str]:
    figures = (ROOT / "kg" / "queries" / "figures.rq").read_text()
    return {
        "figures, first 100 rows": figures + "\nLIMIT 100",
        "figures, all rows": figures,
        "per-indicator aggregate": (ROOT / "kg" / "queries" / "per-indicator.rq").read_text(),
        "selective lookup": PREFIXES + f"SELECT ?c ?v WHERE {{ ?c kg:attributedTo <{actor}> ; kg:value ?v . "
                                       "FILTER(?v > 1000) }",
        "CONSTRUCT one claim": f"CONSTRUCT {{ <{claim}> ?p ?o }} WHERE {{ <{claim}> ?p ?o }}",
    }


def sample_iris(endpoint: str) -> tuple[str, str]:
    q = PREFIXES + "SELECT ?c ?a WHERE { ?c a kg:QuantityClaim ; kg:attributedTo ?a } LIMIT 1"
    req = urllib.request.Request(query_url(endpoint, q), headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(req) as r:
        b = json.load(r)["results"]["bindings"][0]
    return b["a"]["value"], b["c"]["value"]


def answer_rows(url: str, accept: str) -> int:
    """How many rows (SELECT) or triples (CONSTRUCT, asked for as N-Triples) an answer has."""
    graph = accept != "application/sparql-results+json"
    req = urllib.request.Request(url, headers={"Accept": "application/n-triples" if graph else accept})
    with urllib.request.urlopen(req, timeout=900) as r:
        body = r.read()
    if graph:
        return sum(1 for line in body.splitlines() if line.strip())
    return len(json.loads(body)["results"]["bindings"])


def measure(server: Server, qs: dict[str, str], repeat: int, heavy_repeat: int, *,
            light: bool = False) -> dict[str, object]:
    """Latencies and row counts of every query and the throughput; ``light`` (for a slow peer at a large size):
    no warm-up, ``heavy_repeat`` samples of the heavy queries, no throughput run."""
    out: dict[str, object] = {"startup_s": server.startup_s, "cold_load_s": server.cold_load_s, "rows": {}}
    for name, text in qs.items():
        accept = "text/turtle" if text.lstrip().startswith("CONSTRUCT") else "application/sparql-results+json"
        url = query_url(server.endpoint, text)
        out["rows"][name] = answer_rows(url, accept)  # type: ignore[index]
        heavy = name.startswith(("figures", "per-indicator"))
        out[name] = latency(lambda url=url, accept=accept: timed_get(url, accept),
                            heavy_repeat if heavy else repeat, warmup=0 if light and heavy else 1)
    if not light:
        out["throughput_rps (figures first page, 8 clients)"] = throughput(query_url(server.endpoint, qs[
            "figures, first 100 rows"]), seconds=10 if server.name != "rdflib-endpoint" else 20)
    return out


def headline_views(server: Server, repeat: int) -> dict[str, object]:
    base = server.endpoint.rsplit("/sparql", 1)[0]
    return {f"view {p}": latency(lambda p=p: timed_get(base + p, accept="*/*"), repeat)
            for p in ("/figures.json?limit=100", "/figures.csv?limit=100", "/figures?limit=100")}


def restart_kg(data_dir: Path, store_dir: Path, workers: int) -> float:
    server = start_kg(data_dir, store_dir, workers)
    server.stop()
    return server.startup_s


def run_size(n: int, args: argparse.Namespace, bin_dir: Path) -> dict[str, object]:
    from kg.synth import generate

    work = Path(tempfile.mkdtemp(prefix=f"kg-bench-{n}-"))
    try:
        started = time.monotonic()
        generate(n, work / "synth", seed=0)
        data_dir = work / "synth"
        print(f"\n## {n:,} claims (generated in {time.monotonic() - started:.1f} s)", flush=True)
        result: dict[str, object] = {}

        # kg as installed (in memory, workers forked from one loaded graph): the numbers the targets are about
        kg = start_kg(data_dir, None, args.workers)
        actor, claim = sample_iris(kg.endpoint)
        qs = queries(actor, claim)
        result["kg"] = measure(kg, qs, args.repeat, args.heavy_repeat)
        result["kg"]["headline views"] = headline_views(kg, args.repeat)
        result["kg"]["peak_rss_mib"] = kg.stop() / 1024
        result["kg"]["cold_start_s"] = kg.startup_s
        print("kg done", flush=True)

        # kg --store-dir: the store is built once per data version, and a restart reuses it
        store = start_kg(data_dir, work / "kg-store", args.workers)
        result["kg-store"] = ({"startup_s": store.startup_s, "cold_load_s": store.startup_s}
                              if args.store_startup_only else measure(store, qs, args.repeat, args.heavy_repeat))
        result["kg-store"]["peak_rss_mib"] = store.stop() / 1024
        result["kg-store"]["cold_start_s"] = store.startup_s
        result["kg-store"]["startup_s"] = restart_kg(data_dir, work / "kg-store", args.workers)
        print("kg --store-dir done", flush=True)

        ox = start_oxigraph(data_dir, work / "oxigraph")
        result["oxigraph"] = measure(ox, qs, args.repeat, args.heavy_repeat)
        result["oxigraph"]["peak_rss_mib"] = ox.stop() / 1024
        print("oxigraph done", flush=True)

        if not args.skip_virtuoso:
            vt = start_virtuoso(data_dir, work / "virtuoso")
            result["virtuoso"] = measure(vt, qs, args.repeat, args.heavy_repeat)
            result["virtuoso"]["peak_rss_mib"] = vt.stop() / 1024
            print("virtuoso done", flush=True)

        if not args.skip_rdflib:
            rd = start_rdflib_endpoint(bin_dir, data_dir, work)
            light = n >= args.rdflib_light_from
            result["rdflib-endpoint"] = measure(rd, qs, max(3, args.repeat // 5), 2 if light else 3, light=light)
            result["rdflib-endpoint"]["peak_rss_mib"] = rd.stop() / 1024
            print("rdflib-endpoint done", flush=True)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


QUERIES = ("figures, first 100 rows", "figures, all rows", "per-indicator aggregate", "selective lookup",
           "CONSTRUCT one claim")


def table(n: int, r: dict[str, dict[str, object]]) -> str:
    kg, st, ox, vt, rd = r["kg"], r["kg-store"], r["oxigraph"], r.get("virtuoso"), r.get("rdflib-endpoint")
    lines = [f"### {n:,} claims", "",
             "| measure | kg (in memory, default) | kg --store-dir | Oxigraph server | Virtuoso | rdflib-endpoint "
             "| kg / Oxigraph | kg / Virtuoso | rdflib-endpoint / kg |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]

    def row(name: str, a: float | None, s: float | None, b: float | None, v: float | None, c: float | None,
            unit: str, *, higher_is_better: bool = False) -> None:
        def fmt(x: float | None) -> str:
            return "–" if x is None else f"{x:,.1f} {unit}"

        ratio_ab = f"{a / b:.2f}x" if a and b else "–"
        ratio_av = f"{a / v:.2f}x" if a and v else "–"
        # the last column says how many times kg does better: slower peer for times, fewer requests for rates
        ratio_ca = "–" if not (a and c) else f"{a / c:.1f}x (kg / rdflib)" if higher_is_better else f"{c / a:.1f}x"
        lines.append(f"| {name} | {fmt(a)} | {fmt(s)} | {fmt(b)} | {fmt(v)} | {fmt(c)} | {ratio_ab} | {ratio_av} "
                     f"| {ratio_ca} |")

    def get(d: dict[str, object] | None, name: str, p: str | None = None) -> float | None:
        value = d.get(name) if d else None
        return value.get(p) if isinstance(value, dict) and p else value  # type: ignore[return-value]

    # kg in memory and rdflib-endpoint parse the Turtle at every start; kg --store-dir and Oxigraph reopen a store;
    # Virtuoso's cold load is its start plus a Graph Store PUT of every file
    row("start-up (s)", kg["cold_start_s"], st["startup_s"], ox["startup_s"], get(vt, "startup_s"),
        get(rd, "startup_s"), "s")
    row("cold load from Turtle (s)", kg["cold_start_s"], st["cold_start_s"], ox["cold_load_s"], get(vt, "cold_load_s"),
        None, "s")
    for name in QUERIES:
        for p in ("p50_ms", "p95_ms"):
            row(f"{name} {p[:3]}", get(kg, name, p), get(st, name, p), get(ox, name, p), get(vt, name, p),
                get(rd, name, p), "ms")
    key = "throughput_rps (figures first page, 8 clients)"
    row("throughput, figures first page, 8 clients (req/s; higher is better)", get(kg, key), get(st, key),
        get(ox, key), get(vt, key), get(rd, key), "/s", higher_is_better=True)
    row("peak memory, PSS of the process tree (MiB)", kg["peak_rss_mib"], st["peak_rss_mib"], ox["peak_rss_mib"],
        get(vt, "peak_rss_mib"), get(rd, "peak_rss_mib"), "MiB")
    for name, v in kg.get("headline views", {}).items():
        lines.append(f"| kg {name} p50 / p95 | {v['p50_ms']:.1f} / {v['p95_ms']:.1f} ms | | | | | | | |")
    lines += ["", "Rows of each answer (a server whose count differs from kg's is marked):", "",
              "| query | " + " | ".join(k for k in r) + " |", "| --- |" + " --- |" * len(r)]
    for name in QUERIES:
        mine = kg["rows"][name]  # type: ignore[index]
        cells = []
        for d in r.values():
            count = d.get("rows", {}).get(name)  # type: ignore[union-attr]
            cells.append("–" if count is None else f"{count:,}" + ("" if count == mine else " (differs)"))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- every example query (--examples) ------------------------------------------------------------------------

def example_queries() -> dict[str, str]:
    """Every example query of ``kg/queries/``, by name."""
    return {p.stem: p.read_text() for p in sorted((ROOT / "kg" / "queries").glob("*.rq"))}


def inferred_file(data_dir: Path) -> Path:
    """The N-Triples file of the inferred triples kg serves by default for the ontology and ``data_dir`` (its
    reasoning cache, which a default ``kg serve`` of that data has written)."""
    from kg.graph import snapshot, version_of
    from kg.reasoning import cache_path
    from kg.settings import Settings

    settings = Settings(root=ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        sources, _ = snapshot([ROOT / "ontology", data_dir], settings, Path(tmp))
    path = cache_path(settings, version_of(sources), settings.reasoning)
    if not path.exists():
        raise RuntimeError(f"{path}: kg serve did not cache its inferred triples")
    return path


def measure_examples(server: Server, qs: dict[str, str], repeat: int) -> dict[str, object]:
    """Rows and latency of each example query; a query a server cannot answer is recorded with its error."""
    out: dict[str, object] = {}
    for name, text in qs.items():
        url = query_url(server.endpoint, text)
        try:
            rows = answer_rows(url, "application/sparql-results+json")
            out[name] = {"rows": rows, **latency(lambda url=url: timed_get(url), repeat, budget_s=60)}
        except (OSError, ValueError, RuntimeError) as err:
            out[name] = {"error": str(err)[:200]}
    return out


def run_examples(n: int, args: argparse.Namespace) -> dict[str, object]:
    """``--examples``: every example query on kg as served by default (inference on, no row cap) and on Oxigraph
    server and Virtuoso loaded with the same files plus kg's inferred triples (in Virtuoso, each file in its own
    graph and the inferred triples in kg's inferred graph, so queries naming graphs compare too)."""
    from kg.synth import generate

    work = Path(tempfile.mkdtemp(prefix=f"kg-examples-{n}-"))
    qs = example_queries()
    try:
        generate(n, work / "synth", seed=0)
        data_dir = work / "synth"
        env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
        kg = launch_kg(data_dir, {**env, "KG_QUERY_TIMEOUT_S": "300", "KG_MAX_ROWS": "0"}, [])
        result: dict[str, object] = {"kg": measure_examples(kg, qs, args.repeat)}
        result["kg"]["peak_rss_mib"] = kg.stop() / 1024  # type: ignore[index]
        print("kg done", flush=True)
        inferred = inferred_file(data_dir)
        if not args.skip_oxigraph:
            peers.load_oxigraph(work / "oxigraph", [*turtle_files(data_dir), inferred])
            ox = _sampled(peers.start_oxigraph(work / "oxigraph", read_only=True, union_default_graph=True))
            result["oxigraph"] = measure_examples(ox, qs, args.repeat)
            result["oxigraph"]["peak_rss_mib"] = ox.stop() / 1024  # type: ignore[index]
            print("oxigraph done", flush=True)
        if not args.skip_virtuoso:
            from kg.graph import graph_iri
            from kg.settings import INFERRED_GRAPH, Settings

            settings = Settings(root=ROOT)
            peer = peers.start_virtuoso(work / "virtuoso")
            peers.load_virtuoso(peer, [*((f, graph_iri(f, settings)) for f in turtle_files(data_dir)),
                                       (inferred, INFERRED_GRAPH)])
            vt = _sampled(peer)
            result["virtuoso"] = measure_examples(vt, qs, args.repeat)
            result["virtuoso"]["peak_rss_mib"] = vt.stop() / 1024  # type: ignore[index]
            print("virtuoso done", flush=True)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def examples_table(n: int, r: dict[str, dict[str, object]]) -> str:
    """p50 of each example query per server, kg's ratio to Virtuoso's, and the rows (marked where they differ)."""
    names = [k for k in r["kg"] if k != "peak_rss_mib"]
    servers = list(r)
    lines = [f"### Every example query, {n:,} claims (p50, ms; rows)", "",
             "| query | " + " | ".join(servers) + " | kg / Virtuoso | rows " + " / ".join(servers) + " |",
             "| --- |" + " --- |" * len(servers) + " --- | --- |"]
    for name in names:
        cells, rows = [], []
        mine = r["kg"][name].get("rows")  # type: ignore[union-attr]
        for server in servers:
            m = r[server].get(name, {})
            cells.append(f"{m['p50_ms']:,.1f}" if "p50_ms" in m else "error")  # type: ignore[operator]
            count = m.get("rows")  # type: ignore[union-attr]
            rows.append("–" if count is None else f"{count:,}" + ("" if count == mine else " (differs)"))
        kg_p50, vt = r["kg"][name].get("p50_ms"), r.get("virtuoso", {}).get(name, {})  # type: ignore[union-attr]
        ratio = f"{kg_p50 / vt['p50_ms']:.2f}x" if kg_p50 and isinstance(vt, dict) and vt.get("p50_ms") else "–"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {ratio} | " + " / ".join(rows) + " |")
    lines += ["", "Peak PSS (MiB): " + ", ".join(f"{s} {r[s]['peak_rss_mib']:,.0f}" for s in servers)]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=20, help="samples per light query")
    parser.add_argument("--heavy-repeat", type=int, default=7, help="samples per heavy query")
    parser.add_argument("--workers", type=int, default=2, help="kg query workers")
    parser.add_argument("--store-startup-only", action="store_true",
                        help="for kg --store-dir measure only the store build and the restart, not the queries")
    parser.add_argument("--skip-virtuoso", action="store_true", help="leave out Virtuoso (needs virtuoso-t)")
    parser.add_argument("--skip-oxigraph", action="store_true",
                        help="with --examples: leave out Oxigraph server (its scans reach its 30 s timeout at 100k)")
    parser.add_argument("--skip-rdflib", action="store_true", help="leave out rdflib-endpoint (slow at 100k)")
    parser.add_argument("--rdflib-light-from", type=int, default=50_000, metavar="N",
                        help="from this size on, rdflib-endpoint gets 2 samples of the heavy queries, no warm-up "
                             "and no throughput run (one figures query takes minutes there)")
    parser.add_argument("--examples", action="store_true",
                        help="every example query of kg/queries/ on kg (default inference), Oxigraph server and "
                             "Virtuoso (with kg's inferred triples) instead; writes server-examples-N.json/.md")
    parser.add_argument("--out", type=Path, default=RESULTS / "server.json")
    args = parser.parse_args()
    if args.examples:
        for n in args.sizes:
            result = run_examples(n, args)
            text = examples_table(n, result)
            print(text, flush=True)
            target = args.out.with_name(f"server-examples-{n // 1000}k") if args.out == RESULTS / "server.json" \
                else args.out.with_suffix("")
            target.with_suffix(".json").write_text(json.dumps(result, indent=1))
            target.with_suffix(".md").write_text(text + "\n")
        return 0
    bin_dir = ensure_peers()
    results = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                           "date": time.strftime("%Y-%m-%d %H:%M:%S")}, "sizes": {}}
    for n in args.sizes:
        results["sizes"][str(n)] = run_size(n, args, bin_dir)
        print(table(n, results["sizes"][str(n)]), flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1))  # after every size: a long run stopped keeps the rest
    print(f"\nraw numbers: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
