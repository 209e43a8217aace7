"""A small Turtle 1.1 parser that remembers where everything is written.

``parse_turtle(text, tag=...) -> Document`` returns every triple of a Turtle (or N-Triples) text together with
the line and column of its subject, predicate and object tokens, the position of every blank node, the extent of
every top-level statement, the prefix declarations and the full-line comments. ``kg check`` uses it to say *where*
a problem is written (``data/x.ttl:42:5``) and ``kg fmt`` to keep comments next to the statements they precede;
neither rdflib nor pyoxigraph report positions of triples.

Terms are pyoxigraph terms. Blank nodes get deterministic labels ``<tag>b<n>`` (``tag`` distinguishes files),
so a blank node found by SHACL can be traced back to the ``[`` that wrote it. Lines and columns are 1-based and
count Unicode code points. Grammar: https://www.w3.org/TR/turtle/#sec-grammar-grammar (RDF 1.1; no RDF-star).
Raises :class:`TurtleError` (with line and column) on the first syntax error. Nested ``[ ]`` and ``( )`` are
read with an explicit stack, not by recursion, so a file nested thousands of levels deep parses like any other
(Python's recursion limit stopped the first version at a few hundred). The tokens come from
:mod:`kg.turtle.lexer`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

import pyoxigraph as ox

from kg.namespaces import RDF, XSD
from kg.turtle import grammar as lex
from kg.turtle.lexer import Lexer, Pos, TurtleError

__all__ = ["RDF_FIRST", "RDF_NIL", "RDF_REST", "RDF_TYPE", "XSD", "Document", "Occurrence", "Pos", "Statement",
           "Term", "TurtleError", "parse_turtle"]

RDF_TYPE = ox.NamedNode(RDF + "type")
RDF_FIRST = ox.NamedNode(RDF + "first")
RDF_REST = ox.NamedNode(RDF + "rest")
RDF_NIL = ox.NamedNode(RDF + "nil")

Term = ox.NamedNode | ox.BlankNode | ox.Literal


@dataclass(frozen=True)
class Occurrence:
    """One triple as written: the triple and where its subject, predicate and object tokens start."""

    triple: ox.Triple
    subject: Pos
    predicate: Pos
    object: Pos


@dataclass(frozen=True)
class Statement:
    """One top-level statement (a subject block): its subject and its extent as character offsets."""

    subject: Term
    start: Pos
    start_offset: int
    end_offset: int


@dataclass
class Document:
    """Everything :func:`parse_turtle` read from one text."""

    triples: list[Occurrence] = field(default_factory=list)
    prefixes: dict[str, str] = field(default_factory=dict)
    statements: list[Statement] = field(default_factory=list)
    #: (line, text) of every comment that stands alone on its line, in file order.
    comments: list[tuple[int, str]] = field(default_factory=list)
    #: where each blank node is first written (``[``, ``(`` or its ``_:label``).
    bnodes: dict[ox.BlankNode, Pos] = field(default_factory=dict)
    #: the line on which each statement ends (for comment attachment), parallel to ``statements``.
    end_lines: list[int] = field(default_factory=list)


@dataclass
class _Open:
    """An object being read: a ``[ ... ]`` (``node`` and the predicate its objects get now) or, when ``node``
    is None, a ``( ... )`` (its items so far, each with the offset where it is written)."""

    start: int
    node: ox.BlankNode | None = None
    predicate: ox.NamedNode = RDF_TYPE
    ppos: Pos = field(default_factory=lambda: Pos(1, 1))
    items: list[tuple[Term, int]] = field(default_factory=list)


class _Parser(Lexer):
    def __init__(self, text: str, base: str | None, tag: str) -> None:
        self.base = base
        self.tag = tag
        self.doc = Document()
        self.labels: dict[str, ox.BlankNode] = {}
        self.counter = 0
        super().__init__(text)

    # --- terms ---

    def named(self, iri: str, offset: int) -> ox.NamedNode:
        if self.base is not None and not re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", iri):
            iri = urljoin(self.base, iri)
        try:
            return ox.NamedNode(iri)
        except ValueError as err:
            raise self.error(f"invalid IRI <{iri}>: {err}", offset) from None

    def iri(self) -> ox.NamedNode:
        tok = self.tok
        if tok.kind == "iri":
            self.advance()
            try:
                return self.named(lex.unescape(tok.value, only_unicode=True), tok.offset)
            except ValueError as err:
                raise self.error(str(err), tok.offset) from None
        if tok.kind == "pname":
            self.advance()
            if tok.extra not in self.doc.prefixes:
                raise self.error(f"undeclared prefix {tok.extra!r}: add @prefix {tok.extra}: <...> .", tok.offset)
            local = re.sub(r"\\(.)", r"\1", tok.value)
            return self.named(self.doc.prefixes[tok.extra] + local, tok.offset)
        raise self.error("expected an IRI or a prefixed name")

    def fresh(self, offset: int) -> ox.BlankNode:
        self.counter += 1
        node = ox.BlankNode(f"{self.tag}b{self.counter}")
        self.doc.bnodes[node] = self.where(offset)
        return node

    # --- grammar ---

    def parse(self) -> Document:
        while self.tok.kind != "eof":
            self.statement()
        self.doc.comments = self.comments
        return self.doc

    def statement(self) -> None:
        tok = self.tok
        if tok.kind == "lang" and tok.value in {"prefix", "base"}:
            self.advance()
            self.directive(tok.value)
            self.expect(".", f"after @{tok.value}")
            return
        if tok.kind == "word" and tok.value.lower() in {"prefix", "base"}:
            self.advance()
            self.directive(tok.value.lower())
            return
        start = tok.offset
        if self.is_punct("["):  # a blank node as subject: `[ p o ] .` or `[] p o .` or `[ p o ] q r .`
            self.advance()
            node = self.fresh(start)
            anon = self.is_punct("]")
            if not anon:
                self.predicate_object_list(node, self.where(start))
            self.expect("]", "to close the blank node opened with '['")
            if anon or not self.is_punct("."):
                self.predicate_object_list(node, self.where(start))
        else:
            node = self.subject()
            self.predicate_object_list(node, self.where(start))
        end = self.expect(".", "at the end of the statement")
        self.doc.statements.append(Statement(node, self.where(start), start, end.offset + 1))
        self.doc.end_lines.append(self.where(end.offset).line)

    def directive(self, kind: str) -> None:
        if kind == "prefix":
            tok = self.tok
            if tok.kind != "pname" or tok.value:
                raise self.error("expected a prefix such as ex: after PREFIX")
            self.advance()
            iri_tok = self.tok
            if iri_tok.kind != "iri":
                raise self.error("expected <namespace IRI> after the prefix")
            self.doc.prefixes[tok.extra] = self.iri().value
            return
        if self.tok.kind != "iri":
            raise self.error("expected <IRI> after BASE")
        self.base = self.iri().value

    def subject(self) -> Term:
        tok = self.tok
        if tok.kind in {"iri", "pname"}:
            return self.iri()
        if tok.kind == "bnode":
            return self.labelled()
        if self.is_punct("("):
            return self.object()
        raise self.error("expected a subject (IRI, prefixed name, blank node or collection)")

    def labelled(self) -> ox.BlankNode:
        tok = self.advance()
        node = self.labels.get(tok.value)
        if node is None:
            node = self.labels[tok.value] = self.fresh(tok.offset)
        return node

    def verb(self) -> tuple[ox.NamedNode, Pos]:
        ppos = self.where(self.tok.offset)
        if self.tok.kind == "word" and self.tok.value == "a":
            self.advance()
            return RDF_TYPE, ppos
        if self.tok.kind in {"iri", "pname"}:
            return self.iri(), ppos
        raise self.error("expected a predicate (IRI, prefixed name or 'a')")

    def more(self, predicate: ox.NamedNode, ppos: Pos) -> tuple[ox.NamedNode, Pos] | None:
        """After an object: the predicate of the next one (the same after ``,``, the next verb after ``;``), or
        None where the predicate-object list ends (trailing ``;`` allowed)."""
        if self.is_punct(","):
            self.advance()
            return predicate, ppos
        while self.is_punct(";"):
            self.advance()
            if not (self.tok.kind == "eof" or (self.tok.kind == "punct" and self.tok.value in ".];")):
                return self.verb()
        return None

    def predicate_object_list(self, subject: Term, spos: Pos) -> None:
        step: tuple[ox.NamedNode, Pos] | None = self.verb()
        while step is not None:
            predicate, ppos = step
            opos = self.where(self.tok.offset)
            self.emit(subject, predicate, self.object(), spos, ppos, opos)
            step = self.more(predicate, ppos)

    def emit(self, s: Term, p: ox.NamedNode, o: Term, spos: Pos, ppos: Pos, opos: Pos) -> None:
        if isinstance(s, ox.Literal):
            raise TurtleError("a literal cannot be a subject", spos.line, spos.column)
        self.doc.triples.append(Occurrence(ox.Triple(s, p, o), spos, ppos, opos))

    def object(self) -> Term:
        """One object, however deeply its ``[ ]`` and ``( )`` nest: each one opened is pushed on ``stack``
        and, once its last object is read, closed into the term it stands for, which is in turn an object of
        the one below it."""
        stack: list[_Open] = []
        while True:
            if stack and stack[-1].node is None and self.tok.kind == "eof":
                raise self.error("unterminated collection: expected ')'", stack[-1].start)
            start = self.tok.offset
            if self.is_punct("[") or self.is_punct("("):
                bracket = self.advance().value
                if bracket == "[" and not self.is_punct("]"):
                    frame = _Open(start, self.fresh(start))
                    frame.predicate, frame.ppos = self.verb()
                    stack.append(frame)
                    continue
                if bracket == "(" and not self.is_punct(")"):
                    stack.append(_Open(start))
                    continue
                value: Term = self.fresh(start) if bracket == "[" else RDF_NIL
                self.advance()
            else:
                value = self.simple_object()
            while stack:  # ``value``, written at ``start``, is complete: give it to the innermost open term
                frame = stack[-1]
                if frame.node is None:
                    frame.items.append((value, start))
                    if not self.is_punct(")"):
                        break
                    self.advance()
                    value = self.close_collection(frame)
                else:
                    self.emit(frame.node, frame.predicate, value, self.doc.bnodes[frame.node], frame.ppos,
                              self.where(start))
                    step = self.more(frame.predicate, frame.ppos)
                    if step is not None:
                        frame.predicate, frame.ppos = step
                        break
                    self.expect("]", "to close the blank node opened with '['")
                    value = frame.node
                start = frame.start
                stack.pop()
            else:
                return value

    def close_collection(self, frame: _Open) -> ox.BlankNode:
        """The list nodes of a closed ``( ... )`` and their triples: the first node is where ``(`` is written,
        every further node where its item is."""
        items = frame.items
        nodes = [self.fresh(frame.start)] + [self.fresh(offset) for _item, offset in items[1:]]
        for i, (item, offset) in enumerate(items):
            here, at = self.doc.bnodes[nodes[i]], self.where(offset)
            self.emit(nodes[i], RDF_FIRST, item, here, at, at)
            self.emit(nodes[i], RDF_REST, nodes[i + 1] if i + 1 < len(nodes) else RDF_NIL, here, at, at)
        return nodes[0]

    def simple_object(self) -> Term:
        """An object that does not nest: an IRI, a labelled blank node or a literal."""
        tok = self.tok
        if tok.kind in {"iri", "pname"}:
            return self.iri()
        if tok.kind == "bnode":
            return self.labelled()
        if tok.kind == "string":
            return self.string_literal()
        if tok.kind == "number":
            self.advance()
            kind = "double" if re.search("[eE]", tok.value) else "decimal" if "." in tok.value else "integer"
            return ox.Literal(tok.value, datatype=ox.NamedNode(XSD + kind))
        if tok.kind == "word" and tok.value in {"true", "false"}:
            self.advance()
            return ox.Literal(tok.value, datatype=ox.NamedNode(XSD + "boolean"))
        raise self.error("expected an object (IRI, prefixed name, blank node, collection or literal)")

    def string_literal(self) -> ox.Literal:
        tok = self.advance()
        try:
            value = lex.unescape(tok.value)
        except ValueError as err:
            raise self.error(str(err), tok.offset) from None
        if self.tok.kind == "lang":
            lang = self.advance()
            try:
                return ox.Literal(value, language=lang.value)
            except ValueError as err:
                raise self.error(f"invalid language tag @{lang.value}: {err}", lang.offset) from None
        if self.is_punct("^^"):
            self.advance()
            return ox.Literal(value, datatype=self.iri())
        return ox.Literal(value)


def parse_turtle(text: str, *, base: str | None = None, tag: str = "n") -> Document:
    """Parse Turtle ``text``; relative IRIs resolve against ``base``; blank nodes are labelled ``<tag>b<n>``.

    Raises :class:`TurtleError` with the line and column of the first error.
    """
    return _Parser(text, base, tag).parse()
