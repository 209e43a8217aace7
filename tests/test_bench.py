"""The view benchmark still runs end to end (a tiny size): a benchmark that rots is found here, not when the
numbers are needed. Its numbers are not asserted (machines are noisy); only that every measure is reported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import ROOT


def test_bench_views_runs_and_reports_every_measure(tmp_path):
    out = tmp_path / "views.json"
    proc = subprocess.run([sys.executable, "bench/bench_views.py", "--claims", "30", "--repeat", "2", "--out",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text())
    measures = [k for k, v in results.items() if isinstance(v, dict)]
    assert len(measures) == 6 and all(results[k]["n"] >= 1 and results[k]["p50_ms"] > 0 for k in measures)
    assert "| kg figures --store-dir --limit 100 --format csv |" in proc.stdout


def test_bench_check_runs_and_reports_every_measure(tmp_path):
    out = tmp_path / "check.json"
    proc = subprocess.run([sys.executable, "bench/bench_check.py", "--sizes", "20", "--repeat", "1", "--out",
                           str(out), "--cache", str(tmp_path / "cache")], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    (row,) = json.loads(out.read_text())["rows"]
    assert row["claims"] == 20
    measures = row["measures"]
    assert sorted(measures) == ["cold", "no_store", "warm"]
    assert all(m["n"] >= 1 and m["p50_s"] > 0 and m["min_s"] > 0 for m in measures.values())
    assert out.with_suffix(".md").exists()
    assert "| claims | triples in data | cold s | warm p50 s (min-max) | without store p50 s |" in proc.stdout


def test_bench_reasoning_runs_and_compares_the_engines(tmp_path):
    out = tmp_path / "reasoning.json"
    proc = subprocess.run([sys.executable, "bench/bench_reasoning.py", "--sizes", "20", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    (row,) = json.loads(out.read_text())["rows"]
    assert row["owlrl_kept"] > 0 and row["reasonable_kept"] > 0 and "only_owlrl" in row


def test_bench_store_runs_and_compares_rows(tmp_path):
    from bench.peers import oxigraph_binary

    if oxigraph_binary() is None:
        pytest.skip("the oxigraph server binary is not installed (the test extra installs it)")
    out = tmp_path / "store.json"
    proc = subprocess.run([sys.executable, "bench/bench_store.py", "--sizes", "30", "--repeat", "1", "--peers",
                           "oxigraph:named", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (row,) = json.loads(out.read_text())["sizes"]
    measures = row["oxigraph:named"]
    assert measures["publish_s"] > 0 and measures["graphs_added"] == row["graphs"]
    assert all(measures[q]["rows_equal"] and measures[q]["rows"] > 0 for q in ("figures", "selective lookup"))
