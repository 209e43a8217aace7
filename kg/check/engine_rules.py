"""The rules of ``kg check`` that run the engines of :mod:`kg.check.engines`: ``shacl`` (pySHACL) and
``consistency`` (OWL 2 RL), on exactly the part of the graph that the checked files touch, copied from the
workspace into a small pyoxigraph store (one term model from the parser to the findings).

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
from collections.abc import Iterable
from itertools import islice

import pyoxigraph as ox

from kg.check.engines import data_store, shacl_with_values, shape_paths, shapes_graph
from kg.check.inconsistency import Inconsistency, inconsistencies
from kg.check.workspace import Workspace
from kg.graph import closure
from kg.namespaces import OWL, RDF, RDFS
from kg.turtle.parser import RDF_FIRST, RDF_TYPE, Pos, Term


def from_text(value: str) -> Term:
    """A node from :class:`kg.check.engines.ShaclResult` text (``_:id`` for blank nodes)."""
    return ox.BlankNode(value[2:]) if value.startswith("_:") else ox.NamedNode(value)


def ontology_quads(ws: Workspace) -> Iterable[ox.Quad]:
    """Every quad of the ontology's files."""
    for g in ws.ontology_graphs:
        yield from ws.quads(None, None, None, g)


def _checked_subjects(ws: Workspace) -> set[Term]:
    return {s for f in ws.checked for s in f.subjects()}


def shacl_context(ws: Workspace) -> tuple[ox.Store, set[Term] | None]:
    """The store SHACL must see and the focus nodes whose results count (None: all, in a full run)."""
    if ws.full:
        return data_store(ws.quads()), None
    touched = _checked_subjects(ws)
    focus = set(touched)
    for node in touched:
        focus.update(q.subject for q in ws.quads(None, None, node))
    needed = set(focus)
    for node in focus:
        needed.update(q.object for q in ws.quads(node) if not isinstance(q.object, ox.Literal))
    return data_store([*ontology_quads(ws), *(q for node in needed for q in ws.quads(node))]), focus


def shacl_findings(ws: Workspace) -> None:
    """Every SHACL result about the checked files' nodes, located at the offending triple or the node."""
    store, focus = shacl_context(ws)
    for r, value in sorted(shacl_with_values(store, shapes_graph(ws.settings.shapes_dir)), key=lambda rv: rv[0]):
        node = from_text(r.focus)
        if focus is not None and node not in focus:
            continue
        pred = _simple_path(ws, node, r.path)
        where = None
        if pred is not None:
            # The offending triple when it is written (sh:class, sh:datatype ...), else the node (sh:minCount).
            where = (ws.locate_triple(node, pred, value) if value is not None else None) or \
                ws.locate_triple(node, pred, part="predicate")
        label = ws.label(node)
        name = ws.node_name(node) + (f" ({label!r})" if label else "")
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
    return pred if path in shape_paths(ws.settings.shapes_dir) else None


# --- consistency ----------------------------------------------------------------------------------------------

#: Incoming triples of a node read in one lookup before it counts as a hub (asked property by property).
_SCAN = 64


def consistency_context(ws: Workspace) -> tuple[ox.Store, set[Term] | None]:
    """The store the reasoner must close and the nodes whose inconsistencies count (None: all, in a full run)."""
    if ws.full:
        return data_store(ws.quads()), None
    nodes: set[Term] = set()
    for f in ws.checked:
        for t in f.triples:
            nodes.add(t.subject)
            if not isinstance(t.object, ox.Literal):
                nodes.add(t.object)
    quads = list(ontology_quads(ws))
    linking = _axiom_properties(quads)
    wanted = set(linking)
    for node in nodes:
        quads.extend(ws.quads(node))
        # One incoming triple per property an axiom speaks of (a property no axiom names implies no class).
        # Most nodes have a few incoming triples: read them in one lookup. A hub (a shared indicator that
        # 100,000 claims point at) is asked once per property instead of being read whole. One lookup per
        # property for every node made a file of 200,000 triples take minutes (about 270 lookups a triple).
        incoming = list(islice(ws.quads(None, None, node), _SCAN + 1))
        if len(incoming) <= _SCAN:
            first: dict[ox.NamedNode, ox.Quad] = {}
            for q in incoming:
                if q.predicate in wanted:
                    first.setdefault(q.predicate, q)  # the same witness a lookup by property finds first
            quads.extend(first.values())
            continue
        for p in linking:
            witness = next(ws.quads(None, p, node), None)
            if witness is not None:
                quads.append(witness)
    return data_store(quads), nodes


def _axiom_properties(ontology: list[ox.Quad]) -> list[ox.NamedNode]:
    """The properties the ontology declares or links by an axiom, and the OWL properties whose assertions the
    reasoner reads: those whose incoming triples can change a node's classes."""
    kinds = {OWL + k for k in ("ObjectProperty", "DatatypeProperty", "AnnotationProperty", "TransitiveProperty",
                               "SymmetricProperty", "AsymmetricProperty", "FunctionalProperty", "ReflexiveProperty",
                               "InverseFunctionalProperty", "IrreflexiveProperty")} | {RDF + "Property"}
    about = {RDFS + "domain", RDFS + "range", RDFS + "subPropertyOf", OWL + "inverseOf", OWL + "equivalentProperty",
             OWL + "propertyChainAxiom", OWL + "propertyDisjointWith"}
    linked = {RDFS + "subPropertyOf", OWL + "inverseOf", OWL + "equivalentProperty", OWL + "onProperty",
              OWL + "propertyDisjointWith"}
    found = {ox.NamedNode(OWL + n) for n in ("sameAs", "differentFrom")} | {RDF_FIRST}
    for q in ontology:
        if (q.predicate == RDF_TYPE and q.object.value in kinds) or q.predicate.value in about:
            found.add(q.subject)  # type: ignore[arg-type]
        if q.predicate.value in linked and isinstance(q.object, ox.NamedNode):
            found.add(q.object)
    return sorted((p for p in found if isinstance(p, ox.NamedNode)), key=str)


Reason = tuple[bool, int, str, "tuple[str, Pos] | None"]


def _reasons(ws: Workspace, node: Term, cls: ox.NamedNode) -> list[Reason]:
    """Why ``node`` is a ``cls``: (written in a checked file?, 1 for a property's domain or range and 0 for an
    ``rdf:type``, phrase, location) for each triple that says so, the likeliest cause of a clash first."""
    out: list[Reason] = []
    checked = {f.graph for f in ws.checked}
    c, n = ws.curie, ws.curie(node)

    def typed(prop: ox.NamedNode, axiom: str) -> ox.NamedNode | None:
        for sup in closure(ws.quads, prop, "subPropertyOf"):
            for q in ws.quads(sup, ox.NamedNode(RDFS + axiom)):
                if isinstance(q.object, ox.NamedNode) and cls in closure(ws.quads, q.object, "subClassOf"):
                    return q.object
        return None

    for i, q in enumerate(ws.quads(node)):
        if i > 5000 and out:
            break
        if q.predicate == RDF_TYPE and isinstance(q.object, ox.NamedNode):
            if cls in closure(ws.quads, q.object, "subClassOf"):
                kind = c(q.object) + ("" if q.object == cls else f", a kind of {c(cls)}")
                out.append((q.graph_name in checked, 0, f"{n} is a {kind}",
                            ws.locate_triple(node, RDF_TYPE, q.object)))
        elif (domain := typed(q.predicate, "domain")) is not None:
            out.append((q.graph_name in checked, 1, f"{n} has {c(q.predicate)}, which expects a {c(domain)}",
                        ws.locate_triple(node, q.predicate, q.object, part="predicate")))
    for i, q in enumerate(ws.quads(None, None, node)):
        if i > 5000 and out:
            break
        if (rng := typed(q.predicate, "range")) is not None:
            out.append((q.graph_name in checked, 1, f"{c(q.subject)} {c(q.predicate)} {n}, and {c(q.predicate)} "
                        f"expects a {c(rng)}", ws.locate_triple(q.subject, q.predicate, node)))
    return sorted(out, key=lambda r: (not r[0], -r[1], r[2]))


def _disjoint(ws: Workspace, x: Term, c1: ox.NamedNode, c2: ox.NamedNode) -> None:
    r1, r2 = _reasons(ws, x, c1), _reasons(ws, x, c2)
    # Tell the old fact first and the new one second, located where the new one is written: the new one is
    # written in a checked file, and (in a full run, where every file is checked) is the use of a property
    # rather than a declared type.
    if (r1[0][:2] if r1 else (False, -1)) > (r2[0][:2] if r2 else (False, -1)):
        r1, r2, c1, c2 = r2, r1, c2, c1
    old = r1[0][2] if r1 else f"{ws.curie(x)} is a {ws.curie(c1)}"
    new = r2[0][2] if r2 else f"{ws.curie(x)} is a {ws.curie(c2)}"
    where = (r2[0][3] if r2 else None) or ws.locate(x)
    ws.add("consistency", "error", f"{old}, but {new}; {ws.curie(c1)} and {ws.curie(c2)} are disjoint",
           where, focus=x)


def _phrase(ws: Workspace, inc: Inconsistency) -> str:
    """The other inconsistencies of OWL 2 RL (rare in curated data) in one sentence each."""
    x, other, c = ws.curie(inc.node), ws.curie(inc.other), ws.curie
    props = " and ".join(c(p) for p in inc.properties)
    return {
        "same-different": f"{x} and {other} are stated to be the same (owl:sameAs) and different",
        "nothing": f"{x} is a member of owl:Nothing",
        "irreflexive": f"{x} {props} {x}, but {props} is irreflexive",
        "asymmetric": f"{x} {props} {other} and back, but {props} is asymmetric",
        "property-disjoint": f"{x} is linked to {other} by {props}, which are disjoint properties",
        "complement": f"{x} is a {' and a '.join(c(k) for k in inc.classes)}, one the complement of the other",
        "negative-assertion": f"{x} {props} {other}, which a negative property assertion denies",
    }.get(inc.kind, f"{x}: {inc.kind}")


def consistency(ws: Workspace) -> None:
    """Inconsistencies of the OWL 2 RL closure that involve the checked files, explained and located."""
    store, nodes = consistency_context(ws)
    for inc in inconsistencies(store):
        if isinstance(inc.node, ox.Literal):  # an ill-typed literal, or one in two disjoint datatypes
            lit = inc.node
            hits = [(f, occ) for f in ws.checked for occ in f.doc.triples if occ.triple.object == lit]
            if nodes is not None and not hits:
                continue
            where = (hits[0][0].display, hits[0][1].object) if hits else None
            problem = (f"is not a valid {ws.curie(lit.datatype)}" if inc.kind == "lexical" else
                       f"is used as a {' and as a '.join(ws.curie(c) for c in inc.classes)}, which are disjoint")
            ws.add("consistency", "error", f"{lit.value!r} {problem}", where,
                   focus=hits[0][1].triple.subject if hits else None, value=lit.value)
            continue
        if nodes is not None and inc.node not in nodes and inc.other not in nodes:
            continue
        if inc.kind == "disjoint":
            _disjoint(ws, inc.node, *inc.classes)
            continue
        ws.add("consistency", "error", f"OWL 2 RL inconsistency: {_phrase(ws, inc)}", ws.locate(inc.node),
               focus=inc.node)
