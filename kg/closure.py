"""The OWL 2 RL closure of a set of triples, computed natively over Python sets of pyoxigraph terms (no rdflib,
no owlrl): the rules of W3C OWL 2 Profiles §4.3 (tables 4-9) that conclude triples, run in naive rounds to a
fixpoint. Two users read it: ``kg check``'s consistency rule (:mod:`kg.check.inconsistency`, which adds the
datatype rules and reports the inconsistency rules over it) and the inferred graph (:mod:`kg.reasoning`, engine
``native``, which keeps what the closure adds to the asserted triples).

Rules: eq-sym, eq-trans, eq-rep-s/p/o; prp-dom, prp-rng, prp-fp, prp-ifp, prp-symp, prp-trp, prp-spo1/2,
prp-eqp1/2, prp-inv1/2; cax-sco, cax-eqc1/2, cls-int1/2, cls-uni, cls-svf1/2, cls-avf, cls-hv1/2, cls-oo; scm-cls,
scm-sco, scm-eqc1, scm-op/dp, scm-spo, scm-eqp1, scm-dom1/2, scm-rng1/2, scm-int, scm-uni, scm-hv, scm-svf1/2,
scm-avf1/2. Not implemented, as the project's ontology uses none of them (cardinalities are SHACL's job): prp-key,
cls-maxc1/2, cls-maxqc1-4. eq-ref (every term the same as itself) is not materialised: it answers no question.
``tests/test_inconsistency.py`` and ``tests/test_reasoning.py`` prove it agrees with owlrl.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import product

import pyoxigraph as ox

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


class Facts:
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


def _transitive(f: Facts, p: Term, reflexive: bool = True) -> Iterator[Triple]:
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


def _equality(f: Facts) -> Iterator[Triple]:
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


def _schema(f: Facts) -> Iterator[Triple]:
    """scm-cls (and cls-thing, cls-nothing1), scm-op/dp, scm-eqc1, scm-eqp1, scm-sco, scm-spo, scm-dom1/2,
    scm-rng1/2, scm-int, scm-uni, scm-hv, scm-svf1/2, scm-avf1/2: the subclass triples that scm-svf/avf read, a class
    or property being its own subclass or sub-property."""
    for c in {*f.subjects(TYPE, CLASS), THING, NOTHING}:
        yield from ((c, SUB_CLASS, c), (c, SUB_CLASS, THING), (NOTHING, SUB_CLASS, c))
    for kind in (OBJECT_PROP, DATA_PROP, PROPERTY):  # owlrl adds rdf:Property
        yield from ((p, SUB_PROP, p) for p in f.subjects(TYPE, kind))
    for eq, sub in ((EQ_CLASS, SUB_CLASS), (EQ_PROP, SUB_PROP)):
        yield from (t for a, b in f.pairs(eq) if a != b for t in ((a, sub, b), (b, sub, a)))
    yield from _transitive(f, SUB_CLASS, reflexive=False)
    yield from _transitive(f, SUB_PROP, reflexive=False)
    for axiom in (DOMAIN, RANGE):  # scm-dom1/rng1 up the class hierarchy, scm-dom2/rng2 down the property one
        for p, c in f.pairs(axiom):
            yield from ((p, axiom, d) for d in f.objects(c, SUB_CLASS))
            yield from ((q, axiom, c) for q in f.subjects(SUB_PROP, p))
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


def _properties(f: Facts) -> Iterator[Triple]:
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


def _classes(f: Facts) -> Iterator[Triple]:
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


def _rdfs(f: Facts) -> Iterator[Triple]:
    """The RDFS entailment rules whose conclusions answer questions (RDF 1.1 Semantics §9.2.1): rdfs2, rdfs3
    (domain, range), rdfs5, rdfs7 (sub-properties), rdfs9, rdfs11 (subclasses). The others conclude that every
    node is an rdfs:Resource, or that a class or property is its own subclass or sub-property."""
    yield from _transitive(f, SUB_CLASS, reflexive=False)
    yield from _transitive(f, SUB_PROP, reflexive=False)
    for axiom, index in ((DOMAIN, f.spo), (RANGE, f.pos)):
        for p, c in f.pairs(axiom):
            yield from ((x, TYPE, c) for x in index.get(p, {}))
    for p1, p2 in f.pairs(SUB_PROP):
        if p1 != p2:
            yield from ((s, p2, o) for s, o in f.pairs(p1))
    for c1, c2 in f.pairs(SUB_CLASS):
        if c1 != c2:
            yield from ((x, TYPE, c2) for x in f.subjects(TYPE, c1))


#: The rules of each profile, in the order a round runs them.
PROFILES = {"owlrl": (_equality, _schema, _properties, _classes), "rdfs": (_rdfs,)}


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: the facts are millions of sets and dicts that hold no cycles, and
    each collection would walk them all (a third of the time at 10k claims, measured); restored afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def saturate(facts: Facts, profile: str = "owlrl") -> Facts:
    """``facts`` grown to the fixpoint of the rules of ``profile`` (a key of :data:`PROFILES`) in naive rounds (a
    rule's conclusions are added once it has read the facts of its round); returns ``facts``."""
    with paused_gc():
        while True:
            size = facts.size
            for rule in PROFILES[profile]:
                for t in list(rule(facts)):
                    facts.add(*t)
            if facts.size == size:
                return facts


def read(triples: Iterable[ox.Triple | ox.Quad]) -> Facts:
    """The facts of ``triples`` (quads are read as their triple: the closure is over the union of the graphs),
    their lists indexed; RDF-star triples are left out (not OWL)."""
    facts = Facts()
    with paused_gc():
        for t in triples:
            if not isinstance(t.subject, ox.Triple) and not isinstance(t.object, ox.Triple):
                facts.add(t.subject, t.predicate, t.object)
    index_lists(facts)
    return facts


def index_lists(facts: Facts) -> None:
    """Index the RDF lists of ``facts`` (cell -> first, rest) as written, before any rule runs."""
    facts.lists = {cell: (min(first, key=str), min(facts.objects(cell, REST) or {cell}, key=str))
                   for cell, first in facts.spo.get(FIRST, {}).items()}  # min: one value, whichever order they came in
