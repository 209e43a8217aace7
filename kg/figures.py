"""The headline view: every quantity claim with its qualifier, claimant, dates and quote.

The query lives in ``kg/queries/figures.rq`` (the endpoint serves the same file); this module runs it and
turns the rows into plain records whose keys are :data:`COLUMNS`.
"""

from __future__ import annotations

from pathlib import Path

from kg.graph import KnowledgeGraph
from kg.query import SelectResult, query

QUERIES = Path(__file__).parent / "queries"

#: The CSV header of ``kg figures``, in order.
COLUMNS: tuple[str, ...] = (
    "claim", "value", "qualifier", "indicator", "claimant", "reported_by",
    "stated", "stated_basis", "as_of", "source", "quote",
)


def query_text(name: str = "figures") -> str:
    """The text of a bundled query, ``kg/queries/<name>.rq``."""
    # next to this module in every install (a wheel or a checkout); importlib.resources would cost 7 ms of imports
    return (QUERIES / f"{name}.rq").read_text(encoding="utf-8")


def figures(kg: KnowledgeGraph, *, max_rows: int | None = None, timeout_s: float | None = None
            ) -> list[dict[str, str]]:
    """One record per quantity claim, sorted by the earliest bound of the stated date, then by value.

    Every value is a string; a missing value (no claimant, no as-of date) is ``""``. ``timeout_s`` defaults to
    the settings' query timeout.
    """
    result = query(kg, query_text("figures"), max_rows=max_rows if max_rows is not None else 10**9,
                   timeout_s=timeout_s)
    assert isinstance(result, SelectResult)
    index = {name: i for i, name in enumerate(result.variables)}
    records = []
    for row in result.rows:
        records.append({c: ("" if row[index[c]] is None else row[index[c]].value) for c in COLUMNS})
    return records
