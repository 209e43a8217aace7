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
