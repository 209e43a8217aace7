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


_DATE_VALUES = tuple(ox.NamedNode(TIME + p) for p in ("inXSDDate", "inXSDgYearMonth", "inXSDgYear"))
_GENERATED_BY, _DATE = ox.NamedNode(KG + "generatedBy"), ox.NamedNode(KG + "date")


def _date_value(kg: KnowledgeGraph, date: ox.Term | None) -> str:
    """The lexical value of a kg:date node (a day, a month or a year), or ``""``."""
    if isinstance(date, (ox.NamedNode, ox.BlankNode)):
        for prop in _DATE_VALUES:
            for quad in kg.store.quads_for_pattern(date, prop, None, None):
                return quad.object.value
    return ""


def _stated(kg: KnowledgeGraph, claim: ox.NamedNode) -> str:
    """The date ``claim`` was stated (its statement act's), or ``""``: the order of an entity page's claims,
    computed for every claim linked to the entity, hence direct lookups rather than :func:`_one`."""
    for act in kg.store.quads_for_pattern(claim, _GENERATED_BY, None, None):
        if isinstance(act.object, (ox.NamedNode, ox.BlankNode)):
            for date in kg.store.quads_for_pattern(act.object, _DATE, None, None):
                return _date_value(kg, date.object)
    return ""


def claim_row(kg: KnowledgeGraph, claim: ox.NamedNode, relation: str) -> ClaimRow:
    """The :class:`ClaimRow` of ``claim``; a part the graph does not give is ``""``."""
    value = _one(kg, claim, "value")
    qualifier = _one(kg, claim, "qualifier")
    notation = _one(kg, qualifier, SKOS + "notation") if isinstance(qualifier, ox.NamedNode) else None
    date = _one(kg, claim, "generatedBy", "date")
    stated = _date_value(kg, date)
    basis = _one(kg, date, "basis", SKOS + "notation") if isinstance(date, (ox.NamedNode, ox.BlankNode)) else None
    source = _one(kg, claim, "appearsIn")
    return ClaimRow(claim.value, label(kg, claim), relation, value.value if value else "",
                    notation.value if notation else "", stated,
                    basis.value if basis else "", source.value if isinstance(source, ox.NamedNode) else "",
                    label(kg, source) if isinstance(source, ox.NamedNode) else None)


#: How many claims, links from other entities and values of one property an entity page shows at once. An
#: event or an indicator is the object of thousands of claims: a page of bounded size is one of bounded cost.
PAGE_SIZE = 50
#: How many links to an entity a page reads at most: counting every rdf:type link to kg:Claim would cost as much
#: as a scan of the graph. Past it the page says its totals are lower bounds and offers the SPARQL query.
SCAN_LIMIT = 5_000


@dataclass
class EntityView:
    """One page of an entity: its own statements, page ``page`` of the claims linked to it and of the other
    links to it (:data:`PAGE_SIZE` each), and the totals the pager needs."""

    iri: str
    label: str | None
    types: list[tuple[str, str | None]]
    statements: list[Statement]
    incoming: list[tuple[str, str | None, str, str | None]]  # (subject, subject label, predicate, its label)
    claims: list[ClaimRow]  # made by, about, appearing in ... this entity
    page: int = 1
    claims_total: int = 0
    incoming_total: int = 0
    statements_omitted: int = 0  # values past the first PAGE_SIZE of a property (the RDF forms have them all)
    scan_complete: bool = True  # False when more than SCAN_LIMIT links point here: the totals are lower bounds

    @property
    def pages(self) -> int:
        """How many pages the longer of the two lists fills (at least one)."""
        return max(1, -(-max(self.claims_total, self.incoming_total) // PAGE_SIZE))


def _statements(kg: KnowledgeGraph, node: ox.NamedNode | ox.BlankNode, depth: int = 0) -> tuple[list[Statement],
                                                                                                  int]:
    """The statements of ``node`` ordered by predicate and value, at most :data:`PAGE_SIZE` values per predicate
    (blank nodes followed 6 deep), and how many values were left out."""
    out: list[Statement] = []
    seen: set[tuple[str, str]] = set()
    per_predicate: dict[str, int] = {}
    omitted = 0
    for quad in sorted(kg.store.quads_for_pattern(node, None, None, None), key=lambda q: (q.predicate.value,
                                                                                       str(q.object))):
        obj = quad.object
        value = obj.value if not isinstance(obj, ox.Triple) else str(obj)
        if (quad.predicate.value, value) in seen:  # the same triple in two graphs (a file and the inferred one)
            continue
        seen.add((quad.predicate.value, value))
        if per_predicate.setdefault(quad.predicate.value, 0) >= PAGE_SIZE:
            omitted += 1
            continue
        per_predicate[quad.predicate.value] += 1
        st = Statement(predicate=quad.predicate.value, predicate_label=label(kg, quad.predicate), value=value,
                       value_kind="literal")
        if isinstance(obj, ox.NamedNode):
            st.value_kind, st.value_label, st.quote = "iri", label(kg, obj), quote(kg, obj)
            st.source = source_of(kg, obj)
            if st.quote is None and st.source is not None:  # an external citation: the phrase it cites
                st.quote = next((q.object.value for q in kg.store.quads_for_pattern(obj, _PHRASE, None, None)),
                                None)
        elif isinstance(obj, ox.BlankNode):
            st.value_kind = "bnode"
            if depth < 6:
                st.children, _ = _statements(kg, obj, depth + 1)
        elif isinstance(obj, ox.Literal):
            st.datatype, st.language = obj.datatype.value, obj.language
        out.append(st)
    return out, omitted


_CLAIM_LINKS = {
    KG + "attributedTo": "made by this agent",
    KG + "aboutAgent": "about this agent",
    KG + "concernsEvent": "about this event",
    KG + "generatedBy": "made in this statement act",
    KG + "appearsIn": "appearing in this document",
    KG + "indicator": "counting this indicator",
    KG + "scopePlace": "about this place",
}


def entity_view(kg: KnowledgeGraph, iri: str, *, page: int = 1) -> EntityView:
    """Page ``page`` (from 1) of what the entity page shows; callers check :func:`exists` first (404 otherwise).

    Claims are ordered by their relation to the entity, then by the date they were stated; other links by
    subject and predicate. A claim is listed once per relation and not again among the other links (its
    ``prov:wasAttributedTo``, inferred from ``kg:attributedTo``, says nothing more). Only the rows of the page
    get labels, values and dates (the sort needs the date of each claim, a few lookups), and at most
    :data:`SCAN_LIMIT` links are read, so the cost is bounded whatever points at the entity.
    """
    node = ox.NamedNode(iri)
    types = sorted({(q.object.value, label(kg, q.object))
                    for q in kg.store.quads_for_pattern(node, _TYPE, None, None)})
    claim_classes = closure(kg.store.quads_for_pattern, ox.NamedNode(KG + "Claim"), "subClassOf", down=True)
    claim_keys: set[tuple[str, str]] = set()  # (relation, claim)
    links: set[tuple[str, str]] = set()  # (subject, predicate)
    scanned = 0
    for quad in kg.store.quads_for_pattern(None, None, node, None):
        scanned += 1
        if scanned > SCAN_LIMIT:
            break
        subject = quad.subject
        if not isinstance(subject, ox.NamedNode):
            continue
        relation = _CLAIM_LINKS.get(quad.predicate.value)
        if relation is not None and _is_claim(kg, subject, claim_classes):
            claim_keys.add((relation, subject.value))
        else:
            links.add((subject.value, quad.predicate.value))
    claimed = {claim for _, claim in claim_keys}
    links = {link for link in links if link[0] not in claimed}
    first = (page - 1) * PAGE_SIZE
    ordered = sorted(claim_keys, key=lambda k: (k[0], _stated(kg, ox.NamedNode(k[1])), k[1]))
    claims = [claim_row(kg, ox.NamedNode(claim), relation) for relation, claim in ordered[first:first + PAGE_SIZE]]
    incoming = [(s, label(kg, ox.NamedNode(s)), p, label(kg, ox.NamedNode(p)))
                for s, p in sorted(links)[first:first + PAGE_SIZE]]
    statements, omitted = _statements(kg, node)
    return EntityView(iri=iri, label=label(kg, node), types=types, statements=statements, incoming=incoming,
                      claims=claims, page=page, claims_total=len(claim_keys), incoming_total=len(links),
                      statements_omitted=omitted, scan_complete=scanned <= SCAN_LIMIT)


def _is_claim(kg: KnowledgeGraph, node: ox.NamedNode, claim_classes: set[ox.NamedNode]) -> bool:
    """True when ``node`` has a type among ``claim_classes`` (kg:Claim and its sub-classes, per the loaded
    ontology)."""
    return any(q.object in claim_classes for q in kg.store.quads_for_pattern(node, _TYPE, None, None))
