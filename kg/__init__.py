"""Knowledge graph of attributed claims about the deportation of Ukrainian children.

The library API: ``load`` / ``dump`` the graph, ``query`` it with SPARQL, list its ``figures``.
"""

from __future__ import annotations

from typing import Any

from kg.figures import figures
from kg.graph import KnowledgeGraph, dump, load
from kg.query import query

__all__ = ["KnowledgeGraph", "__version__", "dump", "figures", "load", "query"]


def __getattr__(name: str) -> Any:
    """``__version__`` is read from the package metadata on first use (PEP 562): importlib.metadata costs
    about 20 ms, more than paging a prepared view, and most commands never print the version."""
    if name != "__version__":
        raise AttributeError(f"module 'kg' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("ua-children-kg")
    except PackageNotFoundError:  # running from a source tree that was never installed
        value = "0.0.0"
    globals()["__version__"] = value  # later lookups skip this function
    return value
