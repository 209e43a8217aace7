"""Triples as a page shows them: grouped by subject, each value an IRI, a blank node or a literal with its
datatype or language kept apart (so a template writes labels, links and hover text, not N-Triples)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox


@dataclass(frozen=True)
class Value:
    kind: str  # "iri" | "bnode" | "literal"
    value: str
    datatype: str = ""
    language: str = ""


@dataclass(frozen=True)
class Subject:
    """One subject and its ``(predicate IRI, value)`` pairs, sorted by predicate then value."""

    iri: str
    kind: str
    values: tuple[tuple[str, Value], ...]


def _value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Value:
    if isinstance(term, ox.NamedNode):
        return Value("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return Value("bnode", term.value)
    if isinstance(term, ox.Literal):
        return Value("literal", term.value, term.datatype.value, term.language or "")
    return Value("literal", str(term))


def grouped(triples: Iterable[ox.Triple], *, first: str = "") -> list[Subject]:
    """The triples grouped by subject; the subject ``first`` (e.g. the dataset) leads, blank nodes come last."""
    by_subject: dict[tuple[str, str], list[tuple[str, Value]]] = {}
    for t in triples:
        kind = "bnode" if isinstance(t.subject, ox.BlankNode) else "iri"
        by_subject.setdefault((kind, t.subject.value), []).append((t.predicate.value, _value(t.object)))
    order = sorted(by_subject, key=lambda k: (k[1] != first, k[0] == "bnode", k[1]))
    return [Subject(value, kind, tuple(sorted(by_subject[(kind, value)], key=lambda pv: (pv[0], pv[1].value))))
            for kind, value in order]
