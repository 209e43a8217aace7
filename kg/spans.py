"""Text spans: locate a quote in a seed text and write the Web Annotation selectors for it.

Offsets count Unicode code points from 0, end exclusive, the same unit as SPARQL's ``SUBSTR`` (1-based) and
Python's string slicing, so the shapes and the tests check spans exactly as they are written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputError, UsageError
from kg.graph import read_bytes

#: Characters of context kept on each side of a quote (oa:prefix / oa:suffix).
CONTEXT = 24


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


def read_text(path: Path) -> str:
    """The seed file decoded as UTF-8, or :class:`InputError` naming the file."""
    try:
        return read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not UTF-8 text (byte {err.start})", path=str(path)) from None


def locate(text: str, quote: str, *, occurrence: int = 1) -> Span:
    """The ``occurrence``-th (1-based) position of ``quote`` in ``text``; :class:`UsageError` if absent."""
    if not quote:
        raise UsageError("the quote is empty")
    start = -1
    for _ in range(occurrence):
        start = text.find(quote, start + 1)
        if start < 0:
            raise UsageError(f"quote not found (occurrence {occurrence}): {quote!r}")
    end = start + len(quote)
    return Span(start, end, quote, text[max(0, start - CONTEXT):start], text[end:end + CONTEXT])


def _turtle_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


def span_turtle(span: Span, *, name: str, document: str, mention_of: str | None = None) -> str:
    """A ``kg:TextSpan`` (or ``kg:Mention`` of ``mention_of``) in the layout used in ``data/``."""
    kind = "kg:Mention" if mention_of else "kg:TextSpan"
    denotes = f"\n    kg:denotes {mention_of} ;" if mention_of else ""
    return (
        f"kgr:{name} a {kind} ;{denotes}\n"
        f"    oa:hasSource {document} ;\n"
        f"    oa:hasSelector [ a oa:TextQuoteSelector ;\n"
        f"            oa:exact {_turtle_string(span.exact)} ;\n"
        f"            oa:prefix {_turtle_string(span.prefix)} ;\n"
        f"            oa:suffix {_turtle_string(span.suffix)} ] ,\n"
        f"        [ a oa:TextPositionSelector ;\n"
        f"            oa:start {span.start} ;\n"
        f"            oa:end {span.end} ] .\n"
    )
