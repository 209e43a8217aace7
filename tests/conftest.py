"""Shared fixtures: the repository's own ontology, shapes and data, loaded once per session."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import owlrl
import pyoxigraph as ox
import pytest
import rdflib

from kg.check.engines import data_store
from kg.check.engines import shapes_graph as load_shapes
from kg.graph import KnowledgeGraph, default_paths, load
from kg.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"
SEED = ROOT / "seeds" / "000_8473d3711dabfeda.txt"


KG = rdflib.Namespace("https://w3id.org/ua-children-kg/ontology#")


def source_files() -> list[Path]:
    """The repository's RDF files as `kg serve` loads them: every file of ontology/ and data/. Tests count from
    them instead of pinning numbers, so a curator's new file never breaks them."""
    return sorted((ROOT / "ontology").glob("*.ttl")) + sorted((ROOT / "data").glob("*.ttl"))


def typed(graph: rdflib.Graph, cls: rdflib.URIRef) -> set[rdflib.term.Node]:
    """The nodes of ``graph`` typed ``cls`` (directly, as written)."""
    return set(graph.subjects(rdflib.RDF.type, cls))


def merged_graph(paths: Iterable[Path]) -> rdflib.Graph:
    """One rdflib graph of every triple of ``paths`` (for tests that read the data with rdflib's API)."""
    graph = rdflib.Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


def owlrl_errors(graph: rdflib.Graph) -> list[str]:
    """owlrl's error messages for the OWL 2 RL closure of a copy of ``graph``: the independent oracle the
    checker's own reasoner (kg.check.inconsistency) is compared with."""
    closure = rdflib.Graph()
    closure += graph
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closure)
    err = rdflib.Namespace("http://www.daml.org/2002/03/agents/agent-ont#")
    return sorted({str(m) for e in closure.subjects(rdflib.RDF.type, err.ErrorMessage) for m in
                   closure.objects(e, err.error)})


def store_of(paths: Iterable[Path], extra: str = "") -> ox.Store:
    """A store of ``paths`` (and the Turtle ``extra``) in its default graph, as the engines read it."""
    quads: list[ox.Triple] = []
    for path in paths:
        quads.extend(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    if extra:
        quads.extend(ox.parse(input=extra.encode(), format=ox.RdfFormat.TURTLE))
    return data_store(quads)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(root=ROOT)


@pytest.fixture(scope="session")
def kg(settings: Settings) -> KnowledgeGraph:
    """The repository graph in pyoxigraph (what `kg figures`, `kg query` and the server use)."""
    return load(settings=settings)


@pytest.fixture(scope="session")
def inferred(settings: Settings) -> KnowledgeGraph:
    """The repository graph with the OWL 2 RL closure in its inferred graph: what the server serves by default."""
    return load(settings=settings, reasoning="owlrl")


@pytest.fixture(scope="session")
def repo_graph(settings: Settings) -> rdflib.Graph:
    """Ontology and data merged in one rdflib graph (for tests that read them with rdflib, and owlrl)."""
    return merged_graph(default_paths(settings))


@pytest.fixture(scope="session")
def repo_store(settings: Settings) -> ox.Store:
    """Ontology and data in the default graph of one pyoxigraph store (what SHACL and the reasoner validate)."""
    return store_of(default_paths(settings))


@pytest.fixture(scope="session")
def shapes_graph(settings: Settings) -> rdflib.Graph:
    return load_shapes(settings.shapes_dir)
