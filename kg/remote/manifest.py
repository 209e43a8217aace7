"""The manifest graph ``kg publish`` keeps in the store: which named graphs it published, from which file, with
which content hash, and the staging graphs of a publish still under way.

It is the store's own record, read back with a query, so ``kg publish`` is idempotent across machines (an
unchanged file is never sent again) and ``kg serve --store`` knows the files, their graphs and the data version
without any local file. Each graph's record changes in the same update request that swaps the graph in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.graph import SourceFile
from kg.settings import BASE_IRI, INFERRED_GRAPH

MANIFEST_GRAPH = BASE_IRI + "publish/manifest"
STAGING_NS = BASE_IRI + "publish/staging/"
VOCAB = BASE_IRI + "publish#"

Select = Callable[[str, Sequence[str]], ox.QuerySolutions]


@dataclass(frozen=True)
class Entry:
    """One published graph: its IRI, the file it holds (the repository-relative path; "" for the inferred
    graph), the content hash and size, and its place in the load order."""

    graph: str
    path: str
    sha256: str
    size: int
    order: int


@dataclass
class Manifest:
    entries: dict[str, Entry] = field(default_factory=dict)
    reasoning: str = "none"
    staging: list[str] = field(default_factory=list)

    @property
    def sources(self) -> list[SourceFile]:
        """The published files, in load order, as :func:`kg.graph.load` would have listed them."""
        files = sorted((e for e in self.entries.values() if e.graph != INFERRED_GRAPH), key=lambda e: e.order)
        return [SourceFile(path=Path(e.path), graph=e.graph, sha256=e.sha256, size=e.size) for e in files]

    @property
    def inferred(self) -> str | None:
        return INFERRED_GRAPH if INFERRED_GRAPH in self.entries else None


def read_manifest(select: Select) -> Manifest:
    """The manifest as the store holds it (empty when nothing was published); ``select(query, named_graphs)``
    runs a SELECT in the store."""
    text = f"SELECT ?x ?k ?v WHERE {{ GRAPH <{MANIFEST_GRAPH}> {{ ?x ?k ?v }} }}"
    return from_triples((row["x"].value, row["k"].value, row["v"].value)  # type: ignore[union-attr]
                        for row in select(text, [MANIFEST_GRAPH]))


def from_triples(triples: Iterable[tuple[str, str, str]]) -> Manifest:
    """The manifest stated by ``(subject, predicate, object value)`` triples of the manifest graph."""
    found: dict[str, dict[str, str]] = {}
    for subject, key, value in triples:
        if key.startswith(VOCAB):
            found.setdefault(subject, {})[key[len(VOCAB):]] = value
    manifest = Manifest()
    for subject, props in found.items():
        if subject == MANIFEST_GRAPH:
            manifest.reasoning = props.get("reasoning", "none")
        elif "stagingFor" in props:
            manifest.staging.append(subject)
        elif "sha256" in props:
            manifest.entries[subject] = Entry(graph=subject, path=props.get("path", ""), sha256=props["sha256"],
                                              size=int(props.get("size", 0)), order=int(props.get("order", 0)))
    return manifest


def _literal(value: str | int) -> str:
    return str(ox.Literal(value) if isinstance(value, str) else ox.Literal(str(value), datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#integer")))


def forget(subject: str) -> str:
    """The update operation removing ``subject``'s record."""
    return f"DELETE WHERE {{ GRAPH <{MANIFEST_GRAPH}> {{ <{subject}> ?k ?v }} }}"


def record(entry: Entry) -> str:
    """The update operation writing ``entry``'s record (after :func:`forget` of the old one)."""
    props = {"path": entry.path, "sha256": entry.sha256, "size": entry.size, "order": entry.order}
    body = " ; ".join(f"<{VOCAB}{k}> {_literal(v)}" for k, v in props.items())
    return f"INSERT DATA {{ GRAPH <{MANIFEST_GRAPH}> {{ <{entry.graph}> {body} }} }}"


def record_staging(staging: str, target: str) -> str:
    """The update operation noting a staging graph, so an interrupted publish's leftovers are found and dropped."""
    return f"INSERT DATA {{ GRAPH <{MANIFEST_GRAPH}> {{ <{staging}> <{VOCAB}stagingFor> <{target}> }} }}"


def record_reasoning(mode: str) -> str:
    return (f"{forget(MANIFEST_GRAPH)} ;\nINSERT DATA {{ GRAPH <{MANIFEST_GRAPH}> {{ <{MANIFEST_GRAPH}> "
            f"<{VOCAB}reasoning> {_literal(mode)} }} }}")
