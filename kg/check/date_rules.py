"""The ``dates`` rule of ``kg check``: a date marked as stated says no more than its source does.

A kg:DateDescription's bounds (kg:earliest, kg:latest) may be narrower than its value's extent (a report "in
November 2023" that cannot predate a release of 16 November) only when the narrowing is the curator's reading:
then its kg:basis is kg:Inferred or kg:External, never kg:Stated. Bounds wider than the value are already a
SHACL violation; this rule catches the inference passed off as a statement, which SHACL cannot compute (the
last day of a month).
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.namespaces import TIME
from kg.settings import ONTOLOGY_NS

if TYPE_CHECKING:
    from kg.check.workspace import Workspace

KG = ONTOLOGY_NS
_VALUES = {TIME + "inXSDDate": "day", TIME + "inXSDgYearMonth": "month", TIME + "inXSDgYear": "year"}


def extent(value: str, precision: str) -> tuple[date, date] | None:
    """The first and last day a date value denotes (``"2023-07"``, ``"month"`` -> 1 and 31 July 2023); None
    for a value that is not a plain date of that precision (SHACL reports those)."""
    try:
        if precision == "day":
            day = date.fromisoformat(value)
            return day, day
        if precision == "month":
            year, month = (int(p) for p in value.split("-"))
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        year = int(value)
        return date(year, 1, 1), date(year, 12, 31)
    except ValueError:
        return None


def _literal_date(term: object) -> date | None:
    try:
        return date.fromisoformat(term.value) if isinstance(term, ox.Literal) else None
    except ValueError:
        return None


def dates(ws: Workspace) -> None:
    """Stated dates whose bounds are narrower than their value (an inference marked as stated)."""
    basis, stated = ox.NamedNode(KG + "basis"), ox.NamedNode(KG + "Stated")
    seen: set[object] = set()
    for f in ws.checked:
        for node in f.subjects():
            if node in seen or not ws.has(node, basis, stated):
                continue
            seen.add(node)
            for predicate, precision in _VALUES.items():
                for q in ws.quads(node, ox.NamedNode(predicate), None):
                    _check(ws, node, q.object, precision)


def _check(ws: Workspace, node: object, value: object, precision: str) -> None:
    if not isinstance(value, ox.Literal):
        return
    bounds = extent(value.value, precision)
    earliest = _literal_date(next((q.object for q in ws.quads(node, ox.NamedNode(KG + "earliest"), None)), None))
    latest = _literal_date(next((q.object for q in ws.quads(node, ox.NamedNode(KG + "latest"), None)), None))
    if bounds is None or earliest is None or latest is None:
        return
    if (earliest, latest) != bounds and bounds[0] <= earliest <= latest <= bounds[1]:
        ws.add("dates", "error",
               f"the date {value.value} is marked kg:Stated but its bounds {earliest} to {latest} are narrower "
               f"than {bounds[0]} to {bounds[1]}: narrowing it is a reading of the context, so mark it "
               "kg:basis kg:Inferred (with a kg:curatorNote saying how) or kg:External (with kg:basisSource)",
               ws.locate_triple(node, ox.NamedNode(KG + "basis"), ox.NamedNode(KG + "Stated")), focus=node,
               value=value.value)


__all__ = ["dates", "extent"]
