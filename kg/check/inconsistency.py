"""OWL 2 RL inconsistencies of a pyoxigraph store, computed natively (no rdflib, no owlrl).

The closure is :mod:`kg.closure`'s (OWL 2 RL, W3C OWL 2 Profiles §4.3, tables 4-9), with dt-type2 added here. It
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

eq-ref is not materialised; only eq-diff1 needs it (``x owl:differentFrom x``). Literals are what the
store holds: Oxigraph keeps an ``xsd:byte``'s value as an ``xsd:integer`` and writes ``"1.5E0"`` as ``"1.5"``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import total_ordering
from itertools import combinations
from typing import cast

import pyoxigraph as ox

from kg.check.datatypes import DATATYPES, DISJOINT_TYPES, LEXICAL, TYPED, supertypes, valid
from kg.closure import (
    ALL_DIFFERENT,
    ALL_DISJOINT,
    ALL_DISJOINT_PROPS,
    ASSERTION,
    ASYMMETRIC,
    COMPLEMENT,
    DIFFERENT,
    DISJOINT,
    DISTINCT,
    IRREFLEXIVE,
    MEMBERS,
    NOTHING,
    PROP_DISJOINT,
    SAME,
    SOURCE,
    TARGET,
    TARGET_VALUE,
    TYPE,
    Facts,
    Term,
    index_lists,
    saturate,
)


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
    facts, literals = Facts(), set()
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
    index_lists(facts)
    found = set(_report(saturate(facts), literals))
    if nodes is not None:
        wanted = set(nodes)
        found = {i for i in found if i.node in wanted or i.other in wanted}
    return sorted(found)


def _pair(a: Term, b: Term) -> tuple[Term, Term]:
    """Two individuals that play the same part, in a fixed order."""
    return (a, b) if str(a) <= str(b) else (b, a)


def _sorted(*terms: Term) -> tuple[ox.NamedNode, ...]:
    # Classes and properties are IRIs in practice; a blank node (an anonymous class) is kept, not dropped.
    return cast(tuple[ox.NamedNode, ...], tuple(sorted(terms, key=lambda t: t.value)))


def _report(f: Facts, literals: set[ox.Literal]) -> Iterator[Inconsistency]:
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
