"""Benchmark: what a curator pays for ``kg check`` on one file, beside graphs of growing size.

Run (from the repository root, after the README's install):

    .venv/bin/python bench/bench_check.py                                  # sizes 1000,10000,100000
    .venv/bin/python bench/bench_check.py --sizes 1000,10000 --repeat 3
    .venv/bin/python bench/bench_check.py --sizes 100000 --peer-max-claims 10000 --timeout 1800

Why: a curator adds or edits one file and runs ``kg check`` on it before committing. That check should cost
what the addition costs, not what the graph costs: at 100,000 claims it should take about what it takes at
1,000 (the goal is within 1.5x). A persisted store (``KG_STORE_DIR``) lets ``kg check`` reuse the unchanged
files instead of parsing the whole graph on every run; this bench measures whether it does.

For each size N it builds, once, a repository-shaped root under ``bench/.cache/check-N/`` (reused when
complete): ``ontology/`` and ``shapes/`` link to the repository's; ``seeds/`` and ``data/`` hold links to the
repository's own seeds and data files beside a synthetic graph of N claims (``kg.synth.generate``). Then it
measures, side by side in the same run, the whole command a curator types (interpreter start, imports, loading,
rules), each run in its own process:

* ``cold``: ``kg check --root ROOT ROOT/data/article-mindua-20265865.ttl`` with ``KG_STORE_DIR=ROOT/.kg-store``
  after removing that store: the first run, which builds the store (one run);
* ``warm``: the same command again, ``--repeat`` times, reusing the store (p50, min, max);
* ``no store`` (the peer): the same command without ``KG_STORE_DIR``, ``--repeat`` times: it parses the whole
  graph every time (skipped above ``--peer-max-claims``).

The checked file is the repository's article (about 1,000 triples); only the graph beside it grows. Ratios:
warm p50 at each size over warm p50 at the smallest size, and warm p50 with the store over without it. A run
whose exit code is neither 0 (conforms) nor 1 (findings), or that exceeds ``--timeout``, is reported as an
error and left out of the timings; the bench keeps going and exits 1 at the end.

It prints a markdown table and writes the raw numbers to ``bench/results/check.json`` (``--out``) and the table
to the ``.md`` beside it, after every size, so an interrupted run keeps what it measured. Machines are shared
and noisy: compare within the run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.synth import generate  # noqa: E402  (the only import from kg: everything else goes through the CLI)

CHECKED = "article-mindua-20265865.ttl"
STORE = ".kg-store"
MARKER = ".complete"
RACY_S = 2.5  # the store does not trust a hash recorded within two seconds of the file's modification
GOAL = 1.5
MEASURES = ("cold", "warm", "no_store")
HEADER = ("| claims | triples in data | cold s | warm p50 s (min-max) | without store p50 s | warm / smallest "
          "| store / no store |")


@dataclass
class Run:
    """One ``kg check`` process: wall time, exit code, the last line of stderr (its summary), and any error."""

    seconds: float
    exit_code: int | None
    stderr_last: str
    error: str | None = None


def kg_command() -> list[str]:
    """The ``kg`` console script installed beside this interpreter (what a curator runs), else ``python -m kg``."""
    script = Path(sys.executable).parent / "kg"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kg"]


def count_triples(paths: list[Path]) -> int:
    return sum(sum(1 for _ in ox.parse(path=str(p), format=ox.RdfFormat.TURTLE)) for p in paths)


def _link(link: Path, target: Path) -> None:
    if link.is_symlink() and link.resolve() == target.resolve():
        return
    if link.exists() or link.is_symlink():
        if not link.is_symlink():
            print(f"warning: {link} is a synthetic file; not linking the repository's {target}", file=sys.stderr)
            return
        link.unlink()
    link.symlink_to(target, target_is_directory=target.is_dir())


def link_repository(root: Path) -> list[Path]:
    """Link the repository's ontology/, shapes/, seeds/* and data/*.ttl into ``root``; drop links gone stale.

    Returns the repository's data files (linked)."""
    for name in ("ontology", "shapes"):
        _link(root / name, ROOT / name)
    for folder in (root / "seeds", root / "data"):
        folder.mkdir(exist_ok=True)
        for entry in folder.iterdir():
            if entry.is_symlink() and not entry.exists():
                entry.unlink()
    for seed in sorted((ROOT / "seeds").iterdir()):
        if seed.is_file():
            _link(root / "seeds" / seed.name, seed)
    data = sorted((ROOT / "data").glob("*.ttl"))
    for path in data:
        _link(root / "data" / path.name, path)
    return data


def prepare(n: int, cache: Path) -> tuple[Path, dict[str, Any]]:
    """The root for ``n`` claims under ``cache/check-n/``, built unless complete; and how it was obtained."""
    root = cache / f"check-{n}"
    marker = root / MARKER
    started = time.perf_counter()
    info: dict[str, Any]
    if marker.exists():
        info = json.loads(marker.read_text()) | {"reused": True}
    else:
        work = cache / f"check-{n}.tmp"
        for stale in (root, work):
            if stale.exists():
                shutil.rmtree(stale)
        generate(n, work)
        root.mkdir(parents=True)
        for name in ("data", "seeds"):
            os.replace(work / name, root / name)
        shutil.rmtree(work)
        synthetic = count_triples(sorted((root / "data").glob("*.ttl")))
        info = {"claims": n, "synthetic_triples": synthetic, "generate_seconds": time.perf_counter() - started,
                "built": datetime.now(UTC).isoformat(timespec="seconds")}
        marker.write_text(json.dumps(info, indent=1) + "\n")
        info |= {"reused": False}
    repository = count_triples(link_repository(root))
    info |= {"repository_triples": repository, "triples": info["synthetic_triples"] + repository,
             "prepare_seconds": time.perf_counter() - started}
    if not info["reused"]:
        # the files just written must be older than the store's racy window, or the store re-reads them
        time.sleep(max(0.0, RACY_S - (time.time() - marker.stat().st_mtime)))
    return root, info


def run_once(cmd: list[str], env: dict[str, str], timeout: float) -> Run:
    """Run ``cmd`` in its own process group; on timeout, kill that group (kg may start workers)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, stderr = proc.communicate()
        return Run(time.perf_counter() - start, None, _last_line(stderr), f"timed out after {timeout:g} s")
    seconds = time.perf_counter() - start
    last = _last_line(stderr)
    error = None if proc.returncode in (0, 1) else f"exit {proc.returncode}: {last}"
    return Run(seconds, proc.returncode, last, error)


def _last_line(text: str | None) -> str:
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def summary(runs: list[Run]) -> dict[str, Any]:
    """p50 / min / max over the runs that did not fail; every run kept as raw numbers."""
    ok = sorted(r.seconds for r in runs if r.error is None)
    return {"n": len(ok), "p50_s": statistics.median(ok) if ok else None, "min_s": ok[0] if ok else None,
            "max_s": ok[-1] if ok else None, "errors": sum(r.error is not None for r in runs),
            "runs": [asdict(r) for r in runs]}


def measure_size(root: Path, n: int, args: argparse.Namespace, errors: list[str]) -> dict[str, Any]:
    cmd = [*kg_command(), "check", "--root", str(root), str(root / "data" / CHECKED)]
    with_store = dict(os.environ, KG_STORE_DIR=str(root / STORE))
    without_store = {k: v for k, v in os.environ.items() if k != "KG_STORE_DIR"}
    store = root / STORE
    if store.exists():
        shutil.rmtree(store)  # the graph is cached between bench runs, the store is not: cold is cold

    def runs(label: str, env: dict[str, str], count: int) -> list[Run]:
        done = []
        for i in range(count):
            run = run_once(cmd, env, args.timeout)
            done.append(run)
            print(f"  {n:,} claims, {label} {i + 1}/{count}: {run.seconds:.2f} s, exit {run.exit_code}: "
                  f"{run.stderr_last}", file=sys.stderr)
            if run.error is not None:
                errors.append(f"{n} claims, {label} run {i + 1}: {run.error}")
        return done

    measures: dict[str, Any] = {"cold": summary(runs("cold", with_store, 1)),
                                "warm": summary(runs("warm", with_store, args.repeat))}
    if n > args.peer_max_claims:
        measures["no_store"] = {"n": 0, "skipped": True, "reason": f"above --peer-max-claims {args.peer_max_claims}"}
    else:
        # after the store runs, every file is in the page cache: the peer reads warm files too
        measures["no_store"] = summary(runs("no store", without_store, args.repeat))
    return measures


def ratios(rows: list[dict[str, Any]]) -> None:
    """Fill each row's ratios: warm p50 / warm p50 at the smallest size, and with store / without store."""
    base = rows[0]["measures"]["warm"]["p50_s"] if rows else None
    for row in rows:
        warm = row["measures"]["warm"]["p50_s"]
        peer = row["measures"]["no_store"].get("p50_s")
        row["ratios"] = {"warm_to_smallest": warm / base if warm and base else None,
                         "store_to_no_store": warm / peer if warm and peer else None}


def _s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [HEADER, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        m = row["measures"]
        warm, peer = m["warm"], m["no_store"]
        peer_s = "skipped" if peer.get("skipped") else _s(peer["p50_s"])
        lines.append(f"| {row['claims']:,} | {row['triples']:,} | {_s(m['cold']['p50_s'])} | {_s(warm['p50_s'])} "
                     f"({_s(warm['min_s'])}-{_s(warm['max_s'])}) | {peer_s} | "
                     f"{_x(row['ratios']['warm_to_smallest'])} | {_x(row['ratios']['store_to_no_store'])} |")
    return "\n".join(lines)


def goal(rows: list[dict[str, Any]]) -> dict[str, Any]:
    text = f"warm p50 at the largest size within {GOAL}x of the smallest (the issue: 100,000 claims vs 1,000)"
    ratio = rows[-1]["ratios"]["warm_to_smallest"] if len(rows) > 1 else None
    return {"goal": text, "smallest": rows[0]["claims"] if rows else None,
            "largest": rows[-1]["claims"] if rows else None, "ratio": ratio,
            "met": None if ratio is None else ratio <= GOAL}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def write_results(out: Path, results: dict[str, Any]) -> str:
    """Write the JSON and the markdown beside it (same stem); return the markdown table."""
    rows = results["rows"]
    ratios(rows)
    results["goal"] = goal(rows)
    _write(out, json.dumps(results, indent=1) + "\n")
    md = table(rows)
    g = results["goal"]
    verdict = "n/a (one size)" if g["met"] is None else f"{_x(g['ratio'])}, {'met' if g['met'] else 'not met'}"
    _write(out.with_suffix(".md"), (
        f"### `kg check` on one file (`data/{CHECKED}`) beside graphs of growing size\n\n"
        f"{results['date']}, {results['machine']['platform']}, {results['machine']['cpu_count']} CPUs, "
        f"Python {results['python']}; warm and no-store: {results['settings']['repeat']} runs each; "
        f"every run is a new `kg check` process.\n\n{md}\n\n"
        f"Goal: {g['goal']}: {verdict}.\n"
        + (f"\nErrors: {'; '.join(results['errors'])}\n" if results["errors"] else "")))
    return md


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="claim counts, comma separated")
    parser.add_argument("--repeat", type=int, default=5, help="warm runs per measure (and runs of the peer)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before one run is stopped")
    parser.add_argument("--peer-max-claims", type=int, default=100_000,
                        help="skip the no-store peer above this many claims (it parses the whole graph each run)")
    parser.add_argument("--cache", type=Path, default=ROOT / "bench" / ".cache", help="where the roots are kept")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "check.json",
                        help="raw numbers (JSON); the table goes to the .md with the same stem")
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if not sizes or sizes[0] < 1 or args.repeat < 1:
        parser.error("--sizes takes claim counts of 1 or more and --repeat 1 or more")
    results: dict[str, Any] = {
        "benchmark": "kg check on one file beside graphs of growing size",
        "command": f"kg check --root ROOT ROOT/data/{CHECKED} (with and without KG_STORE_DIR=ROOT/{STORE})",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count()},
        "python": platform.python_version(),
        "settings": {"sizes": sizes, "repeat": args.repeat, "timeout_s": args.timeout,
                     "peer_max_claims": args.peer_max_claims},
        "rows": [], "errors": []}
    md = ""
    for n in sizes:
        print(f"{n:,} claims: preparing {args.cache / f'check-{n}'}", file=sys.stderr)
        root, info = prepare(n, args.cache)
        measures = measure_size(root, n, args, results["errors"])
        results["rows"].append({"claims": n, "root": str(root), "triples": info["triples"], "prepare": info,
                                "measures": measures})
        md = write_results(args.out, results)
    print(f"### `kg check data/{CHECKED}` beside N synthetic claims\n")
    print(md)
    print(f"\nGoal: {results['goal']['goal']}: ratio {_x(results['goal']['ratio'])}")
    if results["errors"]:
        print(f"\n{len(results['errors'])} failed run(s):", *results["errors"], sep="\n- ")
    print(f"\nraw numbers: {args.out}; table: {args.out.with_suffix('.md')}")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
