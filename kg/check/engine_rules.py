"""The rules of ``kg check`` that run the engines: ``shacl`` (pySHACL) and ``consistency`` (owlrl), on exactly the
part of the graph that the checked files touch.

Full run (``ws.full``): the engines see the ontology and every data file, as the publishing gate does.

Incremental run: a triple can only change the result for nodes whose validation reads it.

* SHACL: every shape of ``shapes/`` reads triples whose subject is the focus node or one of its direct objects
  (``sh:class`` reads the value's types; the SPARQL constraints go one hop, e.g. span -> document -> ``kg:text``,
  claim -> statement act -> ``kg:speaker``). So the focus nodes to revalidate are the subjects described in the
  checked files plus the nodes that point at them (one hop back), and the data they need is the description of
  those nodes and of their objects, plus the ontology (``sh:class`` follows ``rdfs:subClassOf``). Results about
  other nodes of that neighbourhood are dropped: they belong to the unchanged graph. ``pyshacl.validate``'s
  ``focus_nodes=`` option was not used because it ignores blank nodes (dates, selectors), which we must check.
* OWL 2 RL: the ontology's inconsistencies are disjointness clashes; a node's classes follow from its own types
  and from the domains and ranges of the properties on its triples (both directions). So for every node the
  checked files mention we take its outgoing triples and one incoming triple per property (one witness suffices
  for a range), and keep the inconsistencies about those nodes.

``tests/test_check.py`` proves on a broken addition that the incremental run finds what a full run finds.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
import rdflib

from kg.check.engines import merged_graph, owl_inconsistencies, shacl_with_values
from kg.namespaces import RDFS, XSD
from kg.turtle.parser import RDF_TYPE, Pos, Term

if TYPE_CHECKING:
    from kg.check.runner import Workspace

_DISJOINT = re.compile(r"Disjoint classes (\S+) and (\S+) have a common individual (\S+)")
_LEXICAL = re.compile(r"Lexical value of the literal '(.*)' does not match its datatype \((\S+)\)", re.S)


def to_rdflib(term: Term) -> rdflib.term.Node:
    """The rdflib term for a pyoxigraph term (an ``xsd:string`` literal becomes a plain one, as rdflib parses)."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == XSD + "string":
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def from_rdflib(node: rdflib.term.Node) -> Term:
    """The pyoxigraph term for an rdflib term (the inverse of :func:`to_rdflib`)."""
    if isinstance(node, rdflib.BNode):
        return ox.BlankNode(str(node))
    if isinstance(node, rdflib.Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype or XSD + "string")))
    return ox.NamedNode(str(node))


def from_text(value: str) -> Term:
    """A node from :class:`kg.validation.ShaclResult` text (``_:id`` for blank nodes)."""
    return ox.BlankNode(value[2:]) if value.startswith("_:") else ox.NamedNode(value)


def _add(graph: rdflib.Graph, quads: object) -> None:
    for q in quads:  # type: ignore[attr-defined]
        graph.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))


@lru_cache(maxsize=4)
def _shapes(files: tuple[tuple[Path, float, int], ...]) -> rdflib.Graph:
    return merged_graph([f for f, _mtime, _size in files])


def shapes_graph(ws: Workspace) -> rdflib.Graph:
    """The shapes of ``shapes/``, parsed once per process while the files do not change."""
    files = sorted(ws.settings.shapes_dir.glob("*.ttl"))
    return _shapes(tuple((f, f.stat().st_mtime, f.stat().st_size) for f in files))


def ontology_graph(ws: Workspace) -> rdflib.Graph:
    graph = rdflib.Graph()
    for g in ws.ontology_graphs:
        _add(graph, ws.store.quads_for_pattern(None, None, None, g))
    return graph


def union_graph(ws: Workspace) -> rdflib.Graph:
    graph = rdflib.Graph()
    _add(graph, ws.store.quads_for_pattern(None, None, None, None))
    return graph


def _checked_subjects(ws: Workspace) -> set[Term]:
    return {s for f in ws.checked for s in f.subjects()}


def shacl_context(ws: Workspace) -> tuple[rdflib.Graph, set[Term] | None]:
    """The graph SHACL must see and the focus nodes whose results count (None: all, in a full run)."""
    if ws.full:
        return union_graph(ws), None
    touched = _checked_subjects(ws)
    focus = set(touched)
    for node in touched:
        focus.update(q.subject for q in ws.store.quads_for_pattern(None, None, node, None))
    graph = ontology_graph(ws)
    needed = set(focus)
    for node in focus:
        needed.update(q.object for q in ws.store.quads_for_pattern(node, None, None, None)
                      if not isinstance(q.object, ox.Literal))
    for node in needed:
        _add(graph, ws.store.quads_for_pattern(node, None, None, None))
    return graph, focus


def shacl_findings(ws: Workspace) -> None:
    """Every SHACL result about the checked files' nodes, located at the offending triple or the node."""
    graph, focus = shacl_context(ws)
    for r, value in sorted(shacl_with_values(graph, shapes_graph(ws)), key=lambda rv: rv[0]):
        node = from_text(r.focus)
        if focus is not None and node not in focus:
            continue
        pred = _simple_path(ws, node, r.path)
        where = None
        if pred is not None:
            # The offending triple when it is written (sh:class, sh:datatype ...), else the node (sh:minCount).
            where = (ws.locate_triple(node, pred, from_rdflib(value)) if value is not None else None) or \
                ws.locate_triple(node, pred, part="predicate")
        label = ws.label(node)
        name = ws.describe(node) + (f" ({label!r})" if label else "")
        detail = ""
        if r.path:
            detail = f" [{compact(ws, r.path)}" + (f" = {compact(ws, r.value)}]" if r.value else "]")
        ws.add("shacl", "error" if r.severity == "violation" else "warning",
               f"{name}: {compact(ws, r.message)}{detail}", where or ws.locate(node), focus=node,
               path=r.path, value=r.value)


_IRI = re.compile(r"https?://[^\s,;\"'<>(){}\[\]]+")


def compact(ws: Workspace, text: str) -> str:
    """``text`` with every IRI of a known namespace written as a CURIE (messages of SPARQL constraints)."""
    def repl(m: re.Match[str]) -> str:
        iri = m.group(0).rstrip(".")
        return ws.curie(ox.NamedNode(iri)) + m.group(0)[len(iri):]
    return _IRI.sub(repl, text)


def _simple_path(ws: Workspace, node: Term, path: str) -> ox.NamedNode | None:
    """The predicate of a one-step SHACL path that ``node`` uses or could use, else None (sequences, inverses)."""
    if not path or path.startswith("^") or path.endswith(("*", "+", "?")):
        return None
    try:
        pred = ox.NamedNode(path)
    except ValueError:
        return None
    shapes_use = (rdflib.URIRef(path) in set(shapes_graph(ws).objects(None, rdflib.SH.path)))
    return pred if shapes_use else None


# --- consistency ----------------------------------------------------------------------------------------------

def consistency_context(ws: Workspace) -> tuple[rdflib.Graph, set[Term] | None]:
    """The graph owlrl must close and the nodes whose inconsistencies count (None: all, in a full run)."""
    if ws.full:
        return union_graph(ws), None
    nodes: set[Term] = set()
    for f in ws.checked:
        for t in f.triples:
            nodes.add(t.subject)
            if not isinstance(t.object, ox.Literal):
                nodes.add(t.object)
    graph = ontology_graph(ws)
    for node in nodes:
        _add(graph, ws.store.quads_for_pattern(node, None, None, None))
        witnesses: dict[ox.NamedNode, ox.Quad] = {}
        for q in ws.store.quads_for_pattern(None, None, node, None):
            witnesses.setdefault(q.predicate, q)
        _add(graph, witnesses.values())
    # Literals are nodes of their own for the lexical checks.
    return graph, nodes


def _closure(ws: Workspace, start: ox.NamedNode, link: str) -> set[ox.NamedNode]:
    """``start`` and everything it is (transitively) ``link`` of, e.g. its super-classes."""
    found, todo = {start}, [start]
    while todo:
        for q in ws.store.quads_for_pattern(todo.pop(), ox.NamedNode(RDFS + link), None, None):
            if isinstance(q.object, ox.NamedNode) and q.object not in found:
                found.add(q.object)
                todo.append(q.object)
    return found


Reason = tuple[bool, int, str, "tuple[str, Pos] | None"]


def _reasons(ws: Workspace, node: Term, cls: ox.NamedNode) -> list[Reason]:
    """Why ``node`` is a ``cls``: (written in a checked file?, 1 for a property's domain or range and 0 for an
    ``rdf:type``, phrase, location) for each triple that says so, the likeliest cause of a clash first."""
    out: list[Reason] = []
    checked = {f.graph for f in ws.checked}
    c, n = ws.curie, ws.curie(node)

    def typed(prop: ox.NamedNode, axiom: str) -> ox.NamedNode | None:
        for sup in _closure(ws, prop, "subPropertyOf"):
            for q in ws.store.quads_for_pattern(sup, ox.NamedNode(RDFS + axiom), None, None):
                if isinstance(q.object, ox.NamedNode) and cls in _closure(ws, q.object, "subClassOf"):
                    return q.object
        return None

    for i, q in enumerate(ws.store.quads_for_pattern(node, None, None, None)):
        if i > 5000 and out:
            break
        if q.predicate == RDF_TYPE and isinstance(q.object, ox.NamedNode):
            if cls in _closure(ws, q.object, "subClassOf"):
                kind = c(q.object) + ("" if q.object == cls else f", a kind of {c(cls)}")
                out.append((q.graph_name in checked, 0, f"{n} is a {kind}",
                            ws.locate_triple(node, RDF_TYPE, q.object)))
        elif (domain := typed(q.predicate, "domain")) is not None:
            out.append((q.graph_name in checked, 1, f"{n} has {c(q.predicate)}, which expects a {c(domain)}",
                        ws.locate_triple(node, q.predicate, q.object, part="predicate")))
    for i, q in enumerate(ws.store.quads_for_pattern(None, None, node, None)):
        if i > 5000 and out:
            break
        if (rng := typed(q.predicate, "range")) is not None:
            out.append((q.graph_name in checked, 1, f"{c(q.subject)} {c(q.predicate)} {n}, and {c(q.predicate)} "
                        f"expects a {c(rng)}", ws.locate_triple(q.subject, q.predicate, node)))
    return sorted(out, key=lambda r: (not r[0], -r[1], r[2]))


def consistency(ws: Workspace) -> None:
    """Inconsistencies of the OWL 2 RL closure that involve the checked files, explained and located."""
    graph, nodes = consistency_context(ws)
    for message in owl_inconsistencies(graph):
        m = _DISJOINT.fullmatch(message.strip())
        if m:
            c1, c2, x = ox.NamedNode(m.group(1)), ox.NamedNode(m.group(2)), from_text(
                m.group(3) if m.group(3).startswith("http") else "_:" + m.group(3))
            if nodes is not None and x not in nodes:
                continue
            r1, r2 = _reasons(ws, x, c1), _reasons(ws, x, c2)
            # Tell the old fact first and the new one second, located where the new one is written: the new one
            # is written in a checked file, and (in a full run, where every file is checked) is the use of a
            # property rather than a declared type.
            if (r1[0][:2] if r1 else (False, -1)) > (r2[0][:2] if r2 else (False, -1)):
                r1, r2, c1, c2 = r2, r1, c2, c1
            old = r1[0][2] if r1 else f"{ws.curie(x)} is a {ws.curie(c1)}"
            new = r2[0][2] if r2 else f"{ws.curie(x)} is a {ws.curie(c2)}"
            where = (r2[0][3] if r2 else None) or ws.locate(x)
            ws.add("consistency", "error", f"{old}, but {new}; {ws.curie(c1)} and {ws.curie(c2)} are disjoint",
                   where, focus=x)
            continue
        m = _LEXICAL.fullmatch(message.strip())
        if m:
            lit = ox.Literal(m.group(1), datatype=ox.NamedNode(m.group(2)))
            hits = [(f, occ) for f in ws.checked for occ in f.doc.triples if occ.triple.object == lit]
            if nodes is not None and not hits:
                continue
            where = (hits[0][0].display, hits[0][1].object) if hits else None
            ws.add("consistency", "error", f"{m.group(1)!r} is not a valid {ws.curie(lit.datatype)}", where,
                   focus=hits[0][1].triple.subject if hits else None, value=m.group(1))
            continue
        mentioned = [t for t in (nodes or set()) if isinstance(t, ox.NamedNode) and t.value in message]
        if nodes is not None and not mentioned:
            continue
        ws.add("consistency", "error", f"OWL 2 RL inconsistency: {message}",
               ws.locate(mentioned[0]) if mentioned else None, focus=mentioned[0] if mentioned else None)
