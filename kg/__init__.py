"""Knowledge graph of attributed claims about the deportation of Ukrainian children.

The library API: ``load`` / ``dump`` the graph, ``query`` it with SPARQL, list its ``figures``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ua-children-kg")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

from kg.figures import figures
from kg.graph import KnowledgeGraph, dump, load
from kg.query import query

__all__ = ["KnowledgeGraph", "__version__", "dump", "figures", "load", "query"]
