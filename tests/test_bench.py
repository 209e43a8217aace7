"""The view benchmark still runs end to end (a tiny size): a benchmark that rots is found here, not when the
numbers are needed. Its numbers are not asserted (machines are noisy); only that every measure is reported."""

from __future__ import annotations

import json
import subprocess
import sys

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
    proc = subprocess.run([sys.executable, "bench/bench_reasoning.py", "--sizes", "20", "--out", str(out),
                           "--owlrl-max-claims", "20"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    (row,) = json.loads(out.read_text())["rows"]
    assert row["owlrl_kept"] > 0 and row["reasonable_kept"] > 0 and "only_owlrl" in row
    assert row["only_owlrl"] == row["only_native_vs_owlrl"] == 0 and row["native_kept"] == row["owlrl_kept"]


def test_bench_engines_runs_and_reports_every_measure(tmp_path):
    """pyoxigraph alone (the peers would need a network install): every example query timed and answered on
    each graph, every W3C test of one folder given a status, and the markdown written."""
    out = tmp_path / "engines.json"
    proc = subprocess.run([sys.executable, "bench/bench_engines.py", "--engines", "pyoxigraph", "--sizes", "30",
                           "--repeat", "1", "--w3c-folders", "aggregates", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text())
    names = {p.stem for p in (ROOT / "kg" / "queries").glob("*.rq")}
    assert sorted(results["sizes"]) == ["30", "repository"]
    for graph in results["sizes"].values():
        engine = graph["engines"]["pyoxigraph"]
        assert engine["load_s"] > 0 and engine["peak_rss_mib"] > 0 and graph["triples"] > 0
        assert set(engine["queries"]) == names
        assert all(q["status"] == "pass" and q["p50_ms"] > 0 and q["n"] == 1 and q["rows"] >= 0
                   for q in engine["queries"].values())
    w3c = results["w3c"]["engines"]["pyoxigraph"]
    assert len(w3c["tests"]) == results["w3c"]["tests"] > 20
    assert all(t.startswith("aggregates/") for t in w3c["tests"])
    counts = w3c["counts"]["all"]
    assert sum(counts[s] for s in ("pass", "fail", "error", "crash", "timeout")) == results["w3c"]["tests"]
    assert counts["pass"] > 0
    assert "| engine | approved: pass |" in out.with_suffix(".md").read_text()


def test_bench_load_runs_both_phases_and_reports_every_class(tmp_path):
    out = tmp_path / "load.json"
    proc = subprocess.run([sys.executable, "bench/bench_load.py", "--claims", "30", "--clients", "2", "--seconds",
                           "1.5", "--runs", "1", "--attackers", "1", "--client-mode", "threads", "processes",
                           "--ramp-up", "0", "0.5", "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text())
    (run,) = results["runs"]
    phases = run["phases"]
    assert [(p["ramp_up_s"], p["client_mode"], p["attackers"]) for p in phases] == [
        (ramp, mode, attackers) for ramp in (0, 0.5) for mode in ("threads", "processes") for attackers in (0, 1)]
    for phase in phases:
        assert phase["requests"] > 0 and phase["light"]["n"] > 0 and phase["throughput_rps"] > 0
        # a short phase on a busy machine may not reach every class; each class it reports has its figures
        assert set(phase["classes"]) <= {"entity page", "view", "ASK", "selective lookup", "example", "attack"}
        assert all(c["n"] > 0 and c["p99_ms"] >= c["p50_ms"] > 0 for c in phase["classes"].values())
        # the slowest light requests split by the server's Server-Timing: each part is within the whole for every
        # request, so for their medians too
        tail = phase["light"]["tail"]
        assert tail["n"] >= 1 and 0 < tail["server_ms"] <= tail["client_ms"]
        assert max(tail["wait_ms"], tail["compute_ms"]) <= tail["server_ms"] + 0.1  # each rounded to 0.1 ms
    assert all("attack" in p["classes"] for p in phases if p["attackers"]) and run["peak_pss_mib"] > 0
    assert out.with_suffix(".md").exists() and "| run | clients as | ramp-up (s) | attackers |" in proc.stdout


def test_bench_store_runs_and_compares_rows(tmp_path):
    from bench.peers import oxigraph_binary

    assert oxigraph_binary() is not None, "the oxigraph server binary is missing: the test extra installs it"
    out = tmp_path / "store.json"
    proc = subprocess.run([sys.executable, "bench/bench_store.py", "--sizes", "30", "--repeat", "1", "--peers",
                           "oxigraph:named", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (row,) = json.loads(out.read_text())["sizes"]
    measures = row["oxigraph:named"]
    assert measures["publish_s"] > 0 and measures["graphs_added"] == row["graphs"]
    assert all(measures[q]["rows_equal"] and measures[q]["rows"] > 0 for q in ("figures", "selective lookup"))


def test_bench_server_examples_runs_every_example_query_and_compares_rows(tmp_path):
    out = tmp_path / "examples.json"
    proc = subprocess.run([sys.executable, "bench/bench_server.py", "--examples", "--sizes", "30", "--repeat", "1",
                           "--skip-virtuoso", "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text())
    names = sorted(p.stem for p in (ROOT / "kg" / "queries").glob("*.rq"))
    assert set(results) == {"kg", "oxigraph"}
    for server in results.values():
        assert sorted(k for k in server if k != "peak_rss_mib") == names and server["peak_rss_mib"] > 0
    # both serve the same triples (Oxigraph is given kg's inferred ones), so every query has the same rows
    assert all(results["kg"][n]["rows"] == results["oxigraph"][n]["rows"] for n in names)
    assert all(results["kg"][n]["p50_ms"] > 0 for n in names)
    assert "| figures |" in out.with_suffix(".md").read_text()


def test_bench_load_memory_measures_both_servers(tmp_path):
    out = tmp_path / "memory.json"
    proc = subprocess.run([sys.executable, "bench/bench_load.py", "--memory", "--claims", "30", "--repeat", "1",
                           "--memory-modes", "processes", "threads", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text())
    kgs = [f"kg (KG_WORKER_MODE={mode})" for mode in ("processes", "threads")]
    assert [results["kg_settings"][k]["KG_WORKER_MODE"] for k in kgs] == ["processes", "threads"]
    for name in (*kgs, "oxigraph"):
        # sampled every 0.2 s: a tiny graph's peak may fall between samples, so only that both were measured
        assert results[name]["peak_pss_mib"] > 0 and results[name]["idle_pss_mib"] > 0
        assert results[name]["errors"] == []
        # each of the server bench's five queries timed on each server, side by side
        assert len(results[name]["p50_ms"]) == 5 and all(v > 0 for v in results[name]["p50_ms"].values())
