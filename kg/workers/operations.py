"""The operations a query worker performs (see :mod:`kg.pool`): each takes the worker's graph first.

A function returns either a plain picklable value or a :class:`Stream` (metadata first, then body pieces)
so large results are written out piece by piece.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import entities as _describe
from kg.graph import KnowledgeGraph, SourceFile, load, load_pairs
from kg.graph import dump as _dump
from kg.query import AskResult, GraphResult, SelectResult
from kg.query import query as _query
from kg.render import SELECT_RENDERERS, ask_text, iter_graph
from kg.settings import Settings


@dataclass
class Stream:
    meta: dict[str, Any]
    body: Iterable[str | bytes] = field(default_factory=list)


def open_state(settings: Settings, paths: Sequence[str] | None, store_path: str | None = None,
               snapshot: tuple[list[SourceFile], list[tuple[str, str]]] | None = None) -> KnowledgeGraph:
    """The worker's graph: the persisted store at ``store_path`` (opened read-only), else the server's
    snapshot of the files, else the files themselves, loaded in memory."""
    if store_path is not None:
        from kg.store import open_store

        return open_store(settings, Path(store_path))
    if snapshot is not None:
        return load_pairs(snapshot[1], snapshot[0], settings=settings)
    return load(paths, settings=settings)


def query(kg: KnowledgeGraph, sparql: str, *, result_format: str, graph_format: str,
          default_graph_uris: Sequence[str] = (), named_graph_uris: Sequence[str] = (),
          base_iri: str | None = None, max_rows: int | None = None) -> Stream:
    """Run a query; the body is rendered in ``result_format`` (SELECT/ASK) or ``graph_format`` (graphs)."""
    cap = kg.settings.max_rows if max_rows is None else max_rows
    result = _query(kg, sparql, default_graph_uris=default_graph_uris, named_graph_uris=named_graph_uris,
                    base_iri=base_iri, max_rows=cap, stream=cap == 0)
    if isinstance(result, AskResult):
        return Stream({"form": "ASK", "format": result_format, "truncated": False},
                      [ask_text(result, result_format)])
    if isinstance(result, SelectResult):
        return Stream({"form": "SELECT", "format": result_format, "truncated": result.truncated},
                      SELECT_RENDERERS[result_format](result.variables, result.rows))
    assert isinstance(result, GraphResult)
    return Stream({"form": "CONSTRUCT", "format": graph_format, "truncated": result.truncated},
                  iter_graph(result.triples, graph_format))


def _valid_iri(iri: str) -> bool:
    try:
        ox.NamedNode(iri)
    except ValueError:
        return False
    return True


def describe(kg: KnowledgeGraph, iri: str, *, graph_format: str) -> Stream | None:
    """The entity's description in ``graph_format``; None when nothing describes it (or it is no IRI)."""
    if not _valid_iri(iri) or not _describe.exists(kg, iri):
        return None
    return Stream({"form": "CONSTRUCT", "format": graph_format, "truncated": False},
                  iter_graph(_describe.describe(kg, iri), graph_format))


def entity(kg: KnowledgeGraph, iri: str) -> _describe.EntityView | None:
    return _describe.entity_view(kg, iri) if _valid_iri(iri) and _describe.exists(kg, iri) else None


def prepare_figures(kg: KnowledgeGraph, directory: str) -> int:
    """Write the prepared figures view of this data version into ``directory``; returns its row count."""
    from kg.views import prepare_figures as _prepare

    return _prepare(kg, Path(directory))


def dump(kg: KnowledgeGraph, path: str, *, format: str) -> dict[str, Any]:
    """Write the dump to ``path`` and a gzip copy to ``path.gz``; returns their sizes. Both are written under
    temporary names and the plain file is published last, so its presence means both are complete."""
    target = Path(path)
    gz_target = target.with_name(target.name + ".gz")
    tmp = target.with_name(f"{target.name}.tmp{os.getpid()}")
    gz_tmp = target.with_name(f"{target.name}.gz.tmp{os.getpid()}")
    with tmp.open("wb") as out:
        _dump(kg, out, format=format)
    with tmp.open("rb") as src, gzip.open(gz_tmp, "wb", compresslevel=6) as dst:
        while block := src.read(1 << 20):
            dst.write(block)
    os.replace(gz_tmp, gz_target)
    os.replace(tmp, target)
    return {"size": target.stat().st_size, "gz_size": target.with_name(target.name + ".gz").stat().st_size}


def stats(kg: KnowledgeGraph) -> dict[str, Any]:
    """Counts for the VoID description: triples, distinct subjects/objects, classes with their instances,
    and the vocabularies (namespaces of predicates and classes) used."""
    def one(sparql: str) -> list[tuple[Any, ...]]:
        result = _query(kg, sparql, max_rows=100_000)
        assert isinstance(result, SelectResult)
        return [tuple(t.value if t is not None else None for t in row) for row in result.rows]

    counts = one("SELECT (COUNT(*) AS ?t) (COUNT(DISTINCT ?s) AS ?s2) (COUNT(DISTINCT ?p) AS ?p2) "
                 "(COUNT(DISTINCT ?o) AS ?o2) WHERE { ?s ?p ?o }")[0]
    classes = one("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY ?c")
    predicates = [r[0] for r in one("SELECT DISTINCT ?p WHERE { ?s ?p ?o } ORDER BY ?p")]
    entities = one(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o . "
                   f"FILTER(STRSTARTS(STR(?s), \"{kg.settings.base_iri}\")) }}")[0][0]
    return {
        "triples": int(counts[0]), "distinct_subjects": int(counts[1]), "properties": int(counts[2]),
        "distinct_objects": int(counts[3]), "entities": int(entities),
        "classes": [(c, int(n)) for c, n in classes], "predicates": predicates,
        "graphs": [s.graph for s in kg.sources],
    }
