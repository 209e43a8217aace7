"""Shared fixtures: the repository's own ontology, shapes and data, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from kg.check.engines import merged_graph
from kg.graph import KnowledgeGraph, default_paths, load
from kg.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"
SEED = ROOT / "seeds" / "000_8473d3711dabfeda.txt"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(root=ROOT)


@pytest.fixture(scope="session")
def kg(settings: Settings) -> KnowledgeGraph:
    """The repository graph in pyoxigraph (what `kg figures`, `kg query` and the server use)."""
    return load(settings=settings)


@pytest.fixture(scope="session")
def repo_graph(settings: Settings) -> rdflib.Graph:
    """Ontology and data merged in one rdflib graph (what SHACL and owlrl validate)."""
    return merged_graph(default_paths(settings))


@pytest.fixture(scope="session")
def shapes_graph(settings: Settings) -> rdflib.Graph:
    return merged_graph(sorted(settings.shapes_dir.glob("*.ttl")))
