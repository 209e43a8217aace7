"""Prefixed names: whether a local name can be written bare, and the one CURIE shortening every shell uses
(check messages, HTML pages, the canonical writer)."""

from __future__ import annotations

from collections.abc import Mapping

from kg.turtle.grammar import LOCAL_RE


def is_local_name(local: str) -> bool:
    """True when ``local`` can be written unescaped after ``prefix:`` (Turtle's PN_LOCAL, without escapes)."""
    m = LOCAL_RE.fullmatch(local)
    return bool(m) and "\\" not in local and "%" not in local


def shorten(iri: str, prefixes: Mapping[str, str]) -> tuple[str, str] | None:
    """``(prefix, local)`` for ``iri`` under the longest namespace of ``prefixes`` whose remainder is a valid
    local name (ties go to the alphabetically first prefix, so the choice never depends on dict order); None when
    no prefix fits."""
    best: tuple[int, str] | None = None
    for name, ns in prefixes.items():
        if iri.startswith(ns) and (iri == ns or is_local_name(iri[len(ns):])):
            key = (-len(ns), name)
            if best is None or key < best:
                best = key
    if best is None:
        return None
    return best[1], iri[len(prefixes[best[1]]):]


def curie(iri: str, prefixes: Mapping[str, str]) -> str:
    """``prefix:local`` for ``iri`` (see :func:`shorten`), else the IRI in angle brackets."""
    short = shorten(iri, prefixes)
    return f"{short[0]}:{short[1]}" if short else f"<{iri}>"
