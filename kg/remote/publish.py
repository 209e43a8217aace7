"""``kg publish``: the checked files (and the inferred graph) into an external store, one named graph each.

Every graph that changed is first written whole into a staging graph with the Graph Store HTTP Protocol (PUT,
§5.3), then swapped in by one SPARQL Update request that moves it over the published graph and rewrites the
graph's manifest record (:mod:`kg.remote.manifest`). A publish stopped at any point (killed, the store down,
a request failing) leaves each published graph as it was or as it is meant to be, never half of either, and
its record in agreement; the next run drops the staging leftovers and does the rest. Graphs whose content hash
the manifest already records are not sent at all, so a second run over the same data changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.errors import PublishFailed, StoreTimeout, StoreUnavailable, UsageError
from kg.graph import KnowledgeGraph, load
from kg.remote.http import StoreClient, shown
from kg.remote.manifest import (
    MANIFEST_GRAPH,
    STAGING_NS,
    Entry,
    Manifest,
    forget,
    from_triples,
    record,
    record_reasoning,
    record_staging,
)
from kg.settings import INFERRED_GRAPH, Settings

if TYPE_CHECKING:
    from kg.check.report import Report

#: Seconds one request of a publish may take (a large graph's PUT); not the query limit, which bounds readers.
PUBLISH_TIMEOUT_S = 3600.0


@dataclass(frozen=True)
class PublishReport:
    """What a publish changed, by graph IRI: sorted lists of the graphs added, replaced, unchanged (same hash)
    and removed (published before, no longer a file)."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per graph: ``added <iri>`` ..., in that order."""
        return [f"{kind} {g}" for kind in ("added", "replaced", "unchanged", "removed")
                for g in getattr(self, kind)]

    def summary(self) -> str:
        return (f"{len(self.added)} graph(s) added, {len(self.replaced)} replaced, {len(self.unchanged)} unchanged, "
                f"{len(self.removed)} removed")


def wanted(kg: KnowledgeGraph) -> list[Entry]:
    """The graphs a publish of ``kg`` writes: one per file, and the inferred graph when it holds one (its hash
    is the data version's and the mode's: the closure is a function of both)."""
    root = kg.settings.root.resolve()
    entries = []
    for order, source in enumerate(kg.sources):
        try:
            path = source.path.resolve().relative_to(root).as_posix()
        except ValueError:
            path = source.path.name
        entries.append(Entry(graph=source.graph, path=path, sha256=source.sha256, size=source.size, order=order))
    if kg.reasoning != "none":
        digest = hashlib.sha256(f"{kg.version}\0{kg.reasoning}".encode()).hexdigest()
        count = sum(1 for _ in kg.store.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED_GRAPH)))
        entries.append(Entry(graph=INFERRED_GRAPH, path="", sha256=digest, size=count, order=len(entries)))
    return entries


def _ntriples(kg: KnowledgeGraph, graph: str) -> bytes:
    triples = (q.triple for q in kg.store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


class Publisher:
    """The requests of one publish, against the endpoints of ``settings`` (``graph_store_url`` for the graphs,
    ``store_update_url`` for the swap)."""

    def __init__(self, settings: Settings) -> None:
        if settings.graph_store_url is None:
            raise UsageError("kg publish needs the store's Graph Store endpoint (--to URL or KG_GRAPH_STORE_URL)")
        if settings.store_update_url is None:
            raise UsageError("kg publish needs the store's SPARQL Update endpoint, to swap each staged graph in "
                             "whole (--update URL or KG_STORE_UPDATE_URL)")
        self.gsp, self.update_url = settings.graph_store_url, settings.store_update_url
        self.client = StoreClient(settings, timeout_s=max(PUBLISH_TIMEOUT_S, settings.query_timeout_s))

    def manifest(self) -> Manifest:
        data = self.client.get_graph(self.gsp, MANIFEST_GRAPH)
        if not data:
            return Manifest()
        triples = ox.parse(data, ox.RdfFormat.TURTLE)  # N-Triples and Turtle both read as Turtle
        return from_triples((t.subject.value, t.predicate.value, t.object.value) for t in triples)

    def update(self, *operations: str) -> None:
        """One update request of the operations, in order (SPARQL 1.1 Update §3: a request is a sequence)."""
        self.client.update(self.update_url, " ;\n".join(operations))

    def swap_in(self, entry: Entry, data: bytes) -> None:
        """Stage ``data`` for ``entry.graph`` and swap it in with its new record."""
        staging = STAGING_NS + hashlib.sha256(f"{entry.graph}\0{entry.sha256}".encode()).hexdigest()[:32]
        self.update(record_staging(staging, entry.graph))
        self.client.put_graph(self.gsp, staging, data)
        self.update(f"MOVE SILENT GRAPH <{staging}> TO GRAPH <{entry.graph}>", forget(entry.graph), record(entry),
                    forget(staging))

    def remove(self, graph: str) -> None:
        self.update(f"DROP SILENT GRAPH <{graph}>", forget(graph))


def checked_publish(settings: Settings, *, progress: Callable[[str], None] | None = None
                    ) -> tuple[Report, PublishReport | None]:
    """``kg check`` of the whole repository, then, only when it conforms, :func:`publish`: the check's report and
    the publish's (None when nothing was published). A missing endpoint is reported before the check runs."""
    from kg.check.runner import check

    Publisher(settings)
    checked = check(None, settings=settings)
    return checked, (publish(settings, progress=progress) if checked.conforms else None)


def publish(settings: Settings, kg: KnowledgeGraph | None = None, *,
            progress: Callable[[str], None] | None = None) -> PublishReport:
    """Publish ``kg`` (default: the ontology and data of ``settings.root`` with the inferred graph of
    ``settings.reasoning``) into the store; the caller has checked it (``kg publish`` runs ``kg check`` first).

    Raises :class:`UsageError` when an endpoint is not configured and :class:`PublishFailed` when the store
    fails part-way (naming what was done; every graph is still whole, and running again finishes)."""
    publisher = Publisher(settings)
    kg = kg if kg is not None else load(settings=settings, reasoning=settings.reasoning)
    report = PublishReport()
    try:
        current = publisher.manifest()
        for staging in current.staging:  # an interrupted publish's half-sent graph: never served, dropped
            publisher.update(f"DROP SILENT GRAPH <{staging}>", forget(staging))
        entries = wanted(kg)
        for entry in entries:
            old = current.entries.get(entry.graph)
            if old is not None and old.sha256 == entry.sha256 and old.order == entry.order:
                report.unchanged.append(entry.graph)
                continue
            publisher.swap_in(entry, _ntriples(kg, entry.graph))
            (report.added if old is None else report.replaced).append(entry.graph)
            if progress is not None:
                progress(f"{'added' if old is None else 'replaced'} {entry.graph}")
        keep = {e.graph for e in entries}
        for graph in sorted(set(current.entries) - keep):
            publisher.remove(graph)
            report.removed.append(graph)
        if current.reasoning != kg.reasoning or not current.entries:
            publisher.update(record_reasoning(kg.reasoning))
    except (StoreUnavailable, StoreTimeout) as err:
        done = len(report.added) + len(report.replaced) + len(report.removed)
        raise PublishFailed(f"{err}; {done} graph(s) were swapped in before it stopped, every graph in "
                            f"{shown(publisher.gsp)} is whole; run kg publish again to finish") from None
    for kind in ("added", "replaced", "unchanged", "removed"):
        getattr(report, kind).sort()
    return report
