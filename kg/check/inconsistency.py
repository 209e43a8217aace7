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
cls-maxqc1-4. eq-ref is not materialised; only eq-diff1 needs it (``x owl:differentFrom x``).
"""

from __future__ import annotations

import base64
import datetime
import re
import time
import xml.dom.minidom
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import total_ordering
from itertools import combinations, product
from typing import cast
from urllib.parse import urlsplit

import pyoxigraph as ox

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Triple = tuple[Term, Term, Term]
RDF, RDFS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/2000/01/rdf-schema#"
OWL, XSD = "http://www.w3.org/2002/07/owl#", "http://www.w3.org/2001/XMLSchema#"


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
    # dt-type2 as owlrl does it: strings stay untyped, and the datatype disjointness axioms hold only between
    # datatypes the graph "uses" (those of its literals, their supertypes, those written as a type).
    used = {c.value for c in facts.pos.get(TYPE, {}) if c.value in _DATATYPES}
    for lit in literals:
        if lit.datatype.value in _DATATYPES and lit.datatype.value not in _PLAIN:
            for dt in (lit.datatype.value, *_supertypes(lit.datatype.value)):
                facts.add(lit, TYPE, ox.NamedNode(dt))
                used.add(dt)
    for a, b in _DISJOINT_TYPES:
        if a in used and b in used:
            facts.add(ox.NamedNode(a), DISJOINT, ox.NamedNode(b))
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
        """The members of the RDF list at ``head`` (a cycle ends it)."""
        out: list[Term] = []
        seen: set[Term] = set()
        while head not in seen and (first := self.objects(head, FIRST)):
            seen.add(head)
            out.extend(first)
            head = next(iter(self.objects(head, REST)), head)
        return out

    def restrictions(self, kind: Term) -> list[Triple]:
        """(restriction, property, filler) of every ``kind`` (``owl:someValuesFrom`` ...) restriction."""
        return [(c, p, y) for c, y in self.pairs(kind) for p in self.objects(c, ON_PROP)]


def _transitive(f: _Facts, p: Term) -> Iterator[Triple]:
    """The transitive closure of ``p`` (prp-trp, scm-sco, scm-spo) at once, rather than one step per round."""
    for start in f.spo.get(p, {}):
        todo, seen = list(f.objects(start, p)), set(f.objects(start, p))
        while todo:
            for nxt in f.objects(todo.pop(), p) - seen:
                seen.add(nxt)
                todo.append(nxt)
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
        for a, b in f.pairs(eq):
            yield from ((a, sub, b), (b, sub, a))
    yield from _transitive(f, SUB_CLASS)
    yield from _transitive(f, SUB_PROP)
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
        if (check := _LEXICAL.get(lit.datatype.value)) is not None and not _valid(check, lit.value):
            yield Inconsistency("lexical", lit)


# --- datatypes: owlrl's tables (owlrl.XsdDatatypes, owlrl.AxiomaticTriples) and lexical rules ------------------

# owlrl's datatype subsumptions as direct parents, child>parent (NMTOKEN under Name is owlrl's, kept for parity).
_PARENT = {XSD + a: XSD + b for a, b in re.findall(r"(\w+)>(\w+)", (
    "dateTimeStamp>dateTime integer>decimal long>integer int>long short>int byte>short nonNegativeInteger>integer "
    "positiveInteger>nonNegativeInteger unsignedLong>nonNegativeInteger unsignedInt>unsignedLong "
    "unsignedShort>unsignedInt unsignedByte>unsignedShort nonPositiveInteger>integer "
    "negativeInteger>nonPositiveInteger normalizedString>string token>normalizedString language>token Name>token "
    "NCName>Name NMTOKEN>Name"))}
# owlrl's OWLRL_Datatypes_Disjointness: the primitive value spaces are pairwise disjoint, and disjoint from strings
# and XML literals (xsd:string is a kind of rdf:PlainLiteral, so those two are not).
_PRIMITIVE = [t.value for t in _iris(XSD, "anyURI base64Binary boolean dateTime decimal double float hexBinary")]
_DISJOINT_TYPES = [*combinations(_PRIMITIVE, 2), (XSD + "string", RDF + "XMLLiteral"),
                   *product(_PRIMITIVE, (XSD + "string", RDF + "PlainLiteral", RDF + "XMLLiteral"))]
_PLAIN = {XSD + "string", RDF + "langString"}  # rdflib's plain literals, which owlrl leaves untyped


def _supertypes(dt: str) -> Iterator[str]:
    while dt in _PARENT:
        yield (dt := _PARENT[dt])


def _valid(check: Callable[[str], object], lexical: str) -> bool:
    """Whether ``check`` accepts ``lexical``: it returns a true value, and raises nothing."""
    try:
        return bool(check(lexical))
    except Exception:  # int(), Decimal(), strptime(), minidom ... each raise their own type: all mean "invalid"
        return False


_ZONE = re.compile(r".*[+-][0-9][0-9]:[0-9][0-9]")  # owlrl's: not anchored, and the last 6 characters are cut
_FRACTION = re.compile(r"(.*)\.([0-9]*)")  # owlrl reads the digits after the last dot as microseconds
_LANG, _NMTOKEN, _NCNAME = r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*", r"[\w:_.\-]+", r"[\w_.\-]+"


def _unzone(v: str) -> str:
    return v[:-1] if v.endswith("Z") else v[:-6] if _ZONE.match(v) else v


def _clock(fmt: str, zone_required: bool = False) -> Callable[[str], bool]:
    """owlrl's dateTime, dateTimeStamp, time: strptime, then a datetime (no second 60, at most 6 fraction digits)."""
    def check(v: str) -> bool:
        bare, micro = _unzone(v), 0
        zoned = bare != v
        if m := _FRACTION.match(bare):
            bare, micro = m.group(1), int(m.group(2))
        datetime.datetime(*time.strptime(bare, fmt)[:6], micro)
        return zoned or not zone_required
    return check


def _calendar(before: str, dashes: str, after: str) -> Callable[[str], bool]:
    """The gYear family, completed to a date as owlrl does, but with XSD's leading dashes and time zone."""
    return lambda v: v.startswith(dashes) and bool(time.strptime(f"{before}{_unzone(v)[len(dashes):]}{after}",
                                                                   "%Y-%m-%d"))


def _real(low: str, high: str) -> Callable[[str], bool]:
    # owlrl's range test for double and float, without its rejection of zero and of the special values.
    return lambda v: v in ("INF", "+INF", "-INF", "NaN") or (d := abs(Decimal(v))) == 0 or \
        Decimal(low) < d < Decimal(high)


def _bounded(low: int | None, high: int | None) -> Callable[[str], bool]:
    return lambda v: int(v) is not None and (low is None or low < int(v)) and (high is None or int(v) < high)


_LEXICAL: dict[str, Callable[[str], object]] = {
    **{XSD + n: _bounded(lo, hi) for n, lo, hi in (  # owlrl's bounds, exclusive
        ("integer", None, None), ("byte", -2**7 - 1, 2**7), ("short", -2**15 - 1, 2**15), ("int", -2**31 - 1, 2**31),
        ("long", -2**63 - 1, 2**63), ("unsignedByte", -1, 2**8), ("unsignedShort", -1, 2**16),
        ("unsignedInt", -1, 2**32), ("unsignedLong", -1, 2**64), ("positiveInteger", 0, None),
        ("nonNegativeInteger", -1, None), ("negativeInteger", None, 0), ("nonPositiveInteger", None, 1))},
    XSD + "decimal": lambda v: "e" not in v.lower() and Decimal(v) is not None,
    XSD + "double": _real("1.0E-330", "1.0E+310"),
    XSD + "float": _real("1.0E-50", "1.0E+40"),
    XSD + "boolean": lambda v: v.lower() in ("true", "false", "1", "0"),
    # A relative reference may not start with "?" or ":", nor with a "%" not followed by two hex digits.
    XSD + "anyURI": lambda v: not v or bool(urlsplit(v).scheme) or (
        re.match("%[0-9a-fA-F]{2}", v) is not None if v[0] == "%" else v[0] not in "?:"),
    XSD + "base64Binary": lambda v: not v or (v.replace("=", "x").replace("+", "y").replace("/", "z").isalnum()
                                             and base64.standard_b64decode(v) is not None),
    XSD + "hexBinary": lambda v: not v or int(v, 16) is not None,
    XSD + "dateTime": _clock("%Y-%m-%dT%H:%M:%S"),
    XSD + "dateTimeStamp": _clock("%Y-%m-%dT%H:%M:%S", zone_required=True),
    XSD + "time": _clock("%H:%M:%S"),
    XSD + "date": lambda v: bool(time.strptime(_unzone(v), "%Y-%m-%d")),
    XSD + "gYear": _calendar("", "", "-01-01"),
    XSD + "gYearMonth": _calendar("", "", "-01"),
    XSD + "gMonthDay": _calendar("2008-", "--", ""),
    XSD + "gDay": _calendar("2001-01-", "---", ""),
    XSD + "gMonth": _calendar("2001-", "--", "-01"),
    XSD + "normalizedString": lambda v: not v or re.fullmatch(r"[^\n\t\r]+", v) is not None,
    XSD + "token": lambda v: not v or (re.fullmatch(r"[^\n\t\r]+", v) is not None
                                      and len(" ".join(v.strip().split())) == len(v)),
    XSD + "language": lambda v: re.fullmatch(_LANG, v) is not None,
    XSD + "NMTOKEN": lambda v: re.fullmatch(_NMTOKEN, v) is not None,
    XSD + "Name": lambda v: re.fullmatch(_NMTOKEN, v) is not None and v[0] not in ".-0123456789",
    XSD + "NCName": lambda v: re.fullmatch(_NCNAME, v) is not None and v[0] not in ".-0123456789",
    # "text@lang" or "text@": the language tag, if any, as xsd:language ("." does not cross a line break, as owlrl's)
    RDF + "PlainLiteral": lambda v: (m := re.match(r"(.*)@([^@]*)", v)) is not None and (
        not m.group(2) or re.fullmatch(_LANG, m.group(2)) is not None),
    RDF + "XMLLiteral": lambda v: xml.dom.minidom.parseString(v) is not None,
}
# owlrl's OWL_RL_Datatypes: those it checks (the gYear family aside), and those whose every lexical form is valid.
_DATATYPES = {dt for dt in _LEXICAL if not dt.startswith(XSD + "g")} | {
    XSD + "string", RDFS + "Literal", RDF + "HTML", RDF + "langString"}
