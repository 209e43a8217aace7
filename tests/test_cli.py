"""The CLI contract: exit codes 0/1/2, results on stdout, one-line diagnostics on stderr."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kg.cli import main

from .conftest import ROOT, SEED


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kg", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_query_ok_exit_0(capsys):
    assert main(["query", "ASK { ?s a kg:QuantityClaim }", "--format", "json"]) == 0
    assert capsys.readouterr().out == '{"head": {}, "boolean": true}'


def test_query_file(tmp_path, capsys):
    q = tmp_path / "q.rq"
    q.write_text("SELECT ?l WHERE { kgr:state-ua rdfs:label ?l }")
    assert main(["query", str(q), "--format", "csv"]) == 0
    assert capsys.readouterr().out == "l\r\nUkraine\r\n"


def test_malformed_query_exit_2_no_traceback():
    proc = run("query", "SELECT ?x WHERE {")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("kg query: malformed query")
    assert "Traceback" not in proc.stderr


def test_missing_data_file_exit_2():
    proc = run("figures", "--data", "does-not-exist.ttl")
    assert proc.returncode == 2
    assert "does-not-exist.ttl: no such file" in proc.stderr


def test_broken_turtle_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:a ex:b ex:zz ex:d .\n")
    proc = run("figures", "--data", str(bad))
    assert proc.returncode == 2
    assert f"{bad}:3:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_flag_exit_2():
    assert run("figures", "--format", "yaml").returncode == 2


def test_output_file_written_atomically(tmp_path):
    out = tmp_path / "figures.csv"
    assert main(["figures", "--format", "csv", "-o", str(out)]) == 0
    assert out.read_text().startswith("claim,value,")
    assert [p.name for p in tmp_path.iterdir()] == ["figures.csv"]


def test_dump_formats_round_trip(tmp_path):
    import pyoxigraph as ox

    for ext, fmt in (("ttl", ox.RdfFormat.TURTLE), ("nq", ox.RdfFormat.N_QUADS), ("trig", ox.RdfFormat.TRIG),
                     ("nt", ox.RdfFormat.N_TRIPLES), ("jsonld", ox.RdfFormat.JSON_LD)):
        out = tmp_path / f"dump.{ext}"
        assert main(["dump", "-o", str(out)]) == 0
        items = list(ox.parse(path=str(out), format=fmt))
        assert len(items) > 2000, ext


def test_span_prints_the_selectors_used_in_data(capsys):
    quote = "So far, only 387 children have been returned."
    assert main(["span", str(SEED), quote, "--name", "span-387-returned",
                 "--document", "kgr:doc-mindua-20265865"]) == 0
    out = capsys.readouterr().out
    data = (ROOT / "data" / "article-mindua-20265865.ttl").read_text()
    assert out in data


def test_span_quote_not_found_exit_2(capsys):
    assert main(["span", str(SEED), "not in the article"]) == 2
    assert "quote not found" in capsys.readouterr().err


def test_synth_writes_a_graph_kg_can_load(tmp_path, capsys):
    from kg.figures import figures
    from kg.graph import load
    from kg.query import query

    out = tmp_path / "synth"
    assert main(["synth", "--claims", "25", "-o", str(out)]) == 0
    kg = load([ROOT / "ontology", out / "data"])
    assert len(figures(kg)) == 25
    qualitative = query(kg, "SELECT (COUNT(*) AS ?n) WHERE { ?c a kg:Allegation }").rows[0][0].value
    posts = query(kg, "SELECT (COUNT(*) AS ?n) WHERE { ?p kg:holdsPost ?post }").rows[0][0].value
    events = query(kg, "SELECT (COUNT(*) AS ?n) WHERE { ?e a kg:AggregateEvent }").rows[0][0].value
    assert int(qualitative) == 5 and int(posts) == 5 and int(events) == 10
    assert main(["synth", "--claims", "25", "-o", str(out)]) == 2  # never writes over an existing graph
    assert "not an empty directory" in capsys.readouterr().err


def test_serve_with_broken_data_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://e/> .\nex:a ex:b .\n")
    proc = run("serve", "--port", "9", "--data", str(bad))
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith(f"kg serve: {bad}:2:")
    assert "Traceback" not in proc.stderr


def test_serve_on_a_port_in_use_exits_2_before_loading(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run("serve", "--port", str(port))
    assert proc.returncode == 2
    expected = f"kg serve: cannot listen on 127.0.0.1:{port}: Address already in use (KG_HOST, KG_PORT)"
    assert proc.stderr.strip() == expected


def test_long_query_text_is_not_mistaken_for_a_path(capsys):
    text = "ASK { kgr:state-ua a kg:State } " + "#" * 5000
    assert main(["query", text, "--format", "json"]) == 0
    assert '"boolean": true' in capsys.readouterr().out


def test_version_is_printed_on_stdout():
    from kg import __version__

    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout == f"kg {__version__}\n" and proc.stderr == ""


def test_a_port_bound_by_another_server_is_refused_at_once():
    """Bound and listening: a second server on the same port fails before loading anything, even with
    SO_REUSEADDR (which lets two sockets bind a port until one listens)."""
    from kg.errors import UsageError
    from kg.web.server import bind

    first = bind("127.0.0.1", 0)
    try:
        port = first.getsockname()[1]
        with pytest.raises(UsageError, match=f"cannot listen on 127.0.0.1:{port}"):
            bind("127.0.0.1", port).close()
    finally:
        first.close()


def test_sigterm_while_loading_stops_and_cleans_up(tmp_path):
    """SIGTERM before the server answers: the load stops, the snapshot of the data is removed, exit 143."""
    import os
    import signal
    import time

    from kg.synth import generate

    generate(20_000, tmp_path / "synth", seed=1)
    work = tmp_path / "tmp"
    work.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--port", "0", "--data", str(ROOT / "ontology"),
                             "--data", str(tmp_path / "synth" / "data")], cwd=ROOT, env={**os.environ,
                            "TMPDIR": str(work)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not any(work.glob("kg-server-*/snapshot/*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # the fork server is loading now (20,000 claims take seconds)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert err.strip().endswith("kg serve: stopped while loading") and "Traceback" not in err
    assert not any(work.iterdir()), "the snapshot of the data was left behind"
