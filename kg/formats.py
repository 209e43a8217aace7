"""Formats as values, and content negotiation as one pure function.

``FORMATS`` is the single table of every serialisation the project reads or writes: its name (used by
``--format`` and the ``format`` query parameter), media type, file extension and kind. ``negotiate`` picks one
for an ``Accept`` header honouring q-values (RFC 9110 §12.5.1) and raises :class:`NotAcceptable` rather than
guessing when nothing fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kg.errors import NotAcceptable, UsageError

Kind = Literal["results", "graph", "dataset", "page"]


@dataclass(frozen=True)
class Format:
    """One serialisation. ``kind`` says what it can carry: SELECT/ASK results, a graph, a dataset, or a page."""

    name: str
    media_type: str
    extension: str
    kinds: tuple[Kind, ...]
    aliases: tuple[str, ...] = ()


FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "srj", ("results",), ("application/json",)),
    Format("xml", "application/sparql-results+xml", "srx", ("results",), ("application/xml", "text/xml")),
    Format("csv", "text/csv", "csv", ("results",)),
    Format("tsv", "text/tab-separated-values", "tsv", ("results",)),
    Format("turtle", "text/turtle", "ttl", ("graph",), ("application/x-turtle",)),
    Format("ntriples", "application/n-triples", "nt", ("graph",), ("text/plain",)),
    Format("nquads", "application/n-quads", "nq", ("dataset",)),
    Format("trig", "application/trig", "trig", ("dataset",)),
    Format("jsonld", "application/ld+json", "jsonld", ("graph", "dataset")),
    Format("rdfxml", "application/rdf+xml", "rdf", ("graph",)),
    Format("html", "text/html", "html", ("page",), ("application/xhtml+xml",)),
)

BY_NAME = {f.name: f for f in FORMATS}
BY_EXTENSION = {f.extension: f for f in FORMATS}


def formats_for(kind: Kind) -> tuple[Format, ...]:
    """Formats able to carry ``kind``; a dataset can also be written as any graph format is *not* assumed."""
    return tuple(f for f in FORMATS if kind in f.kinds)


def by_name(name: str, kind: Kind | None = None) -> Format:
    """The format called ``name`` (or with that extension); :class:`UsageError` naming the choices if unknown."""
    fmt = BY_NAME.get(name) or BY_EXTENSION.get(name)
    if fmt is None or (kind is not None and kind not in fmt.kinds):
        choices = ", ".join(f.name for f in (formats_for(kind) if kind else FORMATS))
        raise UsageError(f"unknown format {name!r}; choose one of: {choices}")
    return fmt


def parse_accept(accept: str) -> list[tuple[str, float, int]]:
    """``(media range or coding, q, position)`` for each entry of an ``Accept`` or ``Accept-Encoding`` header;
    malformed q-values count as q=0 (ignored)."""
    entries = []
    for position, part in enumerate(accept.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        entries.append((media, max(0.0, min(q, 1.0)), position))
    return entries


def _specificity(media_range: str, media_type: str) -> int:
    """3 exact match, 2 ``type/*``, 1 ``*/*``, 0 no match."""
    if media_range == media_type:
        return 3
    major, _, minor = media_range.partition("/")
    if minor == "*" and major == media_type.partition("/")[0]:
        return 2
    if media_range == "*/*":
        return 1
    return 0


def negotiate(accept: str | None, candidates: tuple[Format, ...]) -> Format:
    """The best of ``candidates`` for an ``Accept`` header.

    Each candidate takes the q-value of the most specific media range that matches it (its own media type or an
    alias); the highest q wins, ties go to the more specific match, then to a match of the candidate's own
    media type over an alias, then to the client's order, then to the order of ``candidates`` (so the first
    candidate is the default for ``*/*`` or a missing header).
    Raises :class:`NotAcceptable` when every candidate has q=0.
    """
    if not candidates:
        raise ValueError("negotiate() needs at least one candidate format")
    if accept is None or not accept.strip():
        return candidates[0]
    entries = parse_accept(accept)
    best: tuple[float, int, int, int, int] | None = None
    chosen: Format | None = None
    for index, fmt in enumerate(candidates):
        match: tuple[int, int, float, int] | None = None  # (specificity, primary type?, q, position)
        for media, q, position in entries:
            for primary, media_type in enumerate(reversed((fmt.media_type, *fmt.aliases))):
                spec = _specificity(media, media_type)
                is_primary = int(primary == len(fmt.aliases))
                if spec and (match is None or (spec, is_primary) > match[:2]):
                    match = (spec, is_primary, q, position)
        if match is None or match[2] <= 0:
            continue
        score = (match[2], match[0], match[1], -match[3], -index)
        if best is None or score > best:
            best, chosen = score, fmt
    if chosen is None:
        offered = ", ".join(f.media_type for f in candidates)
        raise NotAcceptable(f"no representation matches Accept: {accept}; available: {offered}")
    return chosen
