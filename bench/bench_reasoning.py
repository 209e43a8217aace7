"""Benchmark: what the OWL 2 RL closure costs, with owlrl (the reference the server uses) beside reasonable.

Run (from the repository root, after the README's test install, which brings ``reasonable``):

    .venv/bin/python bench/bench_reasoning.py                          # repo, 10000, 100000 claims
    .venv/bin/python bench/bench_reasoning.py --sizes 1000 --owlrl-max-claims 1000

Why: ``KG_REASONING=owlrl`` computes the closure once per data version (kg.reasoning caches it); this bench
says what that once costs as the graph grows, and whether a faster engine would add the same triples. For the
repository's ontology + data and for synthetic graphs of N claims (``kg.synth.generate``, built once under
``bench/.cache/reasoning-N/`` and reused), beside the repository's ontology, it measures in one process:

* ``owlrl``: ``owlrl.DeductiveClosure(OWLRL_Semantics).expand`` on an rdflib copy of the graph (skipped above
  ``--owlrl-max-claims``: at 10k claims it takes about a minute, and grows worse than linearly);
* ``reasonable`` (Rust, OWL 2 RL): ``PyReasoner.from_graph`` + ``reason()`` on the same rdflib graph.

For each: seconds, the triples it adds (closure minus asserted, raw), and the triples kg.reasoning would keep
(``kg.reasoning.useful``: no literal subjects, no blank nodes, no owl:sameAs x x, no owl:Thing typing ...);
then how the two kept sets differ (sizes of both set differences). The conversion to rdflib (which the server
pays too) is timed apart. Results: ``bench/results/reasoning.json`` (``--out``) and the ``.md`` beside it,
written after every graph so an interrupted run keeps what it measured. Machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.reasoning import to_ox, to_rdflib, useful  # noqa: E402
from kg.synth import generate  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
MARKER = ".complete"
HEADER = ("| graph | asserted | to rdflib s | owlrl s | owlrl adds (kept) | reasonable s | reasonable adds (kept) "
          "| kept only by owlrl | kept only by reasonable |")


def ttl_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.ttl"))


def graph_files(size: str) -> list[Path]:
    """The files of one benchmarked graph: the repository's (``repo``) or ontology + N synthetic claims."""
    ontology = ttl_files(ROOT / "ontology")
    if size == "repo":
        return ontology + ttl_files(ROOT / "data")
    folder = CACHE / f"reasoning-{size}"
    if not (folder / MARKER).exists():
        generate(int(size), folder)
        (folder / MARKER).write_text("")
    return ontology + ttl_files(folder / "data")


def kept(added: set[Any], asserted: set[ox.Triple]) -> set[ox.Triple]:
    """The added triples kg.reasoning would store: converted to pyoxigraph terms, minus the asserted ones (an
    engine may hand back an asserted plain literal as a typed xsd:string one, a different rdflib term but the
    same RDF 1.1 literal), then filtered."""
    out = set()
    for s, p, o in added:
        try:
            triple = ox.Triple(to_ox(s), to_ox(p), to_ox(o))
        except TypeError:  # a literal subject: not even representable
            continue
        if triple not in asserted and useful(triple):
            out.add(triple)
    return out


def measure(size: str, owlrl_max: int) -> dict[str, Any]:
    import owlrl
    import rdflib
    import reasonable

    triples = {q.triple for path in graph_files(size) for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)}
    started = time.perf_counter()
    graph = rdflib.Graph()
    for t in triples:
        graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    row: dict[str, Any] = {"graph": size, "asserted": len(graph), "to_rdflib_s": time.perf_counter() - started}
    asserted = set(graph)
    results: dict[str, set[ox.Triple]] = {}
    if size == "repo" or int(size) <= owlrl_max:
        copy = rdflib.Graph()
        copy += graph
        started = time.perf_counter()
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(copy)
        row["owlrl_s"] = time.perf_counter() - started
        added = set(copy) - asserted
        results["owlrl"] = kept(added, triples)
        row["owlrl_added"], row["owlrl_kept"] = len(added), len(results["owlrl"])
        del copy
    else:
        row["owlrl_s"] = None
        row["owlrl_skipped"] = f"above --owlrl-max-claims={owlrl_max}"
    started = time.perf_counter()
    reasoner = reasonable.PyReasoner()
    reasoner.from_graph(graph)
    closure = set(reasoner.reason())
    row["reasonable_s"] = time.perf_counter() - started
    added = closure - asserted
    results["reasonable"] = kept(added, triples)
    row["reasonable_added"], row["reasonable_kept"] = len(added), len(results["reasonable"])
    if "owlrl" in results:
        only_owlrl = results["owlrl"] - results["reasonable"]
        only_reasonable = results["reasonable"] - results["owlrl"]
        row["only_owlrl"], row["only_reasonable"] = len(only_owlrl), len(only_reasonable)
        row["only_owlrl_examples"] = sorted(map(str, only_owlrl))[:5]
        row["only_reasonable_examples"] = sorted(map(str, only_reasonable))[:5]
    return row


def _s(value: float | None) -> str:
    return "skipped" if value is None else f"{value:.2f}"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [HEADER, "| " + " | ".join(["---"] * (HEADER.count("|") - 1)) + " |"]
    for r in rows:
        owl = f"{r['owlrl_added']:,} ({r['owlrl_kept']:,})" if r.get("owlrl_s") is not None else "-"
        lines.append(f"| {r['graph']} | {r['asserted']:,} | {_s(r['to_rdflib_s'])} | {_s(r['owlrl_s'])} | {owl} | "
                     f"{_s(r['reasonable_s'])} | {r['reasonable_added']:,} ({r['reasonable_kept']:,}) | "
                     f"{r.get('only_owlrl', '-')} | {r.get('only_reasonable', '-')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="repo,10000,100000", help="comma-separated: repo and claim counts")
    parser.add_argument("--owlrl-max-claims", type=int, default=10_000,
                        help="skip owlrl above this many claims (about 500 s at 100k, estimated)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "reasoning.json")
    args = parser.parse_args(argv)
    import owlrl
    import reasonable

    rows: list[dict[str, Any]] = []
    meta = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "python": platform.python_version(),
            "machine": platform.machine(), "owlrl": getattr(owlrl, "__version__", "?"),
            "reasonable": getattr(reasonable, "__version__", "?")}
    for size in args.sizes.split(","):
        print(f"measuring {size} ...", file=sys.stderr, flush=True)
        rows.append(measure(size, args.owlrl_max_claims))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
        args.out.with_suffix(".md").write_text(table(rows))
        print(table(rows), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
