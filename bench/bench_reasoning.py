"""Benchmark: what the OWL 2 RL closure costs, with kg's native engine (the default) beside owlrl (the reference)
and reasonable (Rust, from PyPI).

Run (from the repository root, after the README's test install, which brings ``reasonable``):

    .venv/bin/python bench/bench_reasoning.py                          # repo, 10000, 100000 claims
    .venv/bin/python bench/bench_reasoning.py --sizes 1000 --owlrl-max-claims 1000

Why: ``KG_REASONING=owlrl`` computes the closure once per data version (kg.reasoning caches it); this bench
says what that once costs as the graph grows, and whether the engines keep the same triples. For the
repository's ontology + data and for synthetic graphs of N claims (``kg.synth.generate``, built once under
``bench/.cache/reasoning-N/`` and reused), beside the repository's ontology, it measures in one process:

* ``native``: ``kg.reasoning.closure(..., "owlrl", "native")`` (kg.closure's rules over pyoxigraph terms, the
  filter included), at every size;
* ``owlrl``: ``owlrl.DeductiveClosure(OWLRL_Semantics).expand`` on an rdflib copy of the graph (skipped above
  ``--owlrl-max-claims``: at 10k claims it did not finish in 10 minutes);
* ``reasonable`` (Rust, OWL 2 RL): ``PyReasoner.from_graph`` + ``reason()`` on the same rdflib graph (skipped
  above ``--reasonable-max-claims``, with the conversion to rdflib both need).

For each: seconds, the triples it adds (closure minus asserted, raw), and the triples kg.reasoning would keep
(``kg.reasoning.useful``: no literal subjects, no blank nodes, no owl:sameAs x x, no owl:Thing typing ...);
then how each kept set differs from native's (sizes of both set differences). Results:
``bench/results/reasoning.json`` (``--out``) and the ``.md`` beside it, written after every graph so an
interrupted run keeps what it measured. Machines are shared and noisy.
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

from kg.reasoning import closure, to_ox, to_rdflib, useful  # noqa: E402
from kg.synth import generate  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
MARKER = ".complete"
HEADER = ("| graph | asserted | native s | native keeps | to rdflib s | owlrl s | owlrl adds (kept) | reasonable s "
          "| reasonable adds (kept) | kept only by owlrl / only by native | kept only by reasonable / only by native |")


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


def measure(size: str, owlrl_max: int, reasonable_max: int) -> dict[str, Any]:
    import owlrl
    import rdflib
    import reasonable

    triples = {q.triple for path in graph_files(size) for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)}
    row: dict[str, Any] = {"graph": size, "asserted": len(triples)}
    claims = 0 if size == "repo" else int(size)
    started = time.perf_counter()
    results: dict[str, set[ox.Triple]] = {"native": set(closure(triples, "owlrl", "native"))}
    row["native_s"], row["native_kept"] = time.perf_counter() - started, len(results["native"])
    graph = None
    if claims <= max(owlrl_max, reasonable_max):
        started = time.perf_counter()
        graph = rdflib.Graph()
        for t in triples:
            graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        row["to_rdflib_s"] = time.perf_counter() - started
    asserted = set(graph) if graph is not None else set()
    if graph is not None and claims <= owlrl_max:
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
    if graph is not None and claims <= reasonable_max:
        started = time.perf_counter()
        reasoner = reasonable.PyReasoner()
        reasoner.from_graph(graph)
        found = set(reasoner.reason())
        row["reasonable_s"] = time.perf_counter() - started
        added = found - asserted
        results["reasonable"] = kept(added, triples)
        row["reasonable_added"], row["reasonable_kept"] = len(added), len(results["reasonable"])
    else:
        row["reasonable_s"] = None
    for other in ("owlrl", "reasonable"):
        if other in results:
            only_native, only_other = results["native"] - results[other], results[other] - results["native"]
            row[f"only_native_vs_{other}"], row[f"only_{other}"] = len(only_native), len(only_other)
            row[f"only_{other}_examples"] = sorted(map(str, only_other))[:5]
    return row


def _s(value: float | None) -> str:
    return "skipped" if value is None else f"{value:.2f}"


def _n(row: dict[str, Any], key: str) -> str:
    return f"{row[key]:,}" if key in row else "-"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [HEADER, "| " + " | ".join(["---"] * (HEADER.count("|") - 1)) + " |"]
    for r in rows:
        owl = f"{r['owlrl_added']:,} ({r['owlrl_kept']:,})" if r.get("owlrl_s") is not None else "-"
        rea = f"{r['reasonable_added']:,} ({r['reasonable_kept']:,})" if r.get("reasonable_s") is not None else "-"
        lines.append(f"| {r['graph']} | {r['asserted']:,} | {_s(r['native_s'])} | {r['native_kept']:,} | "
                     f"{_s(r.get('to_rdflib_s'))} | {_s(r['owlrl_s'])} | {owl} | {_s(r['reasonable_s'])} | {rea} | "
                     f"{_n(r, 'only_owlrl')} / {_n(r, 'only_native_vs_owlrl')} | "
                     f"{_n(r, 'only_reasonable')} / {_n(r, 'only_native_vs_reasonable')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="repo,10000,100000", help="comma-separated: repo and claim counts")
    parser.add_argument("--owlrl-max-claims", type=int, default=1_000,
                        help="skip owlrl above this many claims (at 10k it did not finish in 10 minutes)")
    parser.add_argument("--reasonable-max-claims", type=int, default=10_000,
                        help="skip reasonable (and the conversion to rdflib it needs) above this many claims")
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
        rows.append(measure(size, args.owlrl_max_claims, args.reasonable_max_claims))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
        args.out.with_suffix(".md").write_text(table(rows))
        print(table(rows), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
