"""`kg check` on one term model gives the findings of the old paths: pySHACL over a pyoxigraph store finds what
it finds over an rdflib copy, and a check that reads unchanged files from the persisted store finds what a check
that parses everything finds, on every broken fixture and on the repository's data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from kg.check.engines import data_store, shacl, shapes_graph
from kg.check.runner import check
from kg.check.workspace import Workspace
from kg.graph import default_paths
from kg.settings import Settings

from .conftest import FIXTURES, ROOT

CHECK_FIXTURES = sorted((FIXTURES / "check").glob("*.ttl"))


def _parses(path: Path) -> bool:
    try:
        list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    except SyntaxError:
        return False
    return True


#: The fixtures an engine can see at all (syntax.ttl is broken on purpose: no engine reads it).
ENGINE_FIXTURES = [f for f in CHECK_FIXTURES if _parses(f)]
ARTICLE = "data/article-mindua-20265865.ttl"


def _triples(paths: list[Path]) -> list[ox.Triple]:
    out: list[ox.Triple] = []
    for path in paths:
        out.extend(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()))
    return out


def _rdflib(triples: list[ox.Triple]) -> rdflib.Graph:
    """The same triples as an rdflib graph (blank node ids kept, xsd:string literals plain, as rdflib parses)."""
    def term(t: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Node:
        if isinstance(t, ox.NamedNode):
            return rdflib.URIRef(t.value)
        if isinstance(t, ox.BlankNode):
            return rdflib.BNode(t.value)
        if t.language:
            return rdflib.Literal(t.value, lang=t.language)
        if t.datatype.value.endswith("#string"):
            return rdflib.Literal(t.value)
        return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype.value))

    graph = rdflib.Graph()
    for t in triples:
        graph.add((term(t.subject), term(t.predicate), term(t.object)))
    return graph


@pytest.mark.parametrize("fixture", [None, *ENGINE_FIXTURES], ids=lambda f: "repository" if f is None else f.name)
def test_pyshacl_over_a_store_finds_what_it_finds_over_rdflib(fixture):
    triples = _triples(default_paths(Settings(root=ROOT)) + ([fixture] if fixture else []))
    assert len(ENGINE_FIXTURES) == len(CHECK_FIXTURES) - 1
    shapes = shapes_graph(ROOT / "shapes")
    # pySHACL takes either; engines.shacl passes its data through unchanged, so one function runs both paths.
    assert shacl(data_store(triples), shapes) == shacl(_rdflib(triples), shapes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kg-store")


@pytest.mark.parametrize("fixture", CHECK_FIXTURES, ids=lambda f: f.name)
def test_a_check_from_the_persisted_store_finds_what_a_parsing_check_finds(fixture, store_dir):
    parsed = check([fixture], settings=Settings(root=ROOT))
    reused = check([fixture], settings=Settings(root=ROOT, store_dir=store_dir))
    assert reused == parsed
    assert list((store_dir).glob("store-*")), "the store was built and reused"


def test_a_full_run_is_the_same_with_a_store_directory(store_dir):
    assert check(settings=Settings(root=ROOT, store_dir=store_dir)) == check(settings=Settings(root=ROOT))


@pytest.fixture()
def repo_copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for name in ("ontology", "shapes", "seeds", "data"):
        shutil.copytree(ROOT / name, root / name)
    return root


def _count_parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    original = Workspace.load_context

    def counting(self: Workspace, path: Path) -> None:
        parsed.append(path.name)
        original(self, path)

    monkeypatch.setattr(Workspace, "load_context", counting)
    return parsed


def test_only_the_files_that_changed_are_parsed_again(repo_copy, tmp_path, monkeypatch):
    settings = Settings(root=repo_copy, store_dir=tmp_path / "store")
    article = repo_copy / ARTICLE
    assert check([article], settings=settings).conforms  # builds the store
    parsed = _count_parsed(monkeypatch)
    assert check([article], settings=settings).conforms
    assert parsed == [], "every context file came from the persisted store"
    with (repo_copy / "data" / "actors.ttl").open("a", encoding="utf-8") as f:
        f.write("\n<https://w3id.org/ua-children-kg/id/state-ua> a "
                "<https://w3id.org/ua-children-kg/ontology#Facility> .\n")
    report = check([article], settings=settings)
    assert parsed == ["actors.ttl"]
    assert report == check([article], settings=Settings(root=repo_copy))
    assert any(f.rule == "consistency" and "state-ua" in f.message for f in report.findings), report.findings


def test_a_removed_file_is_hidden_from_the_reused_store(repo_copy, tmp_path):
    settings = Settings(root=repo_copy, store_dir=tmp_path / "store")
    article = repo_copy / ARTICLE
    assert check([article], settings=settings).conforms
    (repo_copy / "data" / "indicators.ttl").unlink()
    report = check([article], settings=settings)
    assert report == check([article], settings=Settings(root=repo_copy))
    assert any(f.rule == "references" and "ind-" in f.message for f in report.findings)


def test_a_changed_dataset_file_is_never_read_from_the_store(repo_copy, tmp_path):
    """A TriG file keeps its own graph names in the store: its old triples must not leak into a later check."""
    trig = repo_copy / "data" / "extra.trig"
    trig.write_text("@prefix kgr: <https://w3id.org/ua-children-kg/id/> .\n"
                    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
                    "<https://example.org/g1> { kgr:state-zz rdfs:label \"Zz\"@en . }\n", encoding="utf-8")
    new = repo_copy / "data" / "new.ttl"
    new.write_text("@prefix kgr: <https://w3id.org/ua-children-kg/id/> .\n"
                   "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
                   "kgr:note-1 rdfs:seeAlso kgr:state-zz .\n", encoding="utf-8")
    settings = Settings(root=repo_copy, store_dir=tmp_path / "store")
    assert not [f for f in check([new], settings=settings).findings if f.rule == "references"]
    trig.write_text("@prefix ex: <https://example.org/> .\n<https://example.org/g1> { ex:a ex:b ex:c . }\n",
                    encoding="utf-8")
    report = check([new], settings=settings)
    assert report == check([new], settings=Settings(root=repo_copy))
    assert any(f.rule == "references" and "state-zz" in f.message for f in report.findings)


def test_an_unusable_store_directory_is_a_usage_error(tmp_path, capsys):
    from kg.cli import main

    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("x")
    assert main(["check", "--root", str(ROOT), "--store-dir", str(not_a_folder), str(ROOT / ARTICLE)]) == 2
    err = capsys.readouterr().err
    assert f"kg check: {not_a_folder}: cannot use as the store directory" in err and "Traceback" not in err


def test_a_store_of_another_root_is_not_reused(repo_copy, tmp_path):
    store = tmp_path / "store"
    other = tmp_path / "other"
    shutil.copytree(repo_copy, other)
    article = repo_copy / ARTICLE
    assert check([article], settings=Settings(root=repo_copy, store_dir=store)).conforms
    from kg.store import cached_sources, closest_store

    settings = Settings(root=other, store_dir=store)
    assert closest_store(settings, cached_sources(settings)) is None
    assert check([other / ARTICLE], settings=settings) == check([other / ARTICLE], settings=Settings(root=other))
