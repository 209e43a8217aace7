"""Formats as values, and content negotiation as one pure function.

``FORMATS`` is the single table of every serialisation the project reads or writes: its name (used by
``--format`` and the ``format`` query parameter), media type, file extension and kind. ``negotiate`` picks one
for an ``Accept`` header honouring q-values (RFC 9110 §12.5.1) and raises :class:`NotAcceptable` rather than
guessing when nothing fits; ``by_parameter`` reads the ``format`` parameters clients add to a query URL.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    # application/x-json+ld: the older name SPARQLWrapper still sends, in Accept and in ``format``
    Format("jsonld", "application/ld+json", "jsonld", ("graph", "dataset"), ("application/x-json+ld",)),
    Format("rdfxml", "application/rdf+xml", "rdf", ("graph",)),
    Format("html", "text/html", "html", ("page",), ("application/xhtml+xml",)),
)

BY_NAME = {f.name: f for f in FORMATS}
BY_EXTENSION = {f.extension: f for f in FORMATS}
BY_MEDIA_TYPE = {m: f for f in FORMATS for m in (f.media_type, *f.aliases)}

#: Other names clients give in a ``format`` parameter: SPARQLWrapper's return formats (``n3``: Turtle is N3's
#: subset, so a Turtle answer is valid N3).
PARAMETER_NAMES = {"n3": "turtle", "json-ld": "jsonld", "rdf+xml": "rdfxml"}

#: How a results format's name reads when the answer is a graph (CONSTRUCT, DESCRIBE, a description), as
#: Virtuoso and Fuseki read it: ``xml`` is RDF/XML, ``json`` is JSON-LD.
GRAPH_READING = {"xml": "rdfxml", "json": "jsonld"}


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


def by_parameter(values: Sequence[str], candidates: tuple[Format, ...]) -> Format | None:
    """The format that ``format`` parameter values ask for among ``candidates``; ``None`` when none is given.

    A value is a format's name or extension, one of :data:`PARAMETER_NAMES`, a media type (parameters such as
    ``charset`` ignored), or a comma-separated list of those (SPARQLWrapper sends the Accept list it uses).
    Names read as :data:`GRAPH_READING` says when ``candidates`` hold that reading and not the plain format.
    Values may repeat as long as they mean one format. Raises :class:`UsageError` for an unknown value or
    values that disagree, :class:`NotAcceptable` when the one format asked for is not among ``candidates``.
    """
    chosen: dict[str, Format] = {}
    for value in values:
        for token in value.split(","):
            token = token.split(";")[0].strip().lower()
            if token:
                fmt = _lookup(token, candidates)
                chosen.setdefault(fmt.name, fmt)
    if not chosen:
        return None
    if len(chosen) > 1:
        raise UsageError(f"the format parameters disagree ({', '.join(chosen)}); ask for one format")
    (fmt,) = chosen.values()
    if fmt not in candidates:
        offered = ", ".join(f.name for f in candidates)
        raise NotAcceptable(f"format {fmt.name} does not fit this query; choose one of: {offered}")
    return fmt


def _lookup(token: str, candidates: tuple[Format, ...]) -> Format:
    """The format one lower-case ``format`` token names, read for ``candidates``; :class:`UsageError` if none."""
    name = PARAMETER_NAMES.get(token, token)
    fmt = BY_NAME.get(name) or BY_EXTENSION.get(name) or BY_MEDIA_TYPE.get(name)
    if fmt is None:
        choices = ", ".join([*BY_NAME, *PARAMETER_NAMES])
        raise UsageError(f"unknown format {token!r}; choose one of: {choices}, or a media type")
    reading = BY_NAME.get(GRAPH_READING.get(fmt.name, ""))
    if fmt not in candidates and reading in candidates:
        return reading
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
