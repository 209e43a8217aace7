"""Where a subject, a triple or a term is written in a Turtle file: ``Located(path, doc).subject(term) -> Pos``.

Built on :func:`kg.turtle.parser.parse_turtle`, which records the position of every token. Lookups answer with the first
place in the file: a subject's description is where its first statement starts (for a blank node: the ``[``,
``(`` or ``_:label`` that writes it, i.e. the line of the triple that holds it); a triple is where its object
(or predicate) token starts. Every lookup returns ``None`` when the file does not write the thing asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.turtle.parser import Document, Occurrence, Pos, Term


@dataclass
class Located:
    """One parsed file with indexes from terms and triples to positions."""

    path: Path
    display: str
    graph: ox.NamedNode
    doc: Document
    _subjects: dict[Term, Pos] = field(default_factory=dict, init=False)
    _triples: dict[ox.Triple, Occurrence] = field(default_factory=dict, init=False)
    _pairs: dict[tuple[Term, ox.NamedNode], Occurrence] = field(default_factory=dict, init=False)
    _objects: dict[Term, Occurrence] = field(default_factory=dict, init=False)
    _described: frozenset[Term] = field(default_factory=frozenset, init=False)

    def __post_init__(self) -> None:
        for st in self.doc.statements:
            self._subjects.setdefault(st.subject, st.start)
        for b, pos in self.doc.bnodes.items():
            self._subjects.setdefault(b, pos)
        for occ in self.doc.triples:
            t = occ.triple
            self._subjects.setdefault(t.subject, occ.subject)
            self._triples.setdefault(t, occ)
            self._pairs.setdefault((t.subject, t.predicate), occ)
            self._objects.setdefault(t.object, occ)
        self._described = frozenset(o.triple.subject for o in self.doc.triples)

    @property
    def triples(self) -> Iterator[ox.Triple]:
        return (o.triple for o in self.doc.triples)

    def subjects(self) -> frozenset[Term]:
        """Every node this file says something about (its statements' subjects and nested blank nodes); built
        once, since every rule asks."""
        return self._described

    def subject(self, term: Term) -> Pos | None:
        """Where the description of ``term`` starts."""
        return self._subjects.get(term)

    def triple(self, s: Term, p: ox.NamedNode, o: Term | None = None) -> Occurrence | None:
        """The first occurrence of ``(s, p, o)``, or of any ``(s, p, _)`` when ``o`` is None."""
        if o is not None:
            return self._triples.get(ox.Triple(s, p, o))
        return self._pairs.get((s, p))

    def object(self, term: Term) -> Occurrence | None:
        """The first triple that has ``term`` as its object."""
        return self._objects.get(term)

    def anywhere(self, term: Term) -> Pos | None:
        """Where ``term`` is first described, else first used as an object."""
        pos = self.subject(term)
        if pos is not None:
            return pos
        occ = self.object(term)
        return occ.object if occ else None
