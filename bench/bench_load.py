"""Load benchmark: 16 clients over a mix of light and heavy requests against a default `kg serve`, with and
without attackers running heavy queries. Errors, throughput, p50/p99 per class of request, peak memory.

Run (from the repository root, after the README's install):

    .venv/bin/python bench/bench_load.py                                   # 20k claims, 16 clients, 30 s, 3 runs
    .venv/bin/python bench/bench_load.py --claims 1000 --seconds 5 --runs 1   # a quick run

The synthetic graph of ``kg synth`` is served with the default settings, inference included: the example
queries lean on the inferred graph (its closure is computed at the first start and cached per data version).
After one warm-up pass over the mix (the figures view is prepared after start-up, and the server learns which
query shapes are heavy), each run has two phases on the same server: the clients alone, then the clients while
``--attackers`` threads loop heavy queries (a product of every triple with itself, counted; the same ordered,
which needs unbounded memory), each time with other variable names. Clients keep their connection open
(HTTP/1.1), as browsers and SPARQL clients do. They start one after the other over ``--ramp-up`` seconds (2 by
default, as load tools ramp up): started all at once (``--ramp-up 0``), their first requests reach the server
in the same millisecond and the light ones queue for the two light workers, and so again when the example
queries they sent together stop at the same deadline 10 s later; those two bursts were the slowest light
requests of every phase (``bench/results/load.md`` has both side by side).
Each light request's Server-Timing header splits the slowest ones into the server's wait for a worker, the
worker's compute and the rest. Classes: ``light`` (entity pages, views, ASK, selective lookups:
the goal is p99 under 100 ms), ``example`` (the example queries of kg/queries/, some of which scan the graph),
``attack``. Writes ``bench/results/load.json`` and ``load.md``. Machines are shared and noisy: compare phases,
not absolute times.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import itertools
import json
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_server import (
    PREFIXES,
    RESULTS,
    ROOT,
    Server,
    launch_kg,
    queries,
    sample_iris,
    start_oxigraph,
    timed_get,
    tree_memory_kib,
)

#: The request classes whose latency the goal is about.
LIGHT = ("entity page", "view", "ASK", "selective lookup")
ATTACKS = ("SELECT (COUNT(*) AS ?{v}) WHERE {{ ?a ?b ?c . ?d ?e ?{v} }}",
           "SELECT * WHERE {{ ?a ?b ?c . ?d ?e ?{v} }} ORDER BY ?c ?{v}")


def start_server(data_dir: Path, settings: dict[str, str] | None = None) -> Server:
    """``kg serve`` with its defaults (no ``KG_*`` variable of the caller's) but ``settings``, memory sampled."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    return launch_kg(data_dir, {**env, **(settings or {})}, [])


def select(endpoint: str, query: str) -> list[dict[str, str]]:
    url = endpoint + "?" + urllib.parse.urlencode({"query": PREFIXES + query})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        rows = json.load(response)["results"]["bindings"]
    return [{k: v["value"] for k, v in row.items()} for row in rows]


def request_mix(endpoint: str) -> list[tuple[str, str, str]]:
    """(class, path, Accept) of every request the clients cycle through."""
    sparql = endpoint.removeprefix("http://").split("/", 1)[1]

    def query(text: str) -> str:
        return "/" + sparql + "?" + urllib.parse.urlencode({"query": text})

    json_accept = "application/sparql-results+json"
    base = "https://w3id.org/ua-children-kg/"
    names = [r["e"].removeprefix(base + "id/") for r in select(endpoint, (
        "SELECT ?e WHERE { { SELECT ?e WHERE { ?e a kg:QuantityClaim } LIMIT 10 } UNION "
        "{ SELECT ?e WHERE { ?e a kg:GovernmentBody } LIMIT 5 } UNION "
        "{ SELECT ?e WHERE { ?e a kg:Report } LIMIT 5 } }"))]
    agents = [r["a"] for r in select(endpoint, "SELECT DISTINCT ?a WHERE { ?c kg:attributedTo ?a } LIMIT 5")]
    mix = [("entity page", f"/id/{n}", "text/html") for n in names]
    mix += [("view", p, "*/*") for p in ("/figures?limit=100", "/figures.json?limit=100", "/figures.csv?limit=100")]
    mix += [("ASK", query(f"ASK {{ <{base}id/{n}> ?p ?o }}"), json_accept) for n in names[:5]]
    mix += [("selective lookup", query(PREFIXES + f"SELECT ?c ?v WHERE {{ ?c kg:attributedTo <{a}> ; kg:value ?v . "
                                       "FILTER(?v > 1000) }"), json_accept) for a in agents]
    mix += [("example", query((ROOT / "kg" / "queries" / f).read_text()), json_accept)
            for f in sorted(os.listdir(ROOT / "kg" / "queries")) if f.endswith(".rq")]
    return mix


#: One request as a client saw it: (class, seconds, answered 200, the answer's Server-Timing header or "").
Sample = tuple[str, float, bool, str]


@dataclass
class Samples:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: per class, (seconds, the server's timings in seconds) of every answer that carried Server-Timing
    timed: dict[str, list[tuple[float, dict[str, float]]]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, ok: bool, server_timing: str = "") -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if not ok:
                self.errors[kind] += 1
            if server_timing:
                self.timed[kind].append((seconds, parse_server_timing(server_timing)))


def parse_server_timing(header: str) -> dict[str, float]:
    """``total;dur=1.2, wait;dur=0.1;desc="..."`` -> {"total": 0.0012, "wait": 0.0001} (seconds)."""
    metrics = {}
    for part in header.split(","):
        name, *params = (p.strip() for p in part.split(";"))
        for param in params:
            if param.startswith("dur="):
                metrics[name] = float(param[4:]) / 1000
    return metrics


def fetch(conn: http.client.HTTPConnection, path: str, accept: str) -> tuple[int, str]:
    """GET ``path``, read the whole answer; its status and Server-Timing header."""
    conn.request("GET", path, headers={"Accept": accept})
    response = conn.getresponse()
    while response.read(1 << 16):
        pass
    return response.status, response.getheader("Server-Timing", "")


def client(host: str, port: int, requests: list[tuple[str, str, str]], start_at: float, until: float,
           timeout: float, record: Callable[[str, float, bool, str], None]) -> None:
    """One client: from ``start_at`` the requests in order, again and again, on one kept-alive connection (a new
    one after an error) until ``until`` (both ``time.monotonic()``, one clock for every process on Linux)."""
    time.sleep(max(0.0, start_at - time.monotonic()))
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    for kind, path, accept in itertools.cycle(requests):
        if time.monotonic() >= until:
            break
        start = time.monotonic()
        timing = ""
        try:
            status, timing = fetch(conn, path, accept)
            ok = status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        record(kind, time.monotonic() - start, ok, timing)
    conn.close()


def client_process(host: str, port: int, requests: list[tuple[str, str, str]], start_at: float, until: float,
                   timeout: float) -> list[Sample]:
    """:func:`client` in a process of its own (``--client-mode processes``): its samples.
    Why: 16 client threads of one Python process take turns on its interpreter lock, so a thread whose answer
    has arrived may wait for the others before it reads the clock; separate processes, as real clients are,
    do not add that to the latencies."""
    samples: list[Sample] = []
    client(host, port, requests, start_at, until, timeout, lambda *sample: samples.append(sample))
    return samples


def attacker(host: str, port: int, sparql_path: str, index: int, stop: threading.Event, samples: Samples) -> None:
    """Loop heavy queries (each with a fresh variable name) until stopped; a 503 is the expected answer."""
    conn = http.client.HTTPConnection(host, port, timeout=60)
    for n in itertools.count():
        if stop.is_set():
            break
        text = ATTACKS[(index + n) % len(ATTACKS)].format(v=f"v{index}x{n}")
        path = sparql_path + "?" + urllib.parse.urlencode({"query": text})
        start = time.monotonic()
        try:
            fetch(conn, path, "text/csv")
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=60)
        samples.add("attack", time.monotonic() - start, True)
    conn.close()


def warm_up(server: Server, mix: list[tuple[str, str, str]]) -> None:
    """Every request of the mix once, one at a time: the figures view is prepared (in the background after
    start-up) and the server has seen each query once, as a server that has been running has."""
    host, rest = server.endpoint.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(rest.split("/", 1)[0]), timeout=3600)
    for _kind, path, accept in mix:
        try:
            fetch(conn, path, accept)
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(host, int(rest.split("/", 1)[0]), timeout=3600)
    conn.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def tail(timed: list[tuple[float, dict[str, float]]], p: float = 0.99) -> dict[str, float]:
    """Where the time of the requests at or above percentile ``p`` went (medians over them, ms): as the client
    saw it, the server's own time until the head (``total``), its wait for a worker and the worker's compute,
    and the rest (``outside``: the network, the server's event loop before the request reached the
    application, and the client itself)."""
    if not timed:
        return {}
    cut = percentile([seconds for seconds, _ in timed], p)
    slow = [(seconds, t) for seconds, t in timed if seconds >= cut]

    def median(values: list[float]) -> float:
        return statistics.median(values) * 1000

    return {"n": len(slow), "client_ms": median([s for s, _ in slow]),
            "server_ms": median([t.get("total", 0.0) for _, t in slow]),
            "wait_ms": median([t.get("wait", 0.0) for _, t in slow]),
            "compute_ms": median([t.get("compute", 0.0) for _, t in slow]),
            "outside_ms": median([s - t.get("total", 0.0) for s, t in slow])}


def phase(server: Server, mix: list[tuple[str, str, str]], args: argparse.Namespace, attackers: int,
          seed: int, mode: str = "threads", ramp_up: float = 0.0) -> dict[str, object]:
    """One phase: ``args.clients`` clients (each its own shuffled order of the mix) for ``args.seconds``, as
    threads of this process or as processes of their own (``mode``), started ``ramp_up / clients`` seconds apart
    (0: all at once)."""
    host, rest = server.endpoint.removeprefix("http://").split(":")
    port, sparql_path = int(rest.split("/", 1)[0]), "/" + rest.split("/", 1)[1]
    samples, stop = Samples(), threading.Event()
    attacks = [threading.Thread(target=attacker, args=(host, port, sparql_path, i, stop, samples), daemon=True)
               for i in range(attackers)]
    for thread in attacks:
        thread.start()
    if attackers:
        time.sleep(1.0)  # the attackers hold their workers before the clients start
    rng = random.Random(seed)
    orders = [rng.sample(mix, len(mix)) for _ in range(args.clients)]
    offsets = [i * ramp_up / args.clients for i in range(args.clients)]  # each client's start after the phase's
    if mode == "processes":
        with ProcessPoolExecutor(args.clients, mp_context=multiprocessing.get_context("spawn")) as pool:
            # the processes start (and import) before the phase's clock does
            list(pool.map(time.sleep, [0.0] * args.clients))
            started = time.monotonic() + 0.5
            until = started + args.seconds
            futures = [pool.submit(client_process, host, port, order, started + offset, until, 60.0)
                       for order, offset in zip(orders, offsets, strict=True)]
            for future in futures:
                for sample in future.result():
                    samples.add(*sample)
    else:
        started = time.monotonic()
        until = started + args.seconds
        threads = [threading.Thread(target=client, args=(host, port, order, started + offset, until, 60.0,
                                                         samples.add))
                   for order, offset in zip(orders, offsets, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    elapsed = time.monotonic() - started
    stop.set()
    for thread in attacks:
        thread.join(timeout=60)
    classes: dict[str, dict[str, float]] = {}
    for kind, values in sorted(samples.latencies.items()):
        classes[kind] = {"n": len(values), "errors": samples.errors.get(kind, 0),
                         "p50_ms": statistics.median(values) * 1000, "p99_ms": percentile(values, 0.99) * 1000}
    light = [v for k in LIGHT for v in samples.latencies.get(k, [])]
    done = sum(len(v) for k, v in samples.latencies.items() if k != "attack")
    return {"attackers": attackers, "client_mode": mode, "ramp_up_s": ramp_up, "seconds": elapsed, "requests": done,
            "errors": sum(n for k, n in samples.errors.items() if k != "attack"),
            "throughput_rps": done / elapsed, "classes": classes,
            "light": {"n": len(light), "p50_ms": statistics.median(light) * 1000 if light else 0.0,
                      "p99_ms": percentile(light, 0.99) * 1000 if light else 0.0,
                      "tail": tail([t for k in LIGHT for t in samples.timed.get(k, [])])}}


def markdown(results: dict[str, object]) -> str:
    lines = [f"### Load: {results['claims']:,} claims, {results['clients']} clients, {results['seconds']:g} s per "
             f"phase, {results['attackers']} attackers, KG_WORKERS={results.get('kg_workers', '?')}, "
             f"KG_WORKER_MODE={results.get('kg_mode', 'processes')}", "",
             "| run | clients as | ramp-up (s) | attackers | requests | errors | throughput (req/s) "
             "| light p50 / p99 (ms) "
             "| entity page p50 / p99 | view p50 / p99 | ASK p50 / p99 | selective lookup p50 / p99 "
             "| example queries p50 / p99 | light tail: client / server / wait / compute / outside (ms) "
             "| peak PSS (MiB) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]

    def pair(c: dict[str, dict[str, float]], k: str) -> str:
        return f"{c[k]['p50_ms']:.1f} / {c[k]['p99_ms']:.1f}" if k in c else "–"

    def split(t: dict[str, float]) -> str:
        keys = ("client_ms", "server_ms", "wait_ms", "compute_ms", "outside_ms")
        return " / ".join(f"{t[k]:.1f}" for k in keys) + f" (n={t['n']:.0f})" if t else "–"

    for run in results["runs"]:  # type: ignore[attr-defined]
        for p in run["phases"]:
            c = p["classes"]
            lines.append(f"| {run['run']} | {p.get('client_mode', 'threads')} | {p.get('ramp_up_s', 0):g} | "
                         f"{p['attackers']} | {p['requests']} | "
                         f"{p['errors']} | {p['throughput_rps']:.1f} | "
                         f"{p['light']['p50_ms']:.1f} / {p['light']['p99_ms']:.1f} | "
                         f"{pair(c, 'entity page')} | {pair(c, 'view')} | {pair(c, 'ASK')} | "
                         f"{pair(c, 'selective lookup')} | {pair(c, 'example')} | "
                         f"{split(p['light'].get('tail', {}))} | {run['peak_pss_mib']:.0f} |")
    lines += ["", "Light tail: medians over the light requests at or above their p99, as the client saw them, the "
              "server's own time until the head of the answer (its Server-Timing `total`), of which waiting for a "
              "worker and the worker computing, and the rest outside the application (network, the server's event "
              "loop before the request reached the application, the client itself).", "",
              f"Peak PSS of the server's process tree over all runs: {results['peak_pss_mib']:.0f} MiB; "
              f"worker restarts: {results['worker_restarts']}; workers recycled for their memory: "
              f"{results.get('workers_recycled', '?')}."]
    if "server_error" in results:
        lines += ["", f"**The server did not survive the load**: {results['server_error']}."]
    return "\n".join(lines)


def memory(args: argparse.Namespace) -> dict[str, object]:
    """``--memory``: peak PSS of the default kg server and of Oxigraph server over the queries of
    ``bench/bench_server.py`` (each ``--repeat`` times, by two clients at once), and kg's PSS when idle after
    loading (about one store: the fork server's graph, shared by the workers)."""
    from concurrent.futures import ThreadPoolExecutor

    from kg.synth import generate

    work = Path(tempfile.mkdtemp(prefix="kg-memory-"))
    kg_runs = {}
    for mode in args.memory_modes:
        for n in args.memory_workers or [args.kg_workers]:
            named = [f"KG_WORKER_MODE={mode}"] if len(args.memory_modes) > 1 else []
            named += [f"KG_WORKERS={n}"] if args.memory_workers else []
            kg_runs[f"kg ({', '.join(named)})" if named else "kg"] = {
                "KG_QUERY_TIMEOUT_S": "600", "KG_WORKER_MODE": mode, **({"KG_WORKERS": str(n)} if n else {})}
    out: dict[str, object] = {"claims": args.claims, "kg_settings": kg_runs,
                              "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    try:
        generate(args.claims, work / "synth", seed=0)
        # every query runs to its end on both servers (Oxigraph has no timeout): a kg query stopped at the default
        # KG_QUERY_TIMEOUT_S would stop growing its worker's memory early and flatter kg's peak
        servers: list[tuple[str, Callable[[], Server]]] = [
            *((name, functools.partial(start_server, work / "synth", settings)) for name, settings in kg_runs.items()),
            ("oxigraph", lambda: start_oxigraph(work / "synth", work / "oxigraph"))]
        for name, start in servers:
            server = start()
            idle = tree_memory_kib(server.proc.pid) / 1024
            actor, claim = sample_iris(server.endpoint)
            urls = [(server.endpoint + "?" + urllib.parse.urlencode({"query": q}),
                     "text/turtle" if q.lstrip().startswith("CONSTRUCT") else "application/sparql-results+json", name)
                    for name, q in queries(actor, claim).items()] * args.repeat
            seconds: dict[str, list[float]] = {}

            def get(url_accept_name: tuple[str, str, str], seconds: dict[str, list[float]] = seconds) -> str:
                url, accept, name = url_accept_name
                try:
                    seconds.setdefault(name, []).append(timed_get(url, accept, timeout=600))
                    return "ok"
                except urllib.error.HTTPError as err:  # a 503 at the timeout still costs what it cost
                    return f"{err.code}: {json.loads(err.read()).get('error', '')}"
                except OSError as err:
                    return str(err)

            with ThreadPoolExecutor(2) as pool:
                outcomes = list(pool.map(get, urls))
            out[name] = {"idle_pss_mib": idle, "peak_pss_mib": server.stop() / 1024,
                         "errors": [o for o in outcomes if o != "ok"],
                         # two queries at a time, so each one's time includes sharing the machine with the other
                         "p50_ms": {n: statistics.median(s) * 1000 for n, s in seconds.items()}}
            print(f"{name}: {out[name]}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--attackers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS / "load.json")
    parser.add_argument("--memory", action="store_true",
                        help="measure peak memory of kg and Oxigraph server over the server bench's queries instead")
    parser.add_argument("--repeat", type=int, default=3, help="with --memory: times each query runs")
    parser.add_argument("--kg-workers", type=int, default=None, metavar="N",
                        help="KG_WORKERS of the kg server (default: its own default)")
    parser.add_argument("--kg-mode", choices=["processes", "threads"], default="processes",
                        help="KG_WORKER_MODE of the kg server under load")
    parser.add_argument("--memory-modes", nargs="+", default=["processes"], choices=["processes", "threads"],
                        help="with --memory: one kg server per KG_WORKER_MODE, each beside the same Oxigraph run")
    parser.add_argument("--memory-workers", type=int, nargs="+", default=None, metavar="N",
                        help="with --memory: one kg server per KG_WORKERS value, each beside the same Oxigraph run")
    parser.add_argument("--client-mode", nargs="+", choices=("threads", "processes"), default=["threads"],
                        help="run the clients as threads of the bench or each in its own process; with both, each "
                             "run has both modes' phases, side by side")
    parser.add_argument("--ramp-up", nargs="+", type=float, default=[2.0], metavar="SECONDS",
                        help="start the clients evenly over this many seconds (as JMeter's ramp-up period; 0: all "
                             "at once); with several values, each run has each one's phases, side by side")
    args = parser.parse_args()
    if args.memory:
        result = memory(args)
        target = args.out.with_name("memory.json") if args.out == RESULTS / "load.json" else args.out
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(result, indent=1))
        return 0
    from kg.synth import generate

    work = Path(tempfile.mkdtemp(prefix="kg-load-"))
    try:
        generate(args.claims, work / "synth", seed=0)
        server = start_server(work / "synth", {"KG_WORKER_MODE": args.kg_mode,
                                               **({"KG_WORKERS": str(args.kg_workers)} if args.kg_workers else {})})
        try:
            mix = request_mix(server.endpoint)
            warm_up(server, mix)
            runs = []
            for run in range(1, args.runs + 1):
                assert server.sampler is not None
                server.sampler.peak = 0  # each run's own peak
                phases = [phase(server, mix, args, attackers, run, mode, ramp_up) for ramp_up in args.ramp_up
                          for mode in args.client_mode for attackers in (0, args.attackers)]
                runs.append({"run": run, "phases": phases, "peak_pss_mib": server.sampler.peak / 1024})
                print(f"run {run} done", flush=True)
            try:
                version = json.loads(urllib.request.urlopen(
                    server.endpoint.rsplit("/sparql", 1)[0] + "/-/version.json", timeout=30).read())
            except OSError as err:  # the server died under the load: that is the result, not a bench failure
                version = {"server_error": f"the server stopped answering ({err}); its exit status: "
                                           f"{server.proc.poll()}"}
                print(version["server_error"], file=sys.stderr)
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results = {"claims": args.claims, "clients": args.clients, "seconds": args.seconds, "attackers": args.attackers,
               "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                           "date": time.strftime("%Y-%m-%d %H:%M:%S")},
               "kg_workers": args.kg_workers or version.get("workers"), "kg_mode": args.kg_mode, "runs": runs,
               "peak_pss_mib": max(r["peak_pss_mib"] for r in runs),
               "worker_restarts": version.get("worker_restarts", 0),
               "workers_recycled": version.get("workers_recycled", 0),
               **({"server_error": version["server_error"]} if "server_error" in version else {})}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    table = markdown(results)
    args.out.with_suffix(".md").write_text(table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
