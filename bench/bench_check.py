"""Benchmark: ``kg check`` on one new file versus a full pySHACL run over the same graph.

    .venv/bin/python bench/bench_check.py                      # sizes 1000,10000,100000
    .venv/bin/python bench/bench_check.py --sizes 100,1000 --full-timeout 600
    .venv/bin/python bench/bench_check.py --sizes 100,1000,10000,100000 --full-timeout 300 --full-max-claims 10000

For each size N it writes a synthetic graph of N claims (``kg.synth.generate``, cached under ``bench/.cache/``)
plus one addition of about 200 triples (``kg.synth.addition``), links the repository's ontology/ and shapes/
beside it, and measures, on the same machine in the same run:

* ``incremental``: ``kg.check.check([addition])``: loading the whole graph (pyoxigraph) and validating what the
  addition touches, all rules included;
* ``full pySHACL``: parse ontology and data into rdflib and ``pyshacl.validate`` everything (what the publishing
  gate does), in a child process stopped after ``--full-timeout`` seconds (reported as ``> T``).

It prints a markdown table and writes the raw numbers to ``bench/results/check.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.check.runner import check  # noqa: E402
from kg.settings import Settings  # noqa: E402
from kg.synth import addition, generate  # noqa: E402


def _prepare(n: int, cache: Path) -> Path:
    root = cache / f"claims-{n}"
    marker = root / ".complete"
    if not marker.exists():
        generate(n, root)
        addition(root)
        marker.write_text("ok")
    for name in ("ontology", "shapes"):
        link = root / name
        if not link.exists():
            link.symlink_to(ROOT / name, target_is_directory=True)
    return root


def _full_pyshacl(root: str, queue: multiprocessing.Queue) -> None:
    from kg.check.engines import merged_graph, shacl

    start = time.perf_counter()
    base = Path(root)
    graph = merged_graph(sorted((base / "ontology").glob("*.ttl")) + sorted((base / "data").glob("*.ttl")))
    parsed = time.perf_counter()
    results = shacl(graph, merged_graph(sorted((base / "shapes").glob("*.ttl"))))
    queue.put({"seconds": time.perf_counter() - start, "parse_seconds": parsed - start, "triples": len(graph),
               "violations": sum(r.severity == "violation" for r in results)})


def run_full(root: Path, timeout: float) -> dict[str, object]:
    queue: multiprocessing.Queue = multiprocessing.Queue()
    proc = multiprocessing.Process(target=_full_pyshacl, args=(str(root), queue))
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return {"seconds": None, "timeout": timeout}
    return queue.get() if not queue.empty() else {"seconds": None, "error": f"exit {proc.exitcode}"}


def run_incremental(root: Path) -> dict[str, object]:
    start = time.perf_counter()
    report = check([root / "additions" / "addition.ttl"], settings=Settings(root=root))
    return {"seconds": time.perf_counter() - start, "errors": report.errors, "warnings": report.warnings}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="claim counts, comma separated")
    parser.add_argument("--full-timeout", type=float, default=1800, help="seconds before a full run is stopped")
    parser.add_argument("--full-max-claims", type=int, default=None,
                        help="skip the full pySHACL run above this many claims (it grows faster than linearly)")
    parser.add_argument("--cache", default=str(ROOT / "bench" / ".cache"), help="where synthetic graphs are kept")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "check.json"))
    args = parser.parse_args(argv)
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        t = time.perf_counter()
        root = _prepare(n, Path(args.cache))
        generated = time.perf_counter() - t
        incremental = run_incremental(root)
        skip = args.full_max_claims is not None and n > args.full_max_claims
        full = {"seconds": None, "skipped": True} if skip else run_full(root, args.full_timeout)
        rows.append({"claims": n, "generate_seconds": generated, "incremental": incremental, "full_pyshacl": full})
        print(f"{n}: incremental {incremental['seconds']:.2f}s, full {full.get('seconds')}", file=sys.stderr)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "python": platform.python_version(),
                               "rows": rows}, indent=2) + "\n")
    print("| claims | triples (full run) | `kg check addition.ttl` | full pySHACL run | findings (incremental) |")
    print("| ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        full = r["full_pyshacl"]
        full_s = f"{full['seconds']:.1f} s" if full.get("seconds") is not None else (
            f"> {full['timeout']:.0f} s (stopped)" if "timeout" in full else
            "not run" if full.get("skipped") else str(full.get("error")))
        inc = r["incremental"]
        print(f"| {r['claims']:,} | {full.get('triples', 'n/a')} | {inc['seconds']:.2f} s | {full_s} | "
              f"{inc['errors']} errors, {inc['warnings']} warnings |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
