"""Knowledge graph of attributed claims about the deportation of Ukrainian children.

The library API: ``load`` / ``dump`` the graph, ``query`` it with SPARQL, list its ``figures``, ``check`` Turtle
files against the ontology, shapes and sources, and ``create_app`` for the web shell; ``Settings`` holds every
tunable and ``KgError`` is the base of every deliberate error.

``check`` and ``create_app`` (and ``__version__``) are imported on first use (PEP 562): the checker's engines
and the web framework cost hundreds of milliseconds to import, which `kg figures` and `kg query` never need.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from kg.errors import KgError
from kg.figures import figures
from kg.graph import KnowledgeGraph, dump, load
from kg.query import query
from kg.settings import Settings

__all__ = ["KgError", "KnowledgeGraph", "Settings", "__version__", "check", "create_app", "dump", "figures",
           "load", "query"]

_LAZY = {"check": "kg.check.runner", "create_app": "kg.web.app"}


def __getattr__(name: str) -> Any:
    """The lazily imported names; ``__version__`` is read from the package metadata (importlib.metadata costs
    about 20 ms, more than paging a prepared view, and most commands never print the version)."""
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
    elif name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("ua-children-kg")
        except PackageNotFoundError:  # running from a source tree that was never installed
            value = "0.0.0"
    else:
        raise AttributeError(f"module 'kg' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value
