"""Dates: the bounds a date value implies, and date expressions of a text resolved against the document's date.

:func:`derive_bounds` is what ``kg fmt`` uses so that a curator writes a date once, in its precision
(``time:inXSDgYearMonth "2023-07"^^xsd:gYearMonth``), and never computes ``kg:earliest``/``kg:latest`` by hand.
It only adds what is missing: existing bounds are the curator's reading (narrower than the value when the text
says more) and are never changed.

:func:`date_expressions` finds "On November 20", "In July", "in March 2023", "last week" and resolves them with
``dateparser`` relative to the document's date, preferring the past (a report of 20 Nov 2023 that says "in
December" means December 2022). dateparser earns its place there: relative expressions, weekdays and the
year inferred from a base date are exactly what it does, with no model or data downloaded at run time.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pyoxigraph as ox

from kg.namespaces import KG, RDF, TIME, XSD

_VALUE_PROPS = {TIME + "inXSDDate": "Day", TIME + "inXSDgYearMonth": "Month", TIME + "inXSDgYear": "Year"}
_LEXICAL = {"Day": re.compile(r"(\d{4})-(\d{2})-(\d{2})"), "Month": re.compile(r"(\d{4})-(\d{2})"),
            "Year": re.compile(r"(\d{4})")}
_XSD_DATE = ox.NamedNode(XSD + "date")


def extent(value: str, precision: str) -> tuple[date, date] | None:
    """The first and last day a value of ``precision`` ("Day", "Month", "Year") covers: "2023-07" -> 1 and 31
    July 2023. None when the lexical form is not a plain one (a time zone, a negative year)."""
    m = _LEXICAL[precision].fullmatch(value)
    if m is None:
        return None
    year = int(m.group(1))
    try:
        if precision == "Day":
            day = date(year, int(m.group(2)), int(m.group(3)))
            return day, day
        if precision == "Month":
            month = int(m.group(2))
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        return date(year, 1, 1), date(year, 12, 31)
    except ValueError:
        return None


def derive_bounds(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """``triples`` plus, for every node with exactly one OWL-Time XSD value (a kg:DateDescription), the
    ``kg:precision``, ``kg:earliest`` and ``kg:latest`` it lacks. Nothing present is changed or removed."""
    out = list(triples)
    props: dict[ox.NamedNode | ox.BlankNode, dict[str, list[ox.Triple]]] = defaultdict(lambda: defaultdict(list))
    for t in out:
        if isinstance(t.subject, ox.NamedNode | ox.BlankNode):
            props[t.subject][t.predicate.value].append(t)
    for node, by in props.items():
        values = [(t.object, _VALUE_PROPS[p]) for p in _VALUE_PROPS for t in by.get(p, [])]
        if len(values) != 1 or not isinstance(values[0][0], ox.Literal):
            continue
        is_date = any(t.object == ox.NamedNode(KG + "DateDescription") for t in by.get(RDF + "type", []))
        if not is_date:
            continue
        literal, precision = values[0]
        bounds = extent(literal.value, precision)
        if bounds is None:
            continue
        if KG + "precision" not in by:
            out.append(ox.Triple(node, ox.NamedNode(KG + "precision"), ox.NamedNode(f"{KG}{precision}Precision")))
        for prop, day in ((KG + "earliest", bounds[0]), (KG + "latest", bounds[1])):
            if prop not in by:
                out.append(ox.Triple(node, ox.NamedNode(prop), ox.Literal(day.isoformat(), datatype=_XSD_DATE)))
    return out


@dataclass(frozen=True)
class DateValue:
    """A date in the precision a text gives it: ``value`` is its lexical form ("2023-11-20", "2023-07",
    "2023"); ``earliest``/``latest`` its bounds (a week is narrower than the month written as its value);
    ``inferred`` says that the year (or the whole date) was worked out from the document's date."""

    value: str
    precision: str
    earliest: date
    latest: date
    inferred: bool
    phrase: str = ""
    start: int = -1
    end: int = -1


def of_document(day: date | str, precision: str = "Day") -> DateValue:
    """The :class:`DateValue` of a document's own date (the fallback stated date of a draft)."""
    value = day.isoformat() if isinstance(day, date) else day
    first, last = extent(value, precision) or (date.min, date.max)
    return DateValue(value, precision, first, last, inferred=True, phrase="the document's date")


_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
          r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?")
_DAY_NAME = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_EXPRESSION = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}"
    rf"(?:,?\s+\d{{4}})?|{_MONTH}(?:\s+(?:of\s+)?\d{{4}})?|(?:last|this|next)\s+(?:week|month|year|{_DAY_NAME})|"
    rf"yesterday|today|(?:on\s+)?{_DAY_NAME}|(?<=[Ii]n\s)\d{{4}})\b")
_PERIODS = {"day": "Day", "month": "Month", "year": "Year", "week": "Week"}


def date_expressions(sentence: str, *, base: date) -> list[DateValue]:
    """Date expressions of ``sentence`` resolved relative to ``base`` (the document's date). "since ..."
    expressions are left out: they begin a period, they do not date a statement."""
    from dateparser.date import DateDataParser  # imported here: only `kg draft` needs it (about 0.1 s)

    parser = DateDataParser(languages=["en"], settings={
        "RELATIVE_BASE": datetime(base.year, base.month, base.day), "PREFER_DATES_FROM": "past"})
    found: list[DateValue] = []
    for m in _EXPRESSION.finditer(sentence):
        phrase = m.group(0)
        if re.search(r"\b(?:since|from)\s+(?:the\s+)?$", sentence[:m.start()], re.IGNORECASE):
            continue
        if phrase in {"May"} and not re.search(r"\b(?:in|on|of|since|by|early|late)\s+$", sentence[:m.start()]):
            continue  # "May" is more often the verb
        data = parser.get_date_data(re.sub(r"^on\s+", "", phrase))
        if data.date_obj is None or data.period not in _PERIODS:
            continue
        when, period = data.date_obj.date(), _PERIODS[data.period]
        explicit_year = bool(re.search(r"\d{4}", phrase))
        if period == "Week":
            first = when - timedelta(days=when.weekday())
            last = first + timedelta(days=6)
            value, precision = (first.strftime("%Y-%m"), "Month") if first.month == last.month else (
                str(first.year), "Year")
            found.append(DateValue(value, precision, first, last, True, phrase, m.start(), m.end()))
            continue
        value = {"Day": when.isoformat(), "Month": when.strftime("%Y-%m"), "Year": str(when.year)}[period]
        bounds = extent(value, period)
        if bounds is None:
            continue
        found.append(DateValue(value, period, bounds[0], bounds[1], not explicit_year, phrase, m.start(), m.end()))
    return found
