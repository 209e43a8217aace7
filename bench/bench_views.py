"""Headline views from the command line: `kg figures` over a persisted store, first page, at scale.

Run (from the repository root, after the README's install):

    .venv/bin/python bench/bench_views.py                   # 100,000 claims
    .venv/bin/python bench/bench_views.py --claims 10000

It generates the synthetic graph (``kg synth``), prepares the store and the figures view once (timed: that is
the once-per-version cost), then measures, side by side in the same run:

* ``kg figures --store-dir DIR --limit 100`` as CSV and JSON, the whole command (interpreter start, imports,
  checking that no file changed, reading the page);
* the same page in-process (:func:`kg.store.figures_view` then ``csv``/``records``): the part kg controls;
* the peers of the whole command: ``python -c pass`` (the interpreter's own start, a floor no Python CLI goes
  under) and ``kg figures --limit 100`` without a store (load the Turtle, run the query: what the view saves).

It prints a markdown table and writes the raw numbers to ``bench/results/views.json``. Machines are shared and
noisy: compare within the run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def sample(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    fn()  # warm the page cache: every peer reads warm files
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return {"p50_ms": statistics.median(times) * 1000, "p95_ms": times[round(0.95 * (len(times) - 1))] * 1000,
            "n": len(times)}


def command(*args: str) -> Callable[[], object]:
    def run() -> object:
        return subprocess.run(args, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "views.json")
    args = parser.parse_args()

    from kg.settings import Settings
    from kg.store import figures_view
    from kg.synth import generate

    work = Path(tempfile.mkdtemp(prefix="kg-bench-views-"))
    try:
        generate(args.claims, work / "synth", seed=0)
        data = [str(ROOT / "ontology"), str(work / "synth" / "data")]
        # reasoning none: the view is measured on the graph as written (owlrl would take hours at this size)
        settings = Settings(root=ROOT, store_dir=work / "store", reasoning="none")
        kg = [sys.executable, "-m", "kg", "figures", "--data", data[0], "--data", data[1], "--limit", "100",
              "--reasoning", "none"]
        started = time.perf_counter()
        subprocess.run([*kg, "--store-dir", str(work / "store")], check=True, stdout=subprocess.DEVNULL)
        prepare_s = time.perf_counter() - started
        # hashes recorded within two seconds of a file's modification are not trusted yet (kg.store.RACY_NS)
        time.sleep(2.5)
        subprocess.run([*kg, "--store-dir", str(work / "store")], check=True, stdout=subprocess.DEVNULL)

        results: dict[str, object] = {"claims": args.claims, "prepare_once_s": prepare_s}
        results["kg figures --store-dir --limit 100 --format csv"] = sample(
            command(*kg, "--store-dir", str(work / "store"), "--format", "csv"), args.repeat)
        results["kg figures --store-dir --limit 100 --format json"] = sample(
            command(*kg, "--store-dir", str(work / "store"), "--format", "json"), args.repeat)
        results["in-process: figures_view + first 100 rows as CSV"] = sample(
            lambda: figures_view(settings, data, progress=None).csv(0, 100), args.repeat)
        results["in-process: figures_view + first 100 rows as records"] = sample(
            lambda: figures_view(settings, data, progress=None).records(0, 100), args.repeat)
        results["peer: python -c pass"] = sample(command(sys.executable, "-c", "pass"), args.repeat)
        results["peer: kg figures --limit 100 (no store: load and query)"] = sample(
            command(*kg, "--format", "csv"), max(1, args.repeat // 10))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"### `kg figures`, first page, {args.claims:,} claims (prepared once in {prepare_s:.1f} s)\n")
    print("| measure | p50 | p95 | n |\n| --- | --- | --- | --- |")
    for name, value in results.items():
        if isinstance(value, dict):
            print(f"| {name} | {value['p50_ms']:,.1f} ms | {value['p95_ms']:,.1f} ms | {value['n']} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    print(f"\nraw numbers: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
