"""Filtering and sorting the prepared figures records, by the parameters of the ``/figures`` page.

The records are those of :class:`kg.views.FiguresView` (prepared once per data version); nothing here runs a
query. The place of a figure is not a column of ``kg figures``: :data:`PLACES_QUERY` (run once per data
version by the server) gives the places each claim's events happened in or took children to.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from kg import datetext
from kg.errors import UsageError
from kg.figures import query_text

#: Claim -> place labels: where the events a claim concerns happened (``kg:place``) or took children to
#: (``kg:destination``).
PLACES_QUERY = query_text("figure-places")
FILTERS = ("indicator", "claimant", "place", "year")
SORTS = ("stated", "value", "qualifier", "indicator", "claimant", "reported_by", "as_of", "source")
#: Every parameter ``/figures`` takes; any other is refused (a typo must not silently show everything).
PARAMETERS = (*FILTERS, "sort", "offset", "limit")


@dataclass(frozen=True)
class Selection:
    """What a reader asked of the table: exact filter values (``""`` = any) and a sort key, ``-`` first for
    descending. The default (no filter, by date) is the view's own order."""

    indicator: str = ""
    claimant: str = ""
    place: str = ""
    year: str = ""
    sort: str = "stated"

    @property
    def is_default(self) -> bool:
        return self == Selection()

    def query(self, **changes: str) -> dict[str, str]:
        """The non-default parameters of this selection with ``changes`` applied (for links and forms)."""
        values = {name: getattr(self, name) for name in (*FILTERS, "sort")} | changes
        return {k: v for k, v in values.items() if v and not (k == "sort" and v == "stated")}


def parse(params: Iterable[tuple[str, str]]) -> Selection:
    """The selection of the query parameters ``params`` (``offset`` and ``limit`` are the caller's).

    Raises :class:`UsageError` (400) naming the parameter for an unknown or repeated parameter, an unknown
    sort key or a year that is not four digits."""
    seen: dict[str, str] = {}
    for name, value in params:
        if name not in PARAMETERS:
            raise UsageError(f"unknown parameter {name!r} for /figures; known: {', '.join(PARAMETERS)}")
        if name in seen:
            raise UsageError(f"parameter {name!r} given more than once")
        seen[name] = value.strip()
    sort = seen.get("sort") or "stated"
    if sort.removeprefix("-") not in SORTS:
        raise UsageError(f"unknown sort {sort!r}; sort by one of {', '.join(SORTS)} (a leading - reverses)")
    year = seen.get("year", "")
    if year and not (len(year) == 4 and year.isdigit()):
        raise UsageError(f"year must be four digits, not {year!r}")
    return Selection(**{name: seen.get(name, "") for name in FILTERS}, sort=sort)


def places_of(body: bytes) -> dict[str, list[str]]:
    """Claim IRI -> sorted place labels, from the SPARQL JSON results of :data:`PLACES_QUERY`."""
    out: dict[str, set[str]] = {}
    for binding in json.loads(body)["results"]["bindings"]:
        out.setdefault(binding["claim"]["value"], set()).add(binding["place"]["value"])
    return {claim: sorted(labels) for claim, labels in out.items()}


def claimants(record: Mapping[str, str]) -> list[str]:
    """The claimants of a record (its ``claimant`` column is ``"; "``-joined)."""
    return [c for c in record.get("claimant", "").split("; ") if c]


def _sort_key(name: str) -> Callable[[Mapping[str, str]], tuple[int, float, str]]:
    """Dates by their first day (a month before its days), numbers as numbers; empty values last."""

    def key(record: Mapping[str, str]) -> tuple[int, float, str]:
        value = record.get(name, "")
        if name == "value":
            try:
                return (0, float(value), "")
            except ValueError:
                return (1, 0.0, value)
        if name in ("stated", "as_of"):
            try:
                first, last = datetext.span(value)
                return (0, float(first.toordinal()) + (last - first).days / 1000, value)
            except ValueError:  # undated last
                return (1, 0.0, value)
        return (0 if value else 1, 0.0, value.casefold())
    return key


def select(records: Sequence[Mapping[str, str]], selection: Selection,
           places: Mapping[str, Sequence[str]]) -> list[Mapping[str, str]]:
    """The records matching every filter of ``selection``, in its order (stable: ties keep the view's order).

    A record matches a claimant filter when it is one of its claimants (``"(unattributed)"`` matches records
    naming none), a place filter when the claim's events are in that place, a year when its stated date falls
    in that year."""
    out = []
    for record in records:
        if selection.indicator and record.get("indicator") != selection.indicator:
            continue
        if selection.claimant and selection.claimant not in (claimants(record) or ["(unattributed)"]):
            continue
        if selection.place and selection.place not in places.get(record.get("claim", ""), ()):
            continue
        if selection.year and datetext.year_of(record.get("stated", "")) != selection.year:
            continue
        out.append(record)
    name = selection.sort.removeprefix("-")
    if name != "stated" or selection.sort.startswith("-"):
        out.sort(key=_sort_key(name), reverse=selection.sort.startswith("-"))
    return out


@dataclass(frozen=True)
class Facets:
    """The values each filter can take, for the page's form."""

    indicators: tuple[str, ...]
    claimants: tuple[str, ...]
    places: tuple[str, ...]
    years: tuple[str, ...]


def facets(records: Iterable[Mapping[str, str]], places: Mapping[str, Sequence[str]]) -> Facets:
    """Every indicator, claimant, place and stated year that occurs in ``records``, sorted."""
    indicators: set[str] = set()
    who: set[str] = set()
    where: set[str] = set()
    years: set[str] = set()
    for record in records:
        indicators.add(record.get("indicator", ""))
        who.update(claimants(record) or ["(unattributed)"])
        where.update(places.get(record.get("claim", ""), ()))
        years.add(datetext.year_of(record.get("stated", "")))
    return Facets(*(tuple(sorted(s - {""}, key=str.casefold)) for s in (indicators, who, where, years)))
