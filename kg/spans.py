"""Text spans: locate a quote in a seed text and write the Web Annotation selectors for it.

Offsets count Unicode code points from 0, end exclusive, the same unit as SPARQL's ``SUBSTR`` (1-based) and
Python's string slicing, so the shapes and the tests check spans exactly as they are written here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from kg.errors import UsageError
from kg.namespaces import KG, OA, PREFIXES
from kg.settings import ENTITY_NS
from kg.turtle.canonical import render_subjects
from kg.turtle.parser import RDF_TYPE, XSD

XSD_INTEGER = ox.NamedNode(XSD + "integer")

#: Characters of context kept on each side of a quote (oa:prefix / oa:suffix).
CONTEXT = 24


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


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


def _node(name: str) -> ox.NamedNode:
    """An IRI from ``<iri>`` or a prefixed name of :data:`kg.namespaces.PREFIXES` (``kgr:doc-x``)."""
    if name.startswith("<") and name.endswith(">"):
        return ox.NamedNode(name[1:-1])
    prefix, sep, local = name.partition(":")
    if not sep or prefix not in PREFIXES:
        raise UsageError(f"{name!r} is neither <IRI> nor a prefixed name with one of: {', '.join(PREFIXES)}")
    return ox.NamedNode(PREFIXES[prefix] + local)


def span_turtle(span: Span, *, name: str, document: str, mention_of: str | None = None) -> str:
    """A ``kg:TextSpan`` (or ``kg:Mention`` of ``mention_of``) in the canonical layout of ``kg fmt``, so the
    block can be pasted into a file of ``data/`` unchanged."""
    node = ox.NamedNode(ENTITY_NS + name)
    quote, position = ox.BlankNode("quote"), ox.BlankNode("position")
    triples = [
        ox.Triple(node, RDF_TYPE, ox.NamedNode(KG + ("Mention" if mention_of else "TextSpan"))),
        ox.Triple(node, ox.NamedNode(OA + "hasSource"), _node(document)),
        ox.Triple(node, ox.NamedNode(OA + "hasSelector"), quote),
        ox.Triple(node, ox.NamedNode(OA + "hasSelector"), position),
        ox.Triple(quote, RDF_TYPE, ox.NamedNode(OA + "TextQuoteSelector")),
        ox.Triple(quote, ox.NamedNode(OA + "exact"), ox.Literal(span.exact)),
        ox.Triple(quote, ox.NamedNode(OA + "prefix"), ox.Literal(span.prefix)),
        ox.Triple(quote, ox.NamedNode(OA + "suffix"), ox.Literal(span.suffix)),
        ox.Triple(position, RDF_TYPE, ox.NamedNode(OA + "TextPositionSelector")),
        ox.Triple(position, ox.NamedNode(OA + "start"), ox.Literal(str(span.start), datatype=XSD_INTEGER)),
        ox.Triple(position, ox.NamedNode(OA + "end"), ox.Literal(str(span.end), datatype=XSD_INTEGER)),
    ]
    if mention_of:
        triples.append(ox.Triple(node, ox.NamedNode(KG + "denotes"), _node(mention_of)))
    return render_subjects(triples, PREFIXES)
