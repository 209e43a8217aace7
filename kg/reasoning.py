"""Inference: the triples the ontology's axioms entail from ontology + data, served in their own named graph.

``--reasoning owlrl`` (``KG_REASONING``) computes the OWL 2 RL closure, ``rdfs`` the RDFS closure, ``none``
nothing. What is kept is the closure *minus* the asserted triples, minus the noise listed in :func:`useful` (each
filter says why), in the named graph ``INFERRED_GRAPH`` (``https://w3id.org/ua-children-kg/graph/inferred``),
which is part of the union default graph, so ``?c a kg:Claim`` answers without ``rdfs:subClassOf*``, while a query
that names the files' graphs, or ``/dump?inferred=false``, sees exactly what curators wrote. Nothing inferred is
ever written to ``data/``.

Two engines compute a closure (``KG_REASONER``): ``native`` (the default), :mod:`kg.closure`'s rules over Python
sets of pyoxigraph terms, and ``owlrl``, the Python library that is the reference: ``tests/test_reasoning.py``
proves that both keep the same triples (for ``rdfs``, native keeps a subset: owlrl's RDFS semantics adds copies
of asserted literals with another datatype or language tag). Measured by ``bench/bench_reasoning.py``: the
repository in 0.06 s native against 2.7 s owlrl; at 10k claims owlrl does not finish in 10 minutes, native takes
seconds, which is why native is the default.

Either way the inferred triples are computed once per data version, mode and engine: cached as N-Triples keyed
by ``KnowledgeGraph.version``, next to the persisted store (``KG_STORE_DIR``) or in ``KG_CACHE_DIR`` (default
``<root>/.kg-cache``), written atomically, so a second ``kg query``, server start or test run reads a file
instead. Only the last few versions stay cached (:func:`prune`), so the cache does not grow with every edit.

This module imports rdflib and owlrl only inside :func:`closure`: a cache hit costs neither import.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import InputError, UsageError
from kg.files import write_atomic
from kg.namespaces import OWL, RDF, RDFS, XSD
from kg.settings import INFERRED_GRAPH, REASONERS, REASONING_MODES, Settings

#: owlrl's own vocabulary for the inconsistencies it finds; ``kg check`` reports those (kg.check.inconsistency).
OWLRL_ERRORS = "http://www.daml.org/2002/03/agents/agent-ont#"
CACHE_VERSION = "2"  # bump when the filters change, so an old cache is never served as the new one
KEEP_VERSIONS = 8  # data versions whose inferred triples stay cached (see prune)
_TYPE = RDF + "type"
# The built-in vocabularies: what a reasoner says about their own terms (rdf:type rdfs:domain rdfs:Resource,
# xsd:integer a rdfs:Datatype, owl:Thing owl:equivalentClass owl:Thing ...) is the same for every graph.
_BUILTIN = (RDF, RDFS, OWL, XSD)
# Every node is an owl:Thing (OWL 2 RL cls-thing, and every individual), every node an rdfs:Resource (rdfs4a/b)
# and every class a sub-class of both: true of everything, so they answer no question.
_TOP = {OWL + "Thing", RDFS + "Resource"}
# Reflexive conclusions: x owl:sameAs x (eq-ref, for every term, literals included), C rdfs:subClassOf C,
# C owl:equivalentClass C, p rdfs:subPropertyOf p, p owl:equivalentProperty p (scm-cls, scm-op, scm-dp).
_REFLEXIVE = {OWL + "sameAs", RDFS + "subClassOf", OWL + "equivalentClass", RDFS + "subPropertyOf",
              OWL + "equivalentProperty"}
# rdfs:Class, rdf:Property and rdfs:Datatype memberships that only restate, in RDFS words, that something is an
# owl:Class or a property (scm-cls, prp-ap); the OWL typing is asserted in the ontology already.
_META_TYPES = {RDFS + "Class", RDF + "Property", RDFS + "Datatype"}


def check_mode(mode: str) -> str:
    """``mode`` when it is a reasoning mode; :class:`UsageError` naming ``KG_REASONING`` otherwise."""
    if mode not in REASONING_MODES:
        raise UsageError(f"reasoning {mode!r} is not one of {', '.join(REASONING_MODES)} (KG_REASONING, --reasoning)")
    return mode


def useful(triple: ox.Triple) -> bool:
    """Whether an inferred triple is worth storing: False for the noise every closure is full of."""
    s, p, o = triple.subject, triple.predicate.value, triple.object
    if isinstance(s, ox.Literal):  # owlrl's literal subjects ("1"^^xsd:integer a xsd:integer): not RDF 1.1
        return False
    # Blank nodes get a new label at every parse, so a cached triple naming one would name a node the next
    # load does not have; the ones inferred here are anonymous OWL restrictions and lists, and date nodes'
    # time:Instant types, whose facts the asserted triples hold already.
    if isinstance(s, ox.BlankNode) or isinstance(o, ox.BlankNode):
        return False
    if s.value.startswith(OWLRL_ERRORS) or (isinstance(o, ox.NamedNode) and o.value.startswith(OWLRL_ERRORS)):
        return False  # owlrl's inconsistency reports are the checker's business, not data
    if s.value.startswith(_BUILTIN):
        return False
    if p in _REFLEXIVE and s == o:
        return False
    if isinstance(o, ox.NamedNode) and o.value in _TOP and p in (_TYPE, RDFS + "subClassOf", RDFS + "domain",
                                                               RDFS + "range"):
        return False
    if p == _TYPE and isinstance(o, ox.NamedNode) and o.value in _META_TYPES:
        return False
    return not (isinstance(o, ox.Literal) and p in _REFLEXIVE)  # x owl:sameAs "x" for literal objects


def to_rdflib(term: Any) -> Any:
    """The rdflib term of a pyoxigraph term (a literal keeps its lexical form and datatype)."""
    import rdflib

    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    # normalize=False keeps the lexical form ("01" stays "01"), so the literal is the asserted one, not a twin
    return rdflib.Literal(term.value, lang=term.language, normalize=False,
                          datatype=None if term.language or term.datatype.value == XSD + "string"
                          else rdflib.URIRef(term.datatype.value))


def to_ox(term: Any) -> Any:
    """The pyoxigraph term of an rdflib term (rdflib plain literals become xsd:string ones, as in RDF 1.1)."""
    import rdflib

    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None)


def closure(triples: Iterable[ox.Triple], mode: str, engine: str = "native") -> list[ox.Triple]:
    """The useful triples ``mode`` infers from ``triples`` and does not assert, as ``engine`` ("native" or
    "owlrl") computes them, sorted (so a cache file is the same bytes for the same data). ``none`` infers
    nothing. Raises :class:`UsageError` for an unknown mode or engine."""
    if check_mode(mode) == "none":
        return []
    if engine not in REASONERS:
        raise UsageError(f"reasoner {engine!r} is not one of {', '.join(REASONERS)} (KG_REASONER)")
    asserted = set(triples)
    found = _native(asserted, mode) if engine == "native" else _owlrl(asserted, mode)
    return sorted(found, key=str)


def _native(asserted: set[ox.Triple], mode: str) -> set[ox.Triple]:
    """What :mod:`kg.closure` adds to ``asserted`` under ``mode``, filtered by :func:`useful`."""
    from kg.closure import paused_gc, read, saturate

    facts = saturate(read(asserted), mode)
    found = set()
    with paused_gc():
        for p, by_subject in facts.spo.items():
            if not isinstance(p, ox.NamedNode):
                continue
            for s, objects in by_subject.items():
                if isinstance(s, ox.Literal):  # generalised triples (prp-rng on a literal): not RDF
                    continue
                for o in objects:
                    triple = ox.Triple(s, p, o)
                    if triple not in asserted and useful(triple):
                        found.add(triple)
    return found


def _owlrl(asserted: set[ox.Triple], mode: str) -> set[ox.Triple]:
    """What owlrl's ``OWLRL_Semantics`` (``RDFS_Semantics`` for "rdfs") adds to ``asserted``, filtered."""
    import owlrl
    import rdflib

    graph = rdflib.Graph()
    for t in asserted:
        graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    semantics = owlrl.OWLRL_Semantics if mode == "owlrl" else owlrl.RDFS_Semantics
    owlrl.DeductiveClosure(semantics).expand(graph)
    found = set()
    for s, p, o in graph:
        if isinstance(s, rdflib.Literal) or not isinstance(p, rdflib.URIRef):  # owlrl's literal subjects
            continue
        triple = ox.Triple(to_ox(s), to_ox(p), to_ox(o))
        if triple not in asserted and useful(triple):
            found.add(triple)
    return found


def cache_folder(settings: Settings) -> Path:
    """Where inferred triples are cached: the store directory when there is one (they are pruned with nothing
    else there, but live beside the store of the same version), else ``KG_CACHE_DIR``, else ``.kg-cache/``
    under the root."""
    if settings.store_dir is not None:
        return Path(settings.store_dir)
    return Path(settings.cache_dir) if settings.cache_dir is not None else settings.root / ".kg-cache"


def cache_path(settings: Settings, version: str, mode: str) -> Path:
    """The cache file of one data version's inferred triples under ``mode``, by ``settings.reasoner``."""
    return cache_folder(settings) / f"inferred-{version[:16]}-{mode}-{settings.reasoner}-v{CACHE_VERSION}.nt"


def prune(folder: Path, keep: int = KEEP_VERSIONS) -> int:
    """Remove the cache files in ``folder`` of all but the ``keep`` data versions written last (every mode and
    engine of a kept version stays: switching back is free); returns how many files were removed. More than one
    version is kept because processes share the folder (a server and a curator's `kg check` of an edit, say).
    Files that vanish or resist removal (another process, a read-only folder) are left alone."""
    newest: dict[str, float] = {}
    files = []
    for path in folder.glob("inferred-*.nt"):
        with contextlib.suppress(OSError):
            version, mtime = path.name.split("-")[1], path.stat().st_mtime
            newest[version] = max(mtime, newest.get(version, mtime))
            files.append((version, path))
    kept = set(sorted(newest, key=newest.__getitem__, reverse=True)[:keep])
    removed = 0
    for version, path in files:
        if version not in kept:
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
    return removed


def _read(path: Path) -> list[ox.Triple] | None:
    """The cached triples at ``path``; None when there are none (a damaged file, only possible by hand since
    writes are atomic, is removed and computed again)."""
    try:
        return [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)]
    except FileNotFoundError:
        return None
    except (SyntaxError, ValueError, OSError):
        with contextlib.suppress(OSError):
            path.unlink()
        return None


def inferred(asserted: Iterable[ox.Triple], version: str, settings: Settings, mode: str) -> list[ox.Triple]:
    """The inferred triples of the data version ``version`` (whose triples ``asserted`` yields, read only on a
    cache miss): read from the cache, or computed by :func:`closure` and cached atomically. A cache folder that
    cannot be written costs a recomputation next time, never a failure."""
    if check_mode(mode) == "none":
        return []
    path = cache_path(settings, version, mode)
    # A new store directory for data whose closure a plain `kg query` computed already (a test's temporary
    # store, say) reads that: the same version is the same triples wherever it was computed.
    fallback = (cache_path(dataclasses.replace(settings, store_dir=None), version, mode)
                if settings.store_dir is not None else None)
    for candidate in (path, fallback):
        found = _read(candidate) if candidate is not None else None
        if found is not None:
            return found
    triples = closure(asserted, mode, settings.reasoner)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")
    except OSError:
        return triples
    prune(path.parent)
    return triples


def add_inferred(store: ox.Store, version: str, settings: Settings, mode: str, *, bulk: bool = False) -> int:
    """Put the inferred triples of ``store``'s asserted graphs (data version ``version``) into the graph
    ``INFERRED_GRAPH`` of ``store``; returns how many. ``bulk`` for a store being built on disk. Raises
    :class:`InputError` when the store holds an inferred graph already (it would be read as asserted)."""
    if check_mode(mode) == "none":
        return 0
    name = ox.NamedNode(INFERRED_GRAPH)
    if any(True for _ in store.quads_for_pattern(None, None, None, name)):
        raise InputError(f"the store holds <{INFERRED_GRAPH}> already; a data file may not use that graph name")
    asserted = (q.triple for q in store.quads_for_pattern(None, None, None, None))
    quads = [ox.Quad(t.subject, t.predicate, t.object, name) for t in inferred(asserted, version, settings, mode)]
    (store.bulk_extend if bulk else store.extend)(quads)
    return len(quads)
