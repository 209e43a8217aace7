"""Sources side by side: every indicator counted by two or more claims, one record per claim.

The query lives in ``kg/queries/compare.rq`` (the endpoint serves the same file); this module runs it, folds the
scope columns into one readable ``scope`` and tells which indicators disagree. The CLI (``kg compare``) and the
server (``/compare``) both build their answer from :func:`records`, so the two never differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kg.figures import query_text
from kg.graph import KnowledgeGraph
from kg.query import SelectResult, query

#: The columns of ``kg compare`` and ``/compare.csv``, in order.
COLUMNS: tuple[str, ...] = (
    "indicator", "claim", "value", "qualifier", "claimant", "source", "stated", "rank", "note", "as_of", "scope",
)
_SCOPE = ("places", "min_age", "max_age", "period_from", "period_to")


def scope_text(row: Mapping[str, str]) -> str:
    """The scope of a claim as people read it: ``"Belarus; ages 6-17; 2022-02-24 to 2023-10-30"``.

    Any part may be missing; an open-ended age range or period is written with ``...``."""
    parts = [row["places"]] if row.get("places") else []
    low, high = row.get("min_age", ""), row.get("max_age", "")
    if low or high:
        parts.append(f"ages {low or '0'}-{high or '...'}")
    start, end = row.get("period_from", ""), row.get("period_to", "")
    if start or end:
        parts.append(f"{start or '...'} to {end or '...'}")
    return "; ".join(parts)


def records(rows: Iterable[Mapping[str, str | None]]) -> list[dict[str, str]]:
    """Records with :data:`COLUMNS` from query rows (variable name -> value, None or absent when unbound)."""
    out = []
    for row in rows:
        plain = {k: ("" if v is None else v) for k, v in row.items()}
        record = {c: plain.get(c, "") for c in COLUMNS if c != "scope"}
        record["scope"] = scope_text(plain)
        out.append(record)
    return out


def comparison(kg: KnowledgeGraph, *, timeout_s: float | None = None) -> list[dict[str, str]]:
    """Every claim on an indicator that two or more claims count, sorted by indicator, stated date, value.

    ``timeout_s`` defaults to the settings' query timeout; every row is returned (no row cap)."""
    result = query(kg, query_text("compare"), max_rows=10**9, timeout_s=timeout_s)
    assert isinstance(result, SelectResult)
    names = result.variables
    return records({n: (None if t is None else t.value) for n, t in zip(names, row, strict=True)}
                   for row in result.rows)


@dataclass(frozen=True)
class Disagreement:
    """An indicator whose claims give different values (deprecated claims left out)."""

    indicator: str
    values: tuple[str, ...]


def disagreements(rows: Iterable[Mapping[str, str]]) -> list[Disagreement]:
    """The indicators of ``rows`` (records of :func:`records`) whose non-deprecated claims give two or more
    values, in the order the indicators first appear. A deprecated claim misstates its own source, so its value
    is not counted as a disagreement: the same rule as the example query ``disagreements.rq``."""
    values: dict[str, list[str]] = {}
    for row in rows:
        if row["rank"] == "deprecated":
            continue
        seen = values.setdefault(row["indicator"], [])
        if row["value"] not in seen:
            seen.append(row["value"])
    return [Disagreement(k, tuple(sorted(v, key=float))) for k, v in values.items() if len(v) > 1]
