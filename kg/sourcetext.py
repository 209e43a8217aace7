"""A source document as a reader sees it: its text in paragraphs with every claim's and mention's span marked,
its metadata, and the claims that appear in it.

Spans may overlap (a mention inside a claim's sentence, two claims sharing words). :func:`paragraphs` cuts the
text at every span boundary, so each piece is covered by a fixed set of spans and is marked once, with the
spans covering it (innermost first): a mark never crosses another, whatever the overlap. Offsets are Unicode
code points from 0, end exclusive (``kg/spans.py``), the unit of Python's string slicing.

The SPARQL texts take a document IRI the caller has checked (:func:`document_iri`); this module runs nothing.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from kg.errors import NotFound
from kg.namespaces import PREFIXES

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_PREFIXES = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in ("kg", "rdfs", "skos", "oa", "time"))


def document_iri(base: str, name: str) -> str:
    """``<base>id/<name>`` for a local name of letters, digits, ``.``, ``_`` and ``-`` (safe inside ``<...>``
    of a query); :class:`NotFound` for any other name (no such document can exist)."""
    if not _NAME.match(name):
        raise NotFound(f"no document {name!r}: a document is named by the local name of its IRI (doc-...)")
    return f"{base}id/{name}"


def local_name(iri: str) -> str:
    """The part of an IRI after its last ``/`` or ``#`` (an HTML ``id`` and a fragment of the page)."""
    return re.split(r"[/#]", iri)[-1]


def metadata_query(iri: str) -> str:
    """One row of the document's metadata (no row when nothing is known about the IRI)."""
    return _PREFIXES + f"""SELECT ?label ?title ?publisher ?publisherLabel ?url ?published ?basis ?sha256 ?text
WHERE {{
  BIND (<{iri}> AS ?doc)
  FILTER EXISTS {{ ?doc ?p ?o }}
  OPTIONAL {{ ?doc rdfs:label ?label }}
  OPTIONAL {{ ?doc kg:title ?title }}
  OPTIONAL {{ ?doc kg:publisher ?publisher OPTIONAL {{ ?publisher rdfs:label ?publisherLabel }} }}
  OPTIONAL {{ ?doc kg:url ?url }}
  OPTIONAL {{ ?doc kg:published ?d . ?d time:inXSDDate|time:inXSDgYearMonth|time:inXSDgYear ?published
             OPTIONAL {{ ?d kg:basis/skos:notation ?basis }} }}
  OPTIONAL {{ ?doc kg:sha256 ?sha256 }}
  OPTIONAL {{ ?doc kg:text ?text }}
}} LIMIT 1"""


def spans_query(iri: str) -> str:
    """Every positioned span of the document with what points at it: the claim or event whose evidence it is,
    or the entity a mention denotes."""
    return _PREFIXES + f"""SELECT ?span ?start ?end ?exact ?kind ?target ?targetLabel
WHERE {{
  ?span oa:hasSource <{iri}> ; oa:hasSelector ?position .
  ?position oa:start ?start ; oa:end ?end .
  OPTIONAL {{ ?span oa:hasSelector/oa:exact ?exact }}
  OPTIONAL {{
    {{ ?span kg:denotes ?target . BIND ("mention" AS ?kind) }}
    UNION
    {{ ?target kg:evidence ?span .
       BIND (IF(EXISTS {{ ?target a/rdfs:subClassOf* kg:Claim }}, "claim", "evidence") AS ?kind) }}
    OPTIONAL {{ ?target rdfs:label ?targetLabel }}
  }}
}} ORDER BY ?start DESC(?end) ?target"""


def claims_query(iri: str) -> str:
    """The claims appearing in the document, each with its phrase (an external citation's, or a span's)."""
    return _PREFIXES + f"""SELECT ?claim ?label ?phrase
WHERE {{
  ?claim kg:appearsIn <{iri}> .
  OPTIONAL {{ ?claim rdfs:label ?label }}
  OPTIONAL {{ ?claim kg:evidence ?evidence . ?evidence kg:phrase|oa:hasSelector/oa:exact ?phrase }}
}} ORDER BY ?claim"""


@dataclass(frozen=True)
class Highlight:
    """A span of the text, ``[start, end)``, and what it is evidence of (``kind``: claim, evidence, mention;
    ``target`` empty for a span nothing points at)."""

    start: int
    end: int
    span: str
    kind: str
    target: str
    label: str
    exact: str = ""


@dataclass(frozen=True)
class Piece:
    """A run of text; ``marks``: the highlights covering it, innermost first (empty: plain text)."""

    text: str
    marks: tuple[Highlight, ...] = ()
    anchors: tuple[str, ...] = ()  # spans starting here (their ``id`` goes on this piece), each once

    @property
    def overlap(self) -> bool:
        """Covered by two or more distinct spans (one span evidence of a claim and its event is not)."""
        return len({m.span for m in self.marks}) > 1

    @property
    def title(self) -> str:
        """What the piece is evidence of, for a tooltip: every covering highlight."""
        return "; ".join(f"{h.kind}: {h.label or h.target or h.span}" for h in self.marks)


@dataclass
class SourceView:
    iri: str
    meta: dict[str, str]
    paragraphs: list[list[Piece]] = field(default_factory=list)
    highlights: list[Highlight] = field(default_factory=list)
    claims: list[tuple[str, str, str]] = field(default_factory=list)  # (claim, label, phrase)


def _rows(body: bytes) -> list[dict[str, str]]:
    data: dict[str, Any] = json.loads(body)
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


def highlights_of(body: bytes, length: int) -> list[Highlight]:
    """The highlights of the SPARQL JSON results of :func:`spans_query`, clipped to a text of ``length``
    characters (a span out of range is dropped: ``kg check`` reports it), sorted by start, longest first."""
    out: dict[tuple[int, int, str, str], Highlight] = {}
    for row in _rows(body):
        start, end = int(row["start"]), int(row["end"])
        if not 0 <= start < end <= length:
            continue
        kind = row.get("kind", "span")
        target = row.get("target", "")
        out[(start, end, kind, target)] = Highlight(start, end, row["span"], kind, target,
                                                    row.get("targetLabel", ""), row.get("exact", ""))
    return sorted(out.values(), key=lambda h: (h.start, -h.end, h.kind, h.target))


def paragraphs(text: str, highlights: list[Highlight]) -> list[list[Piece]]:
    """``text`` split into paragraphs (at line breaks) of pieces, cut at every highlight boundary; a piece's
    ``marks`` are the highlights covering all of it, innermost (shortest) first."""
    cuts = {0, len(text)}
    for h in highlights:
        cuts.update((h.start, h.end))
    cuts.update(i for i, ch in enumerate(text) if ch == "\n")
    cuts.update(i + 1 for i, ch in enumerate(text) if ch == "\n")
    points = sorted(c for c in cuts if 0 <= c <= len(text))
    out: list[list[Piece]] = [[]]
    anchored: set[str] = set()
    for a, b in itertools.pairwise(points):
        chunk = text[a:b]
        if chunk == "\n":
            out.append([])
            continue
        covering = tuple(sorted((h for h in highlights if h.start <= a and b <= h.end),
                                key=lambda h: (h.end - h.start, h.kind != "mention")))
        starting = tuple(dict.fromkeys(local_name(h.span) for h in highlights
                                       if h.start == a and local_name(h.span) not in anchored))
        anchored.update(starting)
        out[-1].append(Piece(chunk, covering, starting))
    return [p for p in out if any(piece.text.strip() for piece in p)]


def source_view(iri: str, meta_body: bytes, spans_body: bytes, claims_body: bytes) -> SourceView | None:
    """The view of a document from the answers to the three queries above; None when the IRI is unknown."""
    meta_rows = _rows(meta_body)
    if not meta_rows:
        return None
    meta = meta_rows[0]
    text = meta.get("text", "")
    highlights = highlights_of(spans_body, len(text)) if text else []
    claims: dict[str, tuple[str, str, str]] = {}
    for row in _rows(claims_body):
        claims.setdefault(row["claim"], (row["claim"], row.get("label", ""), row.get("phrase", "")))
    return SourceView(iri, meta, paragraphs(text, highlights) if text else [], highlights, list(claims.values()))
