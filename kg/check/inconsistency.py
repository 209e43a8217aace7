"""OWL 2 RL inconsistencies of a pyoxigraph store, computed natively (no rdflib, no owlrl).

The closure is the part of the OWL 2 RL rules (W3C OWL 2 Profiles §4.3, tables 4-9) that can lead to an
inconsistency, run to a fixpoint over Python sets of pyoxigraph terms: eq-sym, eq-trans, eq-rep-s/p/o; prp-dom,
prp-rng, prp-fp, prp-ifp, prp-symp, prp-trp, prp-spo1/2, prp-eqp1/2, prp-inv1/2; cax-sco, cax-eqc1/2, cls-int1/2,
cls-uni, cls-svf1/2, cls-avf, cls-hv1/2, cls-oo; the schema rules whose conclusions other rules read (scm-cls,
scm-sco, scm-eqc1, scm-op/dp, scm-spo, scm-eqp1, scm-int, scm-uni, scm-hv, scm-svf1/2, scm-avf1/2); dt-type2. It
reports cax-dw, cax-adc, cls-com, cls-nothing2, eq-diff1/2/3, prp-irp, prp-asyp, prp-pdw, prp-adp, prp-npa1/2 and
dt-not-type.

It matches owlrl, which it replaces, rule for rule (``tests/test_inconsistency.py`` proves it), quirks included: a
string is not an ``xsd:string`` (rdflib reads it as an untyped plain literal), and two datatypes clash only when the
graph "uses" both. The differences are owlrl's bugs or gaps: eq-diff2/3 and prp-adp check every pair of the list
(owlrl's loops skip the last member); cls-com names the individual (owlrl's message names a class instead);
dt-not-type applies owlrl's lexical rules (``owlrl.DatatypeHandling.AltXSDToPYTHON`` over its ``OWL_RL_Datatypes``),
lax ones included (``int()`` accepts ``" 1_000 "``), but accepts the valid forms owlrl rejects (a zero, ``INF`` or
``NaN`` double or float; an empty ``base64Binary``, ``hexBinary`` or ``normalizedString``), reports the literals
owlrl crashes on (a non-numeric ``xsd:decimal``, an empty date or time), and checks the ``xsd:gYear`` family too,
which the project's dates use (owlrl applies its validators for those only under RDFS semantics).

Not implemented, as the project's ontology uses none of them (cardinalities are SHACL's job): prp-key, cls-maxc1/2,
cls-maxqc1-4. eq-ref is not materialised; only eq-diff1 needs it (``x owl:differentFrom x``). Literals are what the
store holds: Oxigraph keeps an ``xsd:byte``'s value as an ``xsd:integer`` and writes ``"1.5E0"`` as ``"1.5"``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import total_ordering
from itertools import combinations, product
from typing import cast

import pyoxigraph as ox

from kg.check.datatypes import DATATYPES, DISJOINT_TYPES, LEXICAL, TYPED, supertypes, valid
from kg.namespaces import OWL, RDF, RDFS

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Triple = tuple[Term, Term, Term]


def _iris(namespace: str, names: str) -> list[ox.NamedNode]:
    return [ox.NamedNode(namespace + name) for name in names.split()]


TYPE, FIRST, REST, PROPERTY = _iris(RDF, "type first rest Property")
SUB_CLASS, SUB_PROP, DOMAIN, RANGE = _iris(RDFS, "subClassOf subPropertyOf domain range")
(THING, NOTHING, CLASS, SAME, DIFFERENT, ALL_DIFFERENT, MEMBERS, DISTINCT, EQ_CLASS, EQ_PROP, DISJOINT, ALL_DISJOINT,
 COMPLEMENT, INVERSE, CHAIN, PROP_DISJOINT, ALL_DISJOINT_PROPS, SOURCE, ASSERTION, TARGET, TARGET_VALUE, ON_PROP,
 SOME, ALL, HAS_VALUE, INTERSECTION, UNION, ONE_OF, FUNCTIONAL, INV_FUNCTIONAL, SYMMETRIC, TRANSITIVE, IRREFLEXIVE,
 ASYMMETRIC, OBJECT_PROP, DATA_PROP) = _iris(OWL, (
    "Thing Nothing Class sameAs differentFrom AllDifferent members distinctMembers equivalentClass equivalentProperty "
    "disjointWith AllDisjointClasses complementOf inverseOf propertyChainAxiom propertyDisjointWith "
    "AllDisjointProperties sourceIndividual assertionProperty targetIndividual targetValue onProperty someValuesFrom "
    "allValuesFrom hasValue intersectionOf unionOf oneOf FunctionalProperty InverseFunctionalProperty "
    "SymmetricProperty TransitiveProperty IrreflexiveProperty AsymmetricProperty ObjectProperty DatatypeProperty"))
_EMPTY: frozenset[Term] = frozenset()


@total_ordering
@dataclass(frozen=True)
class Inconsistency:
    """One violated OWL 2 RL rule. Not ``order=True``: pyoxigraph terms of different kinds (and any two literals)
    do not compare, so instances order by :meth:`sort_key`, the N-Triples text of their fields."""

    kind: str  # "disjoint" | "lexical" | "same-different" | "nothing" | "irreflexive" | "asymmetric"
    #            | "property-disjoint" | "complement" | "negative-assertion"
    node: Term  # the individual concerned (for "lexical": the ill-typed literal itself)
    classes: tuple[ox.NamedNode, ...] = ()  # "disjoint"/"complement": the two classes, sorted by IRI; "nothing"
    properties: tuple[ox.NamedNode, ...] = ()  # property rules: the property(ies) involved
    other: Term | None = None  # the second individual where a rule has one (same-different, property rules)

    def sort_key(self) -> tuple[str, str, tuple[str, ...], tuple[str, ...], str]:
        return (self.kind, str(self.node), tuple(map(str, self.classes)), tuple(map(str, self.properties)),
                "" if self.other is None else str(self.other))

    def __lt__(self, other: object) -> bool:
        return self.sort_key() < other.sort_key() if isinstance(other, Inconsistency) else NotImplemented


def inconsistencies(store: ox.Store, *, nodes: Collection[Term] | None = None) -> list[Inconsistency]:
    """Every inconsistency of the OWL 2 RL closure of ``store``, sorted, no duplicates. Reads every quad of the
    store whatever its graph (the union). ``nodes``: when given, only inconsistencies whose node (or other) is among
    them are returned (the caller checks one addition); the closure is still computed over the whole store."""
    facts, literals = _Facts(), set()
    for q in store.quads_for_pattern(None, None, None, None):
        if not isinstance(q.subject, ox.Triple) and not isinstance(q.object, ox.Triple):  # RDF-star: not OWL
            facts.add(q.subject, q.predicate, q.object)
            if isinstance(q.object, ox.Literal):
                literals.add(q.object)
    # dt-type2 as owlrl does it: strings stay untyped; the members of a datatype (its literals, and the nodes written
    # as its instances) are members of its supertypes; the datatype disjointness axioms hold only between datatypes
    # the graph so "uses".
    typed = [(s, dt) for dt, nodes in facts.pos.get(TYPE, {}).items() if dt.value in DATATYPES for s in nodes]
    typed += [(lit, lit.datatype) for lit in literals if lit.datatype.value in TYPED]
    used = set()
    for node, datatype in typed:
        for dt in (datatype.value, *supertypes(datatype.value)):
            facts.add(node, TYPE, ox.NamedNode(dt))
            used.add(dt)
    for a, b in DISJOINT_TYPES:
        if a in used and b in used:
            facts.add(ox.NamedNode(a), DISJOINT, ox.NamedNode(b))
    facts.lists = {cell: (min(first, key=str), min(facts.objects(cell, REST) or {cell}, key=str))
                   for cell, first in facts.spo.get(FIRST, {}).items()}  # min: one value, whichever order they came in
    while True:  # naive rounds to the fixpoint; a rule's conclusions are added once it has read the facts
        size = facts.size
        for rule in (_equality, _schema, _properties, _classes):
            for t in list(rule(facts)):
                facts.add(*t)
        if facts.size == size:
            break
    found = set(_report(facts, literals))
    if nodes is not None:
        wanted = set(nodes)
        found = {i for i in found if i.node in wanted or i.other in wanted}
    return sorted(found)


class _Facts:
    """The closure so far: (generalised) triples indexed by predicate, then by subject (spo) or object (pos)."""

    def __init__(self) -> None:
        self.spo: defaultdict[Term, defaultdict[Term, set[Term]]] = defaultdict(lambda: defaultdict(set))
        self.pos: defaultdict[Term, defaultdict[Term, set[Term]]] = defaultdict(lambda: defaultdict(set))
        self.size = 0
        self.lists: dict[Term, tuple[Term, Term]] = {}  # list cell -> (rdf:first, rdf:rest), as written

    def add(self, s: Term, p: Term, o: Term) -> None:
        if o not in (objects := self.spo[p][s]):
            objects.add(o)
            self.pos[p][o].add(s)
            self.size += 1

    def objects(self, s: Term, p: Term) -> set[Term] | frozenset[Term]:
        return self.spo[p].get(s, _EMPTY) if p in self.spo else _EMPTY

    def subjects(self, p: Term, o: Term) -> set[Term] | frozenset[Term]:
        return self.pos[p].get(o, _EMPTY) if p in self.pos else _EMPTY

    def pairs(self, p: Term) -> Iterator[tuple[Term, Term]]:
        return ((s, o) for s, objects in self.spo.get(p, {}).items() for o in objects)

    def items(self, head: Term) -> list[Term]:
        """The members of the RDF list at ``head`` as written (a cycle ends it). eq-rep can give a cell more than one
        rdf:first (an owl:sameAs between classes); the written one is read, as owlrl (rdflib's Graph.items) does."""
        out: list[Term] = []
        seen: set[Term] = set()
        while head not in seen and head in self.lists:
            seen.add(head)
            out.append(self.lists[head][0])
            head = self.lists[head][1]
        return out

    def restrictions(self, kind: Term) -> list[Triple]:
        """(restriction, property, filler) of every ``kind`` (``owl:someValuesFrom`` ...) restriction."""
        return [(c, p, y) for c, y in self.pairs(kind) for p in self.objects(c, ON_PROP)]


def _transitive(f: _Facts, p: Term, reflexive: bool = True) -> Iterator[Triple]:
    """The transitive closure of ``p`` (prp-trp, scm-sco, scm-spo) at once, rather than one step per round; a cycle
    makes a node reach itself unless not ``reflexive`` (owlrl's scm-sco and scm-spo skip that conclusion)."""
    for start in f.spo.get(p, {}):
        todo, seen = list(f.objects(start, p)), set(f.objects(start, p))
        while todo:
            for nxt in f.objects(todo.pop(), p) - seen:
                seen.add(nxt)
                todo.append(nxt)
                if reflexive or nxt != start:
                    yield start, p, nxt


def _equality(f: _Facts) -> Iterator[Triple]:
    """eq-sym and eq-trans (the connected parts of owl:sameAs), eq-rep-s/p/o (every triple copied across them)."""
    same: dict[Term, frozenset[Term]] = {}
    for a, b in f.pairs(SAME):
        part = same.get(a, frozenset((a,))) | same.get(b, frozenset((b,)))
        same.update(dict.fromkeys(part, part))
    same = {x: part for x, part in same.items() if len(part) > 1}  # a node asserted the same as itself only
    yield from ((a, SAME, b) for a, part in same.items() for b in part if a != b)
    if same:  # eq-rep-s/p/o
        for p, by_s in f.spo.items():
            for s, objects in by_s.items():
                for o in objects:
                    if s in same or p in same or o in same:
                        yield from product(same.get(s, (s,)), same.get(p, (p,)), same.get(o, (o,)))


def _schema(f: _Facts) -> Iterator[Triple]:
    """scm-cls (and cls-thing, cls-nothing1), scm-op/dp, scm-eqc1, scm-eqp1, scm-sco, scm-spo, scm-int, scm-uni,
    scm-hv, scm-svf1/2, scm-avf1/2: the subclass triples that scm-svf/avf read, a class or property being its own
    subclass or sub-property."""
    for c in {*f.subjects(TYPE, CLASS), THING, NOTHING}:
        yield from ((c, SUB_CLASS, c), (c, SUB_CLASS, THING), (NOTHING, SUB_CLASS, c))
    for kind in (OBJECT_PROP, DATA_PROP, PROPERTY):  # owlrl adds rdf:Property
        yield from ((p, SUB_PROP, p) for p in f.subjects(TYPE, kind))
    for eq, sub in ((EQ_CLASS, SUB_CLASS), (EQ_PROP, SUB_PROP)):
        yield from (t for a, b in f.pairs(eq) if a != b for t in ((a, sub, b), (b, sub, a)))
    yield from _transitive(f, SUB_CLASS, reflexive=False)
    yield from _transitive(f, SUB_PROP, reflexive=False)
    for c, head in f.pairs(INTERSECTION):  # scm-int (what scm-svf1/avf1 read of it is the subclass triple)
        yield from ((c, SUB_CLASS, part) for part in f.items(head))
    for c, head in f.pairs(UNION):  # scm-uni
        yield from ((part, SUB_CLASS, c) for part in f.items(head))
    for kind in (SOME, ALL, HAS_VALUE):  # HAS_VALUE: scm-hv, the same test as scm-svf2's
        rs = f.restrictions(kind)
        for (c1, p1, y1), (c2, p2, y2) in product(rs, rs):
            if p1 == p2 and kind != HAS_VALUE and y2 in f.objects(y1, SUB_CLASS):  # scm-svf1, scm-avf1
                yield c1, SUB_CLASS, c2
            if y1 == y2 and p2 in f.objects(p1, SUB_PROP):  # scm-svf2; scm-avf2 concludes the other way round
                yield (c2, SUB_CLASS, c1) if kind == ALL else (c1, SUB_CLASS, c2)


def _properties(f: _Facts) -> Iterator[Triple]:
    """prp-dom, prp-rng, prp-fp, prp-ifp, prp-symp, prp-trp, prp-spo1 (so prp-eqp1/2), prp-spo2, prp-inv1/2."""
    for axiom, index in ((DOMAIN, f.spo), (RANGE, f.pos)):
        for p, c in f.pairs(axiom):
            yield from ((x, TYPE, c) for x in index.get(p, {}))
    for kind, index in ((FUNCTIONAL, f.spo), (INV_FUNCTIONAL, f.pos)):
        for p in f.subjects(TYPE, kind):
            for values in index.get(p, {}).values():
                yield from ((a, SAME, b) for a, b in product(values, values) if a != b)
    for p in f.subjects(TYPE, SYMMETRIC):
        yield from ((o, p, s) for s, o in f.pairs(p))
    for p in f.subjects(TYPE, TRANSITIVE):
        yield from _transitive(f, p)
    for p1, p2 in f.pairs(SUB_PROP):
        if p1 != p2:
            yield from ((s, p2, o) for s, o in f.pairs(p1))
    for p1, p2 in f.pairs(INVERSE):
        yield from ((o, p2, s) for s, o in f.pairs(p1))
        yield from ((o, p1, s) for s, o in f.pairs(p2))
    for p, head in f.pairs(CHAIN):
        if chain := f.items(head):
            ends = set(f.pairs(chain[0]))
            for step in chain[1:]:
                ends = {(u, w) for u, v in ends for w in f.objects(v, step)}
            yield from ((u, p, w) for u, w in ends)


def _classes(f: _Facts) -> Iterator[Triple]:
    """cax-sco (so cax-eqc1/2), cls-int1/2, cls-uni, cls-svf1/2, cls-avf, cls-hv1/2, cls-oo."""
    for c1, c2 in f.pairs(SUB_CLASS):
        if c1 != c2:
            yield from ((x, TYPE, c2) for x in f.subjects(TYPE, c1))
    for c, head in f.pairs(INTERSECTION):
        if parts := f.items(head):
            yield from ((y, TYPE, c) for y in f.subjects(TYPE, parts[0])
                        if all(y in f.subjects(TYPE, part) for part in parts[1:]))
        yield from ((y, TYPE, part) for y in f.subjects(TYPE, c) for part in parts)
    for c, head in f.pairs(UNION):
        yield from ((y, TYPE, c) for part in f.items(head) for y in f.subjects(TYPE, part))
    for c, p, y in f.restrictions(SOME):
        yield from ((u, TYPE, c) for u, v in f.pairs(p) if y == THING or y in f.objects(v, TYPE))
    for c, p, y in f.restrictions(ALL):
        yield from ((v, TYPE, y) for u in f.subjects(TYPE, c) for v in f.objects(u, p))
    for c, p, y in f.restrictions(HAS_VALUE):
        yield from ((u, p, y) for u in f.subjects(TYPE, c))
        yield from ((u, TYPE, c) for u in f.subjects(p, y))
    for c, head in f.pairs(ONE_OF):
        yield from ((y, TYPE, c) for y in f.items(head))


def _pair(a: Term, b: Term) -> tuple[Term, Term]:
    """Two individuals that play the same part, in a fixed order."""
    return (a, b) if str(a) <= str(b) else (b, a)


def _sorted(*terms: Term) -> tuple[ox.NamedNode, ...]:
    # Classes and properties are IRIs in practice; a blank node (an anonymous class) is kept, not dropped.
    return cast(tuple[ox.NamedNode, ...], tuple(sorted(terms, key=lambda t: t.value)))


def _report(f: _Facts, literals: set[ox.Literal]) -> Iterator[Inconsistency]:
    """The inconsistency rules, over the closure."""
    def members(c: Term) -> set[Term] | frozenset[Term]:
        return f.subjects(TYPE, c)

    def listed(kind: Term) -> list[tuple[Term, Term]]:  # cax-adc, prp-adp: the pairs of each owl:members list
        return [ab for x in members(kind) for head in f.objects(x, MEMBERS) for ab in combinations(f.items(head), 2)]

    for c1, c2 in [*f.pairs(DISJOINT), *listed(ALL_DISJOINT)]:  # cax-dw, cax-adc
        yield from (Inconsistency("disjoint", x, _sorted(c1, c2)) for x in members(c1) & members(c2))
    for c1, c2 in f.pairs(COMPLEMENT):  # cls-com
        yield from (Inconsistency("complement", x, _sorted(c1, c2)) for x in members(c1) & members(c2))
    yield from (Inconsistency("nothing", x, (NOTHING,)) for x in members(NOTHING))  # cls-nothing2
    same_different = [(x, y) for x, y in f.pairs(DIFFERENT) if x == y or y in f.objects(x, SAME)]  # eq-diff1
    for x in members(ALL_DIFFERENT):  # eq-diff2/3 (a member listed twice is a slip, as owlrl reads it)
        for head in (*f.objects(x, MEMBERS), *f.objects(x, DISTINCT)):
            same_different += [(a, b) for a, b in combinations(f.items(head), 2) if a != b and b in f.objects(a, SAME)]
    for a, b in (_pair(x, y) for x, y in same_different):
        yield Inconsistency("same-different", a, other=b)
    for p in members(IRREFLEXIVE):  # prp-irp
        yield from (Inconsistency("irreflexive", x, properties=_sorted(p)) for x, y in f.pairs(p) if x == y)
    for p in members(ASYMMETRIC):  # prp-asyp
        for a, b in {_pair(x, y) for x, y in f.pairs(p) if x in f.objects(y, p)}:
            yield Inconsistency("asymmetric", a, properties=_sorted(p), other=b)
    for p1, p2 in [*f.pairs(PROP_DISJOINT), *listed(ALL_DISJOINT_PROPS)]:  # prp-pdw, prp-adp
        yield from (Inconsistency("property-disjoint", x, properties=_sorted(p1, p2), other=y)
                    for x, y in f.pairs(p1) if y in f.objects(x, p2))
    for x, i1 in f.pairs(SOURCE):  # prp-npa1, prp-npa2
        for p in f.objects(x, ASSERTION):
            yield from (Inconsistency("negative-assertion", i1, properties=_sorted(p), other=i2)
                        for i2 in f.objects(x, TARGET) | f.objects(x, TARGET_VALUE) if i2 in f.objects(i1, p))
    for lit in literals:  # dt-not-type
        if (check := LEXICAL.get(lit.datatype.value)) is not None and not valid(check, lit.value):
            yield Inconsistency("lexical", lit)
