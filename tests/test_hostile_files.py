"""Hostile files never crash, hang or exhaust the curator CLI: each gives one line naming the file (and the line
where there is one) and exit 1 or 2, never a traceback.

Covered: a literal over the RDF engine's 16 MiB token buffer (kg check, fmt, query, serve); nesting thousands of
levels deep (the positional parser and the canonical writer are iterative); FIFOs,
devices, sockets, symbolic link loops and dangling links, given as arguments or found inside data/; reads capped
by KG_MAX_FILE_BYTES and checks by KG_CHECK_MAX_BYTES; a file that changes while kg fmt rewrites it; and the
javascript:/data: IRIs kg check warns about. Commands that could block (a FIFO) run in a subprocess with a
timeout, so a regression fails the test instead of hanging the suite.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.check.iri_rules import unsafe_scheme
from kg.cli import main
from kg.files import read_bytes
from kg.turtle import canonical, layout
from kg.turtle.lexer import ENGINE_TOKEN_BYTES
from kg.turtle.parser import parse_turtle

from .conftest import ROOT

PREFIXES = ("@prefix kgr: <https://w3id.org/ua-children-kg/id/> .\n"
            "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
            "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n")
#: Environment of the subprocesses: no inference and queries in threads, so a run costs parsing only; kg check's
#: own size limit above the file of a literal over the engine's buffer, so that the engine's limit is what it meets.
ENV = {**os.environ, "KG_REASONING": "none", "KG_WORKERS": "0", "PYTHONPATH": str(ROOT),
       "KG_CHECK_MAX_BYTES": str(64 * 1024 * 1024)}
ASK = "/sparql?query=ASK%7B%7D"


def run(*args: str, root: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``kg ARGS`` in a subprocess, bounded: a hang fails the test with TimeoutExpired."""
    return subprocess.run([sys.executable, "-m", "kg", *args], cwd=root, capture_output=True, text=True,
                          timeout=90, env=env or ENV)


def commands(target: Path) -> dict[str, list[str]]:
    """Each command that reads ``target`` (a Turtle file), with its arguments."""
    return {"check": ["check", str(target)], "fmt": ["fmt", str(target)],
            "query": ["query", "ASK {}", "--data", str(target)],
            "serve": ["serve", "--data", str(target), "--get", ASK]}


def one_line_refusal(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """The line that names the problem: exit 1 or 2, no traceback, every needle on one line of the output."""
    assert proc.returncode in (1, 2), (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if all(n in line for n in needles)]
    assert lines, proc.stdout[-1000:] + proc.stderr[-1000:]
    return lines[0]


# --- a token over the engine's buffer ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def huge_literal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("huge") / "huge.ttl"
    path.write_bytes(PREFIXES.encode() + b'kgr:x rdfs:comment\n  "' + b"a" * (ENGINE_TOKEN_BYTES + 1024) + b'" .\n')
    return path


@pytest.mark.parametrize("command", ["check", "fmt", "query", "serve"])
def test_a_literal_over_the_engine_buffer_names_the_file_and_line(huge_literal, command):
    line = one_line_refusal(run(*commands(huge_literal)[command]), f"{huge_literal}:5:3", "16 MiB")
    assert f"a literal of {ENGINE_TOKEN_BYTES + 1026:,} bytes" in line


def test_kg_check_reports_the_engine_limit_as_a_finding(huge_literal):
    proc = run("check", str(huge_literal))
    assert proc.returncode == 1
    assert f"{huge_literal}:5:3: error [syntax] a literal of" in proc.stdout


# --- nesting --------------------------------------------------------------------------------------------------

def nested(kind: str, depth: int) -> str:
    inner = "[ rdfs:seeAlso " * depth + "1" + " ]" * depth if kind == "bnode" else "( " * depth + "1" + " )" * depth
    return PREFIXES + "kgr:x rdfs:seeAlso\n  " + inner + " .\n"


@pytest.mark.parametrize(("kind", "depth"), [("collection", 330), ("bnode", 250), ("collection", 5000),
                                             ("bnode", 5000)])
def test_the_positional_parser_reads_any_depth(kind, depth):
    doc = parse_turtle(nested(kind, depth))
    # a collection of depth n: two triples per list node plus the outer one; blank nodes: one per level
    assert len(doc.triples) == (2 * depth + 1 if kind == "collection" else depth + 1)
    assert doc.bnodes[doc.triples[-1].triple.object].line == 5  # the outermost node, where it is written


@pytest.mark.parametrize("kind", ["collection", "bnode"])
def test_kg_check_of_deep_nesting_finishes(tmp_path, kind):
    path = tmp_path / "deep.ttl"
    path.write_text(nested(kind, 5000))
    proc = run("check", str(path))
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "kg check:" in proc.stderr.splitlines()[-1]


def tree_graph(text: str) -> set[tuple[str, str, str]]:
    """The triples of ``text``, each blank node named by its path from an IRI, so two texts of one graph give
    equal sets. The paths are unique in the trees these tests write (no node has two blank objects for one
    predicate); oxigraph's canonicalization takes minutes on a chain of 500 blank nodes."""
    children: dict[object, list[ox.Triple]] = {}
    for t in ox.parse(input=text.encode(), format=ox.RdfFormat.TURTLE):
        children.setdefault(t.subject, []).append(t)
    names: dict[object, str] = {}
    paths: dict[tuple[str, str], int] = {}
    queue = [s for s in children if not isinstance(s, ox.BlankNode)]
    out: set[tuple[str, str, str]] = set()
    while queue:
        subject = queue.pop()
        name = names.get(subject, str(subject))
        for t in children.get(subject, []):
            if isinstance(t.object, ox.BlankNode):
                names[t.object] = f"_:{paths.setdefault((name, t.predicate.value), len(paths))}"
                queue.append(t.object)
            out.add((name, t.predicate.value, names.get(t.object, str(t.object))))
    assert len(out) == sum(map(len, children.values()))  # every triple reached from an IRI, none merged
    return out


@pytest.mark.parametrize(("kind", "depth"), [("collection", 5000), ("bnode", 5000)])
def test_kg_fmt_writes_back_any_depth_the_parser_reads(tmp_path, kind, depth):
    path = tmp_path / "deep.ttl"
    original = nested(kind, depth)
    path.write_text(original)
    assert main(["fmt", str(path)]) == 0
    written = path.read_text()
    assert written != original  # rewritten in the canonical layout ...
    assert tree_graph(written) == tree_graph(original)  # ... to the same graph (blank nodes renamed)
    assert main(["fmt", "--check", str(path)]) == 0  # and the layout is a fixed point


def test_kg_fmt_indents_deep_nesting_no_further_than_its_indent_levels(tmp_path):
    # two properties a level put each level on lines of its own: the indent stops growing past INDENT_LEVELS, so
    # the text stays linear in the depth
    depth = layout.INDENT_LEVELS * 3
    inner = '[ rdfs:label "n" ; rdfs:seeAlso ' * depth + "1" + " ]" * depth
    text = PREFIXES + "kgr:x rdfs:seeAlso\n  " + inner + " .\n"
    written = canonical.format_text(text)
    widest = max(len(line) - len(line.lstrip(" ")) for line in written.splitlines())
    assert widest == 4 + 8 * layout.INDENT_LEVELS
    assert tree_graph(written) == tree_graph(text)


# --- files that are not regular files --------------------------------------------------------------------------

def make(kind: str, path: Path) -> str:
    """Create ``path`` as ``kind``; returns the words the refusal must use."""
    if kind == "fifo":
        os.mkfifo(path)
        return "a FIFO"
    if kind == "device":
        path.symlink_to("/dev/zero")
        return "a device"
    if kind == "loop":
        path.symlink_to(path.name)
        return "a symbolic link loop"
    if kind == "dangling":
        path.symlink_to(path.with_name("gone.ttl"))
        return "a dangling symbolic link"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()
    return "a socket"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository root with the real ontology and shapes and one data file."""
    root = tmp_path / "repo"
    for folder in ("ontology", "shapes", "seeds"):
        shutil.copytree(ROOT / folder, root / folder)
    (root / "data").mkdir()
    shutil.copy(ROOT / "data" / "indicators.ttl", root / "data")
    return root


KINDS = ["fifo", "device", "loop", "dangling", "socket"]


@pytest.fixture
def refusal(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run ``kg ARGS`` in ``root``: a FIFO in a subprocess (a regression would block on it; the timeout turns
    that into a failure), anything else in-process (faster); assert exit 2 and one line naming ``needles``."""
    def check(args: list[str], root: Path, kind: str, *needles: str) -> None:
        if kind == "fifo":
            proc = run(*args, root=root)
        else:
            monkeypatch.chdir(root)
            for name in ("KG_REASONING", "KG_WORKERS"):
                monkeypatch.setenv(name, ENV[name])
            code = main(args)
            out = capsys.readouterr()
            proc = subprocess.CompletedProcess(args, code, out.out, out.err)
        assert proc.returncode == 2
        one_line_refusal(proc, *needles)
    return check


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", ["check", "fmt", "query", "serve"])
def test_a_special_file_given_as_argument_is_named(tmp_path, refusal, kind, command):
    path = tmp_path / "x.ttl"
    what = make(kind, path)
    refusal(commands(path)[command], ROOT, kind, str(path), what)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", [["check"], ["fmt"], ["query", "ASK {}"], ["serve", "--get", ASK]])
def test_a_special_file_inside_data_is_named_not_skipped(repo, refusal, kind, command):
    what = make(kind, repo / "data" / "x.ttl")
    refusal(command, repo, kind, "data/x.ttl", what)


def test_read_bytes_never_opens_a_fifo_for_a_writer_to_come(tmp_path):
    fifo = tmp_path / "f.ttl"
    os.mkfifo(fifo)
    with pytest.raises(Exception, match="a FIFO, not a regular file"):
        read_bytes(fifo)  # a blocking open would hang here


# --- size limits ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["check", "fmt", "query", "serve"])
def test_a_file_over_kg_max_file_bytes_is_refused_naming_the_setting(tmp_path, monkeypatch, capsys, command):
    path = tmp_path / "x.ttl"
    path.write_text(PREFIXES + 'kgr:x rdfs:label "x" .\n')
    monkeypatch.setenv("KG_MAX_FILE_BYTES", "100")
    monkeypatch.setenv("KG_REASONING", "none")
    assert main(commands(path)[command]) == 2
    err = capsys.readouterr().err
    assert f"{path}: {path.stat().st_size:,} bytes, larger than KG_MAX_FILE_BYTES=100" in err


def test_kg_query_caps_standard_input_with_kg_max_file_bytes(tmp_path):
    data = tmp_path / "x.ttl"
    data.write_text(PREFIXES + 'kgr:x rdfs:label "x" .\n')
    query = "ASK {}\n" + "# padding\n" * 30  # a valid query, over the cap only by its size
    env = {**ENV, "KG_MAX_FILE_BYTES": "200"}  # the data file (183 bytes) is within it
    proc = subprocess.run([sys.executable, "-m", "kg", "query", "-", "--data", str(data)], input=query,
                          capture_output=True, text=True, timeout=90, env=env)
    assert proc.returncode == 2
    assert "<stdin>: more than 200 bytes, larger than KG_MAX_FILE_BYTES=200" in one_line_refusal(proc, "<stdin>")
    within = subprocess.run([sys.executable, "-m", "kg", "query", "-", "--data", str(data)], input="ASK {}",
                            capture_output=True, text=True, timeout=90, env=env)
    assert within.returncode == 0, within.stderr


def test_kg_check_refuses_a_file_over_kg_check_max_bytes_before_parsing(tmp_path, monkeypatch, capsys):
    path = tmp_path / "x.ttl"
    path.write_text(PREFIXES + "kgr:x rdfs:label 'x' ;\n" + "  rdfs:seeAlso (\n" * 2 + "ill-formed")
    monkeypatch.setenv("KG_CHECK_MAX_BYTES", "100")
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:1:1: error [syntax] {path.stat().st_size:,} bytes is larger than KG_CHECK_MAX_BYTES=100" in out


def test_kg_check_neither_reads_nor_loads_a_file_over_kg_check_max_bytes(tmp_path, monkeypatch, capsys):
    from kg.check import workspace

    big, small = tmp_path / "big.ttl", tmp_path / "small.ttl"
    big.write_text(PREFIXES + "".join(f'kgr:n{i} rdfs:label "node {i}" .\n' for i in range(40)))
    small.write_text(PREFIXES + "kgr:x rdfs:label 'x' ;\n  rdfs:seeAlso (\n")  # a syntax error of its own
    touched: list[Path] = []
    real_read, real_load = workspace.read_bytes, workspace.Workspace._load_quads
    monkeypatch.setattr(workspace, "read_bytes", lambda path, **kw: (touched.append(path), real_read(path, **kw))[1])
    monkeypatch.setattr(workspace.Workspace, "_load_quads",
                        lambda self, path, data, graph: (touched.append(path), real_load(self, path, data, graph))[1])
    monkeypatch.setenv("KG_CHECK_MAX_BYTES", "400")
    assert main(["check", str(big), str(small), "--format", "text"]) == 1
    findings = [line for line in capsys.readouterr().out.splitlines() if ": error " in line]
    assert [f for f in findings if f.startswith(str(big))] == [
        f"{big}:1:1: error [syntax] {big.stat().st_size:,} bytes is larger than KG_CHECK_MAX_BYTES=400, the largest "
        "file kg check validates with positions (about 90 bytes of memory per byte of Turtle); split the file or "
        "raise the setting; it is not loaded, so the other files are checked without its triples"]
    assert any(f.startswith(f"{small}:") and "[syntax]" in f for f in findings)  # the rest is still checked
    assert big not in touched and small in touched


# --- kg fmt and a concurrent writer ---------------------------------------------------------------------------

def test_kg_fmt_keeps_what_a_concurrent_writer_appended(tmp_path, monkeypatch, capsys):
    path = tmp_path / "x.ttl"
    path.write_text(PREFIXES + 'kgr:b rdfs:label "b" .\nkgr:a rdfs:label "a" .\n')
    appended = 'kgr:c rdfs:label "c" .\n'
    real = canonical.format_text

    def format_while_another_writer_appends(text: str, *, base: str | None = None) -> str:
        with path.open("a") as f:  # the other writer, while kg fmt is between its read and its rename
            f.write(appended)
        return real(text, base=base)

    monkeypatch.setattr(canonical, "format_text", format_while_another_writer_appends)
    before = path.read_text()
    assert main(["fmt", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:1:1: error [changed] changed while it was being rewritten" in err
    assert path.read_text() == before + appended
    assert [p.name for p in tmp_path.iterdir()] == ["x.ttl"]  # no temporary file left


# --- javascript: and data: IRIs --------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "scheme"), [("javascript:alert(1)", "javascript"), ("JavaScript:x", "javascript"),
                                               ("\tjava\nscript:x", "javascript"), ("data:text/html,<b>", "data"),
                                               ("https://example.org/data:x", None), ("urn:data:x", None),
                                               ("datasets:x", None)])
def test_unsafe_schemes(value, scheme):
    assert unsafe_scheme(value) == scheme


def test_kg_check_warns_about_javascript_and_data_iris(tmp_path, capsys):
    path = tmp_path / "links.ttl"
    path.write_text(PREFIXES + "kgr:x rdfs:seeAlso <javascript:alert(1)> ;\n"
                    "  rdfs:isDefinedBy <data:text/html,hi> ;\n"
                    '  rdfs:comment "JAVASCRIPT:void(0)"^^xsd:anyURI , "javascript: as text" .\n'
                    "<javascript:alert(2)> rdfs:seeAlso kgr:x .\n")
    main(["check", str(path), "--format", "text"])
    warnings = [line for line in capsys.readouterr().out.splitlines() if "[iri-scheme]" in line]
    assert [w.split(": warning")[0] for w in warnings] == [
        f"{path}:4:20", f"{path}:5:20", f"{path}:6:16", f"{path}:7:1"]
    assert "scheme javascript:" in warnings[0] and "scheme data:" in warnings[1]
