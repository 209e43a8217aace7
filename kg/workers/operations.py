"""The operations a query worker performs, one per task of :mod:`kg.workers.protocol`, and the worker's loop.

Each operation takes the worker's graph first and returns a plain picklable value or a
:class:`kg.workers.protocol.Stream` (metadata first, then body pieces) so large results are written out piece by
piece. :func:`perform` maps a task to its operation by type, never by name.
"""

from __future__ import annotations

import gzip
import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import entities
from kg.files import atomic_writer
from kg.graph import KnowledgeGraph, SourceFile, load, load_pairs
from kg.graph import dump as dump_graph
from kg.query import AskResult, GraphResult, SelectResult, Term
from kg.query import query as run_query
from kg.render import SELECT_RENDERERS, ask_text, iter_graph
from kg.settings import INFERRED_GRAPH, Settings
from kg.workers import memory
from kg.workers.protocol import (
    CompareTask,
    DescribeTask,
    DumpTask,
    EntityTask,
    Kind,
    PrepareFiguresTask,
    QueryTask,
    StatsTask,
    Stopped,
    Stream,
    Task,
    error_message,
    send_result,
)


@dataclass(frozen=True)
class DumpInfo:
    """A dump written by :func:`dump`: the sizes of the plain file and of its gzip copy."""

    size: int
    gz_size: int


@dataclass(frozen=True)
class Stats:
    """Counts for the VoID description."""

    triples: int
    distinct_subjects: int
    properties: int
    distinct_objects: int
    entities: int
    classes: list[tuple[str, int]]  # (class IRI, instances)
    predicates: list[str]
    graphs: list[str]
    documents: list[str]  # the source documents (every node with a kg:seedFile)
    reasoning: str = "none"  # the mode whose inferred triples the graph INFERRED_GRAPH holds
    inferred: int = 0  # how many


def open_state(settings: Settings, paths: Sequence[str] | None, store_path: str | None = None,
               snapshot: tuple[list[SourceFile], list[tuple[str, str]]] | None = None) -> KnowledgeGraph:
    """The worker's graph: the external store of ``settings.store_url`` (what ``kg publish`` wrote there,
    inferred graph included), else the persisted store at ``store_path`` (opened read-only), else the server's
    snapshot of the files, else the files themselves, loaded in memory; either way with the inferred graph of
    ``settings.reasoning`` (a persisted store holds it already)."""
    if settings.store_url is not None:
        from kg.remote.store import open_remote

        return open_remote(settings)
    if store_path is not None:
        from kg.store import open_store

        return open_store(settings, Path(store_path))
    if snapshot is not None:
        return load_pairs(snapshot[1], snapshot[0], settings=settings, reasoning=settings.reasoning)
    return load(paths, settings=settings, reasoning=settings.reasoning)


def query(kg: KnowledgeGraph, task: QueryTask) -> Stream:
    """Run a query; the body is rendered in the task's result format (SELECT/ASK) or graph format (graphs).
    With ``task.max_bytes`` (pages) long terms are cut and rows stop once the budget is spent (``truncated``)."""
    cap = kg.settings.max_rows if task.max_rows is None else task.max_rows
    result = run_query(kg, task.sparql, default_graph_uris=task.default_graph_uris,
                       named_graph_uris=task.named_graph_uris, base_iri=task.base_iri, max_rows=cap, stream=cap == 0)
    if isinstance(result, AskResult):
        return Stream({"form": "ASK", "format": task.result_format, "truncated": False},
                      [ask_text(result, task.result_format)])
    meta: dict[str, Any] = {"form": "SELECT", "format": task.result_format, "truncated": result.truncated}
    if isinstance(result, SelectResult):
        rows: Iterable[tuple[Term | None, ...]] = result.rows
        if task.max_bytes is not None:
            rows = _within(rows, task.max_bytes, meta)
        return Stream(meta, SELECT_RENDERERS[task.result_format](result.variables, rows))
    assert isinstance(result, GraphResult)
    meta.update(form="CONSTRUCT", format=task.graph_format)
    triples: Iterable[ox.Triple] = result.triples
    if task.max_bytes is not None:
        triples = (ox.Triple(*row) for row in _within(((t.subject, t.predicate, t.object) for t in triples),
                                                      task.max_bytes, meta))
    return Stream(meta, iter_graph(triples, task.graph_format))


#: The longest term a page shows: a cell longer than this is cut (the download links have it whole).
PAGE_TERM_CHARS = 2000


def _cut(term: Any) -> Any:
    """A literal longer than :data:`PAGE_TERM_CHARS`, cut and marked with an ellipsis (IRIs and blank nodes are
    left whole: cutting one could make it invalid, and the page's byte budget bounds them)."""
    if isinstance(term, ox.Literal) and len(term.value) > PAGE_TERM_CHARS:
        cut = term.value[:PAGE_TERM_CHARS] + "…"
        return ox.Literal(cut, language=term.language) if term.language else ox.Literal(cut, datatype=term.datatype)
    return term


def _within(rows: Iterable[tuple[Any, ...]], budget: int, meta: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    """``rows`` with long literals cut, stopping (and setting ``meta["truncated"]``) once the terms shown
    would pass ``budget`` characters: what a page holds stays bounded whatever the query returns. Sets
    ``meta["cut"]`` when a term was cut. The flags are set while the body is rendered: they reach the server
    with the ``end`` message (see :func:`kg.workers.protocol.send_result`)."""
    spent = 0
    for row in rows:
        shown = tuple(_cut(t) for t in row)
        if any(a is not b for a, b in zip(shown, row, strict=True)):
            meta["cut"] = True
        spent += sum(len(t.value) for t in shown if t is not None and not isinstance(t, ox.Triple))
        if spent > budget:
            meta["truncated"] = True
            return
        yield shown


def _valid_iri(iri: str) -> bool:
    try:
        ox.NamedNode(iri)
    except ValueError:
        return False
    return True


def describe(kg: KnowledgeGraph, task: DescribeTask) -> Stream | None:
    """The entity's description in the task's graph format; None when nothing describes it (or it is no IRI)."""
    if not _valid_iri(task.iri) or not entities.exists(kg, task.iri):
        return None
    return Stream({"form": "CONSTRUCT", "format": task.graph_format, "truncated": False},
                  iter_graph(entities.describe(kg, task.iri), task.graph_format))


def entity(kg: KnowledgeGraph, task: EntityTask) -> entities.EntityView | None:
    """The entity page's view; None when nothing describes the IRI (or it is no IRI)."""
    if not _valid_iri(task.iri) or not entities.exists(kg, task.iri):
        return None
    return entities.entity_view(kg, task.iri, page=task.page)


def prepare_figures(kg: KnowledgeGraph, task: PrepareFiguresTask) -> int:
    """Write the prepared figures view of this data version into the task's directory; returns its row count."""
    from kg.views import prepare_figures as prepare

    return prepare(kg, Path(task.directory))


def compare(kg: KnowledgeGraph, task: CompareTask) -> tuple[list[dict[str, str]], bool]:
    """The comparison records (at most ``max_rows``) and whether there were more."""
    from kg.compare import comparison

    rows = comparison(kg)
    return rows[:task.max_rows], len(rows) > task.max_rows


def dump(kg: KnowledgeGraph, task: DumpTask) -> DumpInfo:
    """Write the dump to the task's path and a gzip copy beside it (``.gz``). Each is published atomically and
    the plain file last, so its presence means both are complete."""
    target = Path(task.path)
    gz_target = target.with_name(target.name + ".gz")
    with atomic_writer(target) as out:
        dump_graph(kg, out, format=task.format, inferred=task.inferred)
        out.seek(0)
        # the gzip header names the plain file (GzipFile would take the temporary file's name otherwise)
        with atomic_writer(gz_target) as raw, gzip.GzipFile(filename=target.name, fileobj=raw, mode="wb",
                                                            compresslevel=6, mtime=0) as dst:
            while block := out.read(1 << 20):
                dst.write(block)
    return DumpInfo(size=target.stat().st_size, gz_size=gz_target.stat().st_size)


def stats(kg: KnowledgeGraph, _task: StatsTask) -> Stats:
    """Counts for the VoID description: triples, distinct subjects/objects, classes with their instances,
    and the vocabularies (namespaces of predicates and classes) used."""
    def one(sparql: str) -> list[tuple[Any, ...]]:
        # once per data version, like the figures view: bounded by the pool (ONCE_PER_VERSION_S), not by what
        # one request may cost, which the counts of a large graph in an external store outgrow
        result = run_query(kg, sparql, max_rows=100_000, timeout_s=math.inf)
        assert isinstance(result, SelectResult)
        return [tuple(t.value if t is not None else None for t in row) for row in result.rows]

    inferred = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}"
    # the dataset is what the files say (what /dump holds); the inferred graph is described as its own subset
    asserted = f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{INFERRED_GRAPH}>)"
    counts = one("SELECT (COUNT(*) AS ?t) (COUNT(DISTINCT ?s) AS ?s2) (COUNT(DISTINCT ?p) AS ?p2) "
                 f"(COUNT(DISTINCT ?o) AS ?o2) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ {asserted} }} }}")[0]
    classes = one(f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s a ?c }} "
                  f"FILTER(?g != <{INFERRED_GRAPH}>) }} GROUP BY ?c ORDER BY ?c")
    predicates = [r[0] for r in one(f"SELECT DISTINCT ?p WHERE {{ {asserted} }} ORDER BY ?p")]
    # void:entities counts what the description's void:uriSpace holds, not the ontology's terms beside it
    n_entities = one(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {asserted} "
                     f"FILTER(STRSTARTS(STR(?s), \"{kg.settings.entity_space}\")) }}")[0][0]
    return Stats(triples=int(counts[0]), distinct_subjects=int(counts[1]), properties=int(counts[2]),
                 distinct_objects=int(counts[3]), entities=int(n_entities),
                 classes=[(c, int(n)) for c, n in classes], predicates=predicates,
                 graphs=[s.graph for s in kg.sources],
                 documents=[r[0] for r in one("SELECT DISTINCT ?d WHERE { ?d kg:seedFile ?f } ORDER BY ?d")],
                 reasoning=kg.reasoning,
                 # counted where the quads are: over an external store, streaming the graph here would parse
                 # every inferred quad in this process (millions at 100,000 claims)
                 inferred=int(one(inferred)[0][0]))


#: Each task type's operation: the one place a task meets the function that performs it.
OPERATIONS: dict[type[Any], Callable[[KnowledgeGraph, Any], object]] = {
    QueryTask: query, DescribeTask: describe, EntityTask: entity, DumpTask: dump, StatsTask: stats,
    PrepareFiguresTask: prepare_figures, CompareTask: compare,
}


def perform(kg: KnowledgeGraph, task: Task) -> object:
    """Run ``task`` on the worker's graph."""
    return OPERATIONS[type(task)](kg, task)


def run(kg: KnowledgeGraph, task: Task, send: Callable[[tuple[Any, ...]], None]) -> None:
    """Perform one task and send its messages through ``send``: every failure reaches the caller as one
    ``error`` message and never hangs it (an unexpected one is logged with its traceback first)."""
    try:
        send_result(perform(kg, task), send)
    except MemoryError:  # Python's allocations fail at the bound (RLIMIT_AS); the engine's abort the worker
        send(error_message(memory.memory_error(kg.settings), "running a task"))
    except Stopped:
        raise
    except BaseException as err:
        send(error_message(err, f"running {type(task).__name__}"))


def serve(conn: Connection, kg: KnowledgeGraph) -> None:
    """A worker's loop: say it is ready, then answer tasks until told to stop (None) or the server goes away."""
    conn.send((Kind.READY, os.getpid()))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if task is None:
            return
        run(kg, task, conn.send)
