"""What the graph says about one entity: its description as triples (for RDF) and as a view (for HTML).

``describe`` returns the entity's Concise Bounded Description: every triple with the entity as subject,
following blank nodes (selectors, dates) to any depth, so an entity's Turtle is self-contained.
``entity_view`` adds what a reader of the entity page needs: labels of every linked node, incoming links and
the claims attributed to or about the entity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.graph import KnowledgeGraph, closure
from kg.namespaces import KG, OA, RDF, RDFS, SKOS, TIME

_LABEL_PROPS = (ox.NamedNode(RDFS + "label"), ox.NamedNode(SKOS + "prefLabel"))
_TYPE = ox.NamedNode(RDF + "type")


def exists(kg: KnowledgeGraph, iri: str) -> bool:
    """True when some triple has ``iri`` as its subject."""
    return next(iter(kg.store.quads_for_pattern(ox.NamedNode(iri), None, None, None)), None) is not None


def describe(kg: KnowledgeGraph, iri: str) -> list[ox.Triple]:
    """The Concise Bounded Description of ``iri`` over the union graph, duplicates removed."""
    seen_nodes: set[ox.NamedNode | ox.BlankNode] = set()
    out: dict[ox.Triple, None] = {}
    todo: list[ox.NamedNode | ox.BlankNode] = [ox.NamedNode(iri)]
    while todo:
        node = todo.pop()
        if node in seen_nodes:
            continue
        seen_nodes.add(node)
        for quad in kg.store.quads_for_pattern(node, None, None, None):
            out[quad.triple] = None
            if isinstance(quad.object, ox.BlankNode):
                todo.append(quad.object)
    return list(out)


def label(kg: KnowledgeGraph, term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str | None:
    """The English (else any) rdfs:label or skos:prefLabel of a node, or None."""
    if isinstance(term, ox.Literal):
        return None
    best: str | None = None
    for prop in _LABEL_PROPS:
        for quad in kg.store.quads_for_pattern(term, prop, None, None):
            lit = quad.object
            if isinstance(lit, ox.Literal):
                if lit.language in (None, "en"):
                    return lit.value
                best = best or lit.value
    return best


_SELECTOR = ox.NamedNode(OA + "hasSelector")
_EXACT = ox.NamedNode(OA + "exact")


def quote(kg: KnowledgeGraph, node: ox.NamedNode) -> str | None:
    """The exact quote of a text span (its oa:TextQuoteSelector), or None for other nodes."""
    for sel in kg.store.quads_for_pattern(node, _SELECTOR, None, None):
        for exact in kg.store.quads_for_pattern(sel.object, _EXACT, None, None):  # type: ignore[arg-type]
            return exact.object.value
    return None


_SOURCES = (ox.NamedNode(OA + "hasSource"), ox.NamedNode(KG + "citedDocument"))
_PHRASE = ox.NamedNode(KG + "phrase")


def source_of(kg: KnowledgeGraph, node: ox.NamedNode) -> str | None:
    """The document a text span (``oa:hasSource``) or an external citation (``kg:citedDocument``) quotes, or
    None for other nodes: the entity page links each quote to that document's page."""
    for prop in _SOURCES:
        for q in kg.store.quads_for_pattern(node, prop, None, None):
            return q.object.value
    return None


@dataclass
class Statement:
    """One property/value of an entity (or of a blank node under it), ready to render."""

    predicate: str
    predicate_label: str | None
    value: str
    value_kind: str  # "iri" | "literal" | "bnode"
    value_label: str | None = None
    datatype: str | None = None
    language: str | None = None
    quote: str | None = None  # when the value is a text span: its exact quote (a citation: its phrase)
    source: str | None = None  # the document that quote is taken from
    children: list[Statement] = field(default_factory=list)


@dataclass(frozen=True)
class ClaimRow:
    """A claim made by or about an entity, as its page lists it: value with qualifier (quantity claims), the
    date it was stated with the basis of that date, and the document it appears in."""

    claim: str
    label: str | None
    relation: str
    value: str = ""
    qualifier: str = ""
    stated: str = ""
    stated_basis: str = ""
    source: str = ""
    source_label: str | None = None


def _one(kg: KnowledgeGraph, node: ox.NamedNode | ox.BlankNode, *path: str) -> ox.Term | None:
    """The first object reached from ``node`` along the property ``path`` (IRIs under kg: unless absolute)."""
    current: list[ox.Term] = [node]
    for step in path:
        prop = ox.NamedNode(step if ":" in step else KG + step)
        current = [q.object for n in current if isinstance(n, (ox.NamedNode, ox.BlankNode))
                   for q in kg.store.quads_for_pattern(n, prop, None, None)]
        if not current:
            return None
    return current[0]


_DATE_VALUES = tuple(TIME + p for p in ("inXSDDate", "inXSDgYearMonth", "inXSDgYear"))


def claim_row(kg: KnowledgeGraph, claim: ox.NamedNode, relation: str) -> ClaimRow:
    """The :class:`ClaimRow` of ``claim``; a part the graph does not give is ``""``."""
    value = _one(kg, claim, "value")
    qualifier = _one(kg, claim, "qualifier")
    notation = _one(kg, qualifier, SKOS + "notation") if isinstance(qualifier, ox.NamedNode) else None
    date = _one(kg, claim, "generatedBy", "date")
    stated = next((v for v in (_one(kg, date, p) for p in _DATE_VALUES) if v is not None), None) if isinstance(
        date, (ox.NamedNode, ox.BlankNode)) else None
    basis = _one(kg, date, "basis", SKOS + "notation") if isinstance(date, (ox.NamedNode, ox.BlankNode)) else None
    source = _one(kg, claim, "appearsIn")
    return ClaimRow(claim.value, label(kg, claim), relation, value.value if value else "",
                    notation.value if notation else "", stated.value if stated else "",
                    basis.value if basis else "", source.value if isinstance(source, ox.NamedNode) else "",
                    label(kg, source) if isinstance(source, ox.NamedNode) else None)


@dataclass
class EntityView:
    iri: str
    label: str | None
    types: list[tuple[str, str | None]]
    statements: list[Statement]
    incoming: list[tuple[str, str | None, str, str | None]]  # (subject, subject label, predicate, its label)
    claims: list[ClaimRow]  # made by, about, appearing in ... this entity


def _statements(kg: KnowledgeGraph, node: ox.NamedNode | ox.BlankNode, depth: int = 0) -> list[Statement]:
    out = []
    for quad in sorted(kg.store.quads_for_pattern(node, None, None, None), key=lambda q: (q.predicate.value,
                                                                                       str(q.object))):
        obj = quad.object
        st = Statement(predicate=quad.predicate.value, predicate_label=label(kg, quad.predicate),
                       value=obj.value if not isinstance(obj, ox.Triple) else str(obj), value_kind="literal")
        if isinstance(obj, ox.NamedNode):
            st.value_kind, st.value_label, st.quote = "iri", label(kg, obj), quote(kg, obj)
            st.source = source_of(kg, obj)
            if st.quote is None and st.source is not None:  # an external citation: the phrase it cites
                st.quote = next((q.object.value for q in kg.store.quads_for_pattern(obj, _PHRASE, None, None)),
                                None)
        elif isinstance(obj, ox.BlankNode):
            st.value_kind = "bnode"
            if depth < 6:
                st.children = _statements(kg, obj, depth + 1)
        elif isinstance(obj, ox.Literal):
            st.datatype, st.language = obj.datatype.value, obj.language
        if not any(s.predicate == st.predicate and s.value == st.value for s in out):
            out.append(st)
    return out


_CLAIM_LINKS = {
    KG + "attributedTo": "made by this agent",
    KG + "aboutAgent": "about this agent",
    KG + "concernsEvent": "about this event",
    KG + "generatedBy": "made in this statement act",
    KG + "appearsIn": "appearing in this document",
    KG + "indicator": "counting this indicator",
    KG + "scopePlace": "about this place",
}


def entity_view(kg: KnowledgeGraph, iri: str, *, max_incoming: int = 200) -> EntityView:
    """Everything the entity page shows; callers check :func:`exists` first (404 otherwise)."""
    node = ox.NamedNode(iri)
    types = sorted({(q.object.value, label(kg, q.object))
                    for q in kg.store.quads_for_pattern(node, _TYPE, None, None)})
    incoming: dict[tuple[str, str], tuple[str, str | None, str, str | None]] = {}
    claims: dict[tuple[str, str], ClaimRow] = {}
    claim_class = ox.NamedNode(KG + "Claim")
    for quad in kg.store.quads_for_pattern(None, None, node, None):
        subject = quad.subject
        if isinstance(subject, (ox.BlankNode, ox.Triple)):
            continue
        key = (subject.value, quad.predicate.value)
        if quad.predicate.value in _CLAIM_LINKS and _is_claim(kg, subject, claim_class):
            claims[key] = claim_row(kg, subject, _CLAIM_LINKS[quad.predicate.value])
        elif len(incoming) < max_incoming:
            incoming[key] = (subject.value, label(kg, subject), quad.predicate.value, label(kg, quad.predicate))
    return EntityView(iri=iri, label=label(kg, node), types=types, statements=_statements(kg, node),
                      incoming=sorted(incoming.values()),
                      claims=sorted(claims.values(), key=lambda c: (c.relation, c.stated, c.claim)))


def _is_claim(kg: KnowledgeGraph, node: ox.NamedNode, claim_class: ox.NamedNode) -> bool:
    """True when ``node`` has a type that is kg:Claim or one of its sub-classes (per the loaded ontology),
    following every parent of every type."""
    quads = kg.store.quads_for_pattern
    return any(isinstance(q.object, ox.NamedNode) and claim_class in closure(quads, q.object, "subClassOf")
               for q in quads(node, _TYPE, None, None))
