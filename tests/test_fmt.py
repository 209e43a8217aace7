"""``kg fmt``: the canonical layout parses to the same graph, is stable, keeps header and section comments, and is
applied to the repository's own files (CI enforces it); the positional Turtle parser agrees with rdflib."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic

from kg.cli import main
from kg.settings import Settings
from kg.synth import addition, generate
from kg.turtle.canonical import fmt_paths, format_text
from kg.turtle.parser import Pos, TurtleError, parse_turtle

from .conftest import FIXTURES, ROOT

REPO_FILES = sorted([*ROOT.glob("ontology/*.ttl"), *ROOT.glob("shapes/*.ttl"), *ROOT.glob("data/*.ttl"),
                     *FIXTURES.glob("*.ttl"), *FIXTURES.glob("check/*.ttl")])
REPO_FILES = [f for f in REPO_FILES if f.name != "syntax.ttl"]  # broken on purpose


def graph(text: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=text, format="turtle", publicID="file:///base/x.ttl")


@pytest.mark.parametrize("path", REPO_FILES, ids=lambda p: p.name)
def test_formatting_keeps_the_graph_and_is_stable(path: Path):
    text = path.read_text(encoding="utf-8")
    formatted = format_text(text, base="file:///base/x.ttl")
    assert isomorphic(graph(text), graph(formatted))
    assert format_text(formatted, base="file:///base/x.ttl") == formatted


@pytest.mark.parametrize("path", REPO_FILES, ids=lambda p: p.name)
def test_positional_parser_reads_the_same_graph_as_rdflib(path: Path):
    text = path.read_text(encoding="utf-8")
    doc = parse_turtle(text, base="file:///base/x.ttl")
    nt = "".join(f"{o.triple.subject} {o.triple.predicate} {o.triple.object} .\n" for o in doc.triples)
    assert isomorphic(rdflib.Graph().parse(data=nt, format="nt"), graph(text))


def test_repository_files_are_canonical(settings):
    result = fmt_paths(check=True, settings=settings)
    assert result.findings == ()
    assert result.changed == ()
    assert len(result.unchanged) >= 6


SAMPLE = '''@prefix ex: <http://example.org/> .
@prefix unused: <http://unused.example/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
# The header.

# --- Section B ----

ex:z ex:p ex:o .
# attached to ex:b
ex:b ex:q """two
lines with a "quote\\"""" , "tab\\there" ; a ex:T ; rdfs:label "b"@en ;
    ex:list ( 1 2.5 true "x"^^ex:dt ) ; ex:nested [ ex:inner [ ex:deep 1e3 ] ] .

# --- Section A ----

ex:a ex:shared _:s . ex:c ex:shared _:s .
_:s ex:p ex:o . # an end-of-line comment is dropped
'''


def test_layout_of_a_sample():
    out = format_text(SAMPLE)
    assert out == '''@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

# The header.

# --- Section B ----

# attached to ex:b
ex:b a ex:T ;
    rdfs:label "b"@en ;
    ex:list ( 1 2.5 true "x"^^ex:dt ) ;
    ex:nested [ ex:inner [ ex:deep 1e3 ] ] ;
    ex:q """two
lines with a "quote\\"""", "tab\\there" .

ex:z ex:p ex:o .

# --- Section A ----

ex:a ex:shared _:b1 .

ex:c ex:shared _:b1 .

_:b1 ex:p ex:o .
'''
    assert isomorphic(graph(SAMPLE), graph(out))


def test_check_mode_lists_files_and_writes_nothing(tmp_path, capsys):
    messy = tmp_path / "messy.ttl"
    messy.write_text(SAMPLE)
    assert main(["fmt", "--check", str(messy)]) == 1
    assert capsys.readouterr().out == f"would reformat {messy}\n"
    assert messy.read_text() == SAMPLE
    assert main(["fmt", str(messy)]) == 0
    assert messy.read_text() == format_text(SAMPLE)
    assert [p.name for p in tmp_path.iterdir()] == ["messy.ttl"]  # no temporary file left
    assert main(["fmt", "--check", str(messy)]) == 0


def test_a_file_that_does_not_parse_is_reported_and_left_alone(tmp_path, capsys):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b ex:zz ex:d .\n")
    before = bad.read_bytes()
    assert main(["fmt", str(bad)]) == 1
    assert f"{bad}:3:17: error [syntax]" in capsys.readouterr().err
    assert bad.read_bytes() == before


def test_fmt_missing_path_exit_2(capsys):
    assert main(["fmt", "nope/missing.ttl"]) == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_parser_positions_and_errors():
    doc = parse_turtle('@prefix ex: <http://e/> .\nex:s ex:p [ ex:q "v" ] ,\n    ex:o .\n')
    by_object = {str(o.triple.object): o for o in doc.triples}
    assert by_object['"v"'].object == Pos(2, 18) and by_object['"v"'].subject == Pos(2, 11)
    assert by_object["<http://e/o>"].object == Pos(3, 5)
    with pytest.raises(TurtleError) as err:
        parse_turtle("@prefix ex: <http://e/> .\nex:s ex:p nope:x .\n")
    assert (err.value.line, err.value.column) == (2, 11) and "undeclared prefix" in err.value.message


def test_synthetic_graph_is_deterministic_and_conforms(tmp_path):
    from kg.check.runner import check

    a, b = tmp_path / "a", tmp_path / "b"
    generate(12, a, seed=3)
    generate(12, b, seed=3)
    assert {p.relative_to(a): p.read_bytes() for p in a.rglob("*") if p.is_file()} == {
        p.relative_to(b): p.read_bytes() for p in b.rglob("*") if p.is_file()}
    for name in ("ontology", "shapes"):
        (a / name).symlink_to(ROOT / name, target_is_directory=True)
    assert check(settings=Settings(root=a)).findings == ()
    new = addition(a)
    assert 150 <= len(parse_turtle(new.read_text()).triples) <= 250
    assert check([new], settings=Settings(root=a)).findings == ()
