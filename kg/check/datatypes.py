"""XSD datatypes as the OWL 2 RL reasoner (:mod:`kg.check.inconsistency`) sees them: owlrl's tables
(``owlrl.XsdDatatypes``, ``owlrl.AxiomaticTriples``) of subsumptions and disjoint value spaces, and its lexical
rules (``owlrl.DatatypeHandling.AltXSDToPYTHON``), written without rdflib, so the two reasoners agree literal for
literal (``tests/test_inconsistency.py``)."""

from __future__ import annotations

import base64
import datetime
import re
import time
import xml.dom.minidom
from collections.abc import Callable, Iterator
from decimal import Decimal
from itertools import combinations, product
from urllib.parse import urlsplit

from kg.namespaces import RDF, RDFS, XSD

# owlrl's datatype subsumptions as direct parents, child>parent (NMTOKEN under Name is owlrl's, kept for parity).
PARENT = {XSD + a: XSD + b for a, b in re.findall(r"(\w+)>(\w+)", (
    "dateTimeStamp>dateTime integer>decimal long>integer int>long short>int byte>short nonNegativeInteger>integer "
    "positiveInteger>nonNegativeInteger unsignedLong>nonNegativeInteger unsignedInt>unsignedLong "
    "unsignedShort>unsignedInt unsignedByte>unsignedShort nonPositiveInteger>integer "
    "negativeInteger>nonPositiveInteger normalizedString>string token>normalizedString language>token Name>token "
    "NCName>Name NMTOKEN>Name"))}
# owlrl's OWLRL_Datatypes_Disjointness: the primitive value spaces are pairwise disjoint, and disjoint from strings
# and XML literals (xsd:string is a kind of rdf:PlainLiteral, so those two are not).
PRIMITIVE = [XSD + n for n in (
    "anyURI", "base64Binary", "boolean", "dateTime", "decimal", "double", "float", "hexBinary")]
DISJOINT_TYPES = [*combinations(PRIMITIVE, 2), (XSD + "string", RDF + "XMLLiteral"),
                   *product(PRIMITIVE, (XSD + "string", RDF + "PlainLiteral", RDF + "XMLLiteral"))]
PLAIN = {XSD + "string", RDF + "langString"}  # rdflib's plain literals, which owlrl leaves untyped


def supertypes(dt: str) -> Iterator[str]:
    while dt in PARENT:
        yield (dt := PARENT[dt])


def valid(check: Callable[[str], object], lexical: str) -> bool:
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


LEXICAL: dict[str, Callable[[str], object]] = {
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
DATATYPES = {dt for dt in LEXICAL if not dt.startswith(XSD + "g")} | {
    XSD + "string", RDFS + "Literal", RDF + "HTML", RDF + "langString"}
TYPED = DATATYPES - PLAIN
