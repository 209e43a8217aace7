"""The cost of the kg layer over an external store: kg publish into Oxigraph server and Virtuoso, then the
figures query and a selective lookup through ``kg serve --store`` against the same store queried directly,
for each ``KG_STORE_DATASET`` mode asked for.

Run (from the repository root, after the README's install, which brings ``oxigraph`` and ``virtuoso-t``):

    .venv/bin/python bench/bench_store.py                      # 20k claims
    .venv/bin/python bench/bench_store.py --sizes 1000 --repeat 3   # a quick run

For each size it generates the synthetic graph (``kg synth``), publishes it (timed; the check is
``bench_check.py``'s subject and is left out), starts ``kg serve --store`` over each store and measures p50 of
each query over HTTP on loopback, kg and the store side by side; the direct request carries the same dataset
(``default-graph-uri`` / ``named-graph-uri``) kg sends, so the ratio is the cost of kg alone. Rows are
compared. Prints a markdown table and writes ``bench/results/store.json``.
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
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.peers import Peer, free_port, start_oxigraph, start_virtuoso, wait_ready  # noqa: E402
from kg.graph import load  # noqa: E402
from kg.namespaces import PREFIXES  # noqa: E402
from kg.remote.manifest import MANIFEST_GRAPH  # noqa: E402
from kg.remote.publish import publish  # noqa: E402
from kg.settings import Settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def _post(url: str, form: list[tuple[str, str]], accept: str = "application/sparql-results+json") -> dict:
    # httpx, not urllib: Virtuoso answers a request naming many graphs with more headers than urllib reads
    response = httpx.post(url, content=urllib.parse.urlencode(form).encode(), timeout=1800, headers={
        "Accept": accept, "Content-Type": "application/x-www-form-urlencoded"})
    response.raise_for_status()
    return response.json()


def _p50(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    last = fn()  # warm-up
    samples = []
    for _ in range(repeat):
        start = time.monotonic()
        last = fn()
        samples.append(time.monotonic() - start)
    return statistics.median(samples) * 1000, last


def _rows(answer: object) -> list[tuple[str, ...]]:
    bindings = answer["results"]["bindings"]  # type: ignore[index]
    return sorted(tuple(sorted((k, v["value"]) for k, v in b.items())) for b in bindings)  # type: ignore[misc]


def _root(work: Path, n: int) -> Path:
    from kg.synth import generate

    root = work / "root"
    generate(n, root, seed=0)
    for folder in ("ontology", "shapes"):
        (root / folder).symlink_to(ROOT / folder)
    return root


def _serve(peer: Peer, root: Path, work: Path, dataset: str) -> subprocess.Popen[bytes]:
    port = free_port()
    env = {**os.environ, "KG_QUERY_TIMEOUT_S": "1800", "KG_MAX_ROWS": "0", "KG_REASONING": "none", "KG_WORKERS": "2",
           "KG_STORE_DATASET": dataset}
    log = (work / f"kg-{peer.name}-{dataset}.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--root", str(root), "--port", str(port),
                             "--store", peer.query_url], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc.endpoint = f"http://127.0.0.1:{port}/sparql"  # type: ignore[attr-defined]
    wait_ready(proc.endpoint, proc, timeout=900)  # type: ignore[attr-defined]
    return proc


def run_size(n: int, repeat: int, peers: list[str],
             on_row: Callable[[dict[str, object]], None] = lambda out: None) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix=f"kg-bench-store-{n}-"))
    try:
        root = _root(work, n)
        settings = Settings(root=root, reasoning="none")
        kg = load(settings=settings)
        graphs = kg.graph_names
        actor = next(iter(kg.store.query(
            "SELECT ?a WHERE { ?c <https://w3id.org/ua-children-kg/ontology#attributedTo> ?a } LIMIT 1",
            use_default_graph_as_union=True)))["a"].value
        queries = {
            "figures": (ROOT / "kg" / "queries" / "figures.rq").read_text(),
            "selective lookup": f"SELECT ?c ?v WHERE {{ ?c kg:attributedTo <{actor}> ; kg:value ?v }}",
        }
        prologue = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
        dataset = [*(("default-graph-uri", g) for g in graphs), *(("named-graph-uri", g) for g in graphs)]
        out: dict[str, object] = {"claims": n, "graphs": len(graphs), "triples": len(kg.store)}
        for label in peers:
            name, _, mode = label.partition(":")
            start = {"oxigraph": lambda d, m=mode: start_oxigraph(d / "store", timeout_s=1800,
                                                                 union_default_graph=m == "union"),
                     "virtuoso": lambda d: start_virtuoso(d, timeout_s=1800)}[name]
            peer = start(work / label.replace(":", "-"))
            server = None
            try:
                target = settings.replace(graph_store_url=peer.graph_store_url, store_update_url=peer.update_url,
                                          store_user=peer.user, store_password=peer.password)
                started = time.monotonic()
                report = publish(target, kg)
                row: dict[str, object] = {"publish_s": time.monotonic() - started, "graphs_added": len(report.added)}
                started = time.monotonic()
                again = publish(target, kg)
                row["republish_unchanged_s"] = time.monotonic() - started
                assert not again.added and not again.replaced
                server = _serve(peer, root, work, mode)
                # the direct request names the dataset exactly as kg does in this mode
                sent = dataset if mode == "named" else []
                for query, text in queries.items():
                    kg_url, store_url = server.endpoint, peer.query_url  # type: ignore[attr-defined]
                    kg_ms, kg_answer = _p50(lambda t=text, u=kg_url: _post(u, [("query", t)]), repeat)
                    direct_ms, direct_answer = _p50(
                        lambda t=text, u=store_url, d=sent: _post(u, [("query", prologue + t), *d]), repeat)
                    row[query] = {"kg_p50_ms": kg_ms, "store_p50_ms": direct_ms, "ratio": kg_ms / direct_ms,
                                  "rows": len(_rows(kg_answer)), "rows_equal": _rows(kg_answer) == _rows(direct_answer)}
                assert MANIFEST_GRAPH not in graphs
                out[label] = row
                on_row(out)
            finally:
                if server is not None:
                    server.terminate()
                    server.wait(timeout=30)
                peer.stop()
            print(f"{label} done", flush=True)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(r: dict[str, object], peers: list[str]) -> str:
    lines = [f"### {r['claims']:,} claims ({r['triples']:,} triples in {r['graphs']} graphs)", "",
             "| store:KG_STORE_DATASET | publish (s) | re-publish, unchanged (s) | query | kg --store p50 (ms) "
             "| store direct p50 (ms) | kg / store | rows (equal) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name in peers:
        row = r[name]
        for q in ("figures", "selective lookup"):
            m = row[q]  # type: ignore[index]
            lines.append(f"| {name} | {row['publish_s']:.2f} | {row['republish_unchanged_s']:.2f} | {q} "  # type: ignore[index]
                         f"| {m['kg_p50_ms']:,.1f} | {m['store_p50_ms']:,.1f} | {m['ratio']:.2f}x "
                         f"| {m['rows']:,} ({'yes' if m['rows_equal'] else 'NO'}) |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000])
    parser.add_argument("--repeat", type=int, default=7, help="samples per query (after one warm-up)")
    parser.add_argument("--peers", nargs="+", default=["oxigraph:union", "virtuoso:named", "virtuoso:union"],
                        choices=["oxigraph:named", "oxigraph:union", "virtuoso:named", "virtuoso:union"],
                        help="store:KG_STORE_DATASET (oxigraph:union starts it with --union-default-graph)")
    parser.add_argument("--out", type=Path, default=RESULTS / "store.json")
    args = parser.parse_args()
    results: dict[str, object] = {"machine": {"cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M:%S")},
                                  "sizes": []}
    for n in args.sizes:
        done = list(results["sizes"])  # type: ignore[call-overload]

        def save(partial: dict[str, object], done: list[object] = done) -> None:
            args.out.parent.mkdir(parents=True, exist_ok=True)  # after every store: a stopped run keeps the rest
            args.out.write_text(json.dumps({**results, "sizes": [*done, partial]}, indent=1))

        r = run_size(n, args.repeat, args.peers, save)
        save(r)
        results["sizes"].append(r)  # type: ignore[attr-defined]
        print(table(r, args.peers), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
