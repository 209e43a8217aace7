"""A small Turtle 1.1 parser that remembers where everything is written.

``parse_turtle(text, tag=...) -> Document`` returns every triple of a Turtle (or N-Triples) text together with
the line and column of its subject, predicate and object tokens, the position of every blank node, the extent of
every top-level statement, the prefix declarations and the full-line comments. ``kg check`` uses it to say *where*
a problem is written (``data/x.ttl:42:5``) and ``kg fmt`` to keep comments next to the statements they precede;
neither rdflib nor pyoxigraph report positions of triples.

Terms are pyoxigraph terms. Blank nodes get deterministic labels ``<tag>b<n>`` (``tag`` distinguishes files),
so a blank node found by SHACL can be traced back to the ``[`` that wrote it. Lines and columns are 1-based and
count Unicode code points. Grammar: https://www.w3.org/TR/turtle/#sec-grammar-grammar (RDF 1.1; no RDF-star).
Raises :class:`TurtleError` (with line and column) on the first syntax error.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

import pyoxigraph as ox

from kg.namespaces import RDF, XSD
from kg.turtle import grammar as lex

RDF_TYPE = ox.NamedNode(RDF + "type")
RDF_FIRST = ox.NamedNode(RDF + "first")
RDF_REST = ox.NamedNode(RDF + "rest")
RDF_NIL = ox.NamedNode(RDF + "nil")

Term = ox.NamedNode | ox.BlankNode | ox.Literal

class TurtleError(Exception):
    """A Turtle syntax error at ``line``:``column`` (1-based, code points)."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{line}:{column}: {message}")
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True, order=True)
class Pos:
    """A 1-based line and column."""

    line: int
    column: int


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


@dataclass(frozen=True)
class _Tok:
    kind: str  # iri pname bnode string lang number word punct eof
    value: str
    offset: int
    extra: str = ""  # pname: the prefix; string: the quote style


class _Parser:
    def __init__(self, text: str, base: str | None, tag: str) -> None:
        self.text = text[1:] if text.startswith("\ufeff") else text
        self.base = base
        self.tag = tag
        self.doc = Document()
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        self.labels: dict[str, ox.BlankNode] = {}
        self.counter = 0
        self.pos = 0
        self.tok = self._next()

    # --- positions and errors ---

    def where(self, offset: int) -> Pos:
        line = bisect.bisect_right(self.line_starts, offset)
        return Pos(line, offset - self.line_starts[line - 1] + 1)

    def error(self, message: str, offset: int | None = None) -> TurtleError:
        p = self.where(self.tok.offset if offset is None else offset)
        return TurtleError(message, p.line, p.column)

    # --- tokens ---

    def _skip(self) -> None:
        text = self.text
        while self.pos < len(text):
            m = lex.SPACE_RE.match(text, self.pos)
            if m:
                self.pos = m.end()
                continue
            if text[self.pos] != "#":
                return
            end = text.find("\n", self.pos)
            end = len(text) if end < 0 else end
            line_start = self.line_starts[bisect.bisect_right(self.line_starts, self.pos) - 1]
            if not text[line_start:self.pos].strip():
                self.doc.comments.append((self.where(self.pos).line, text[self.pos:end].rstrip("\r")))
            self.pos = end

    def _next(self) -> _Tok:
        self._skip()
        text, at = self.text, self.pos
        if at >= len(text):
            return _Tok("eof", "", at)
        c = text[at]
        m: re.Match[str] | None
        if c == "<":
            m = lex.IRI_RE.match(text, at)
            if not m:
                raise self.error("malformed IRI: expected <...> without spaces or <>\"{}|^`\\", at)
            return self._tok("iri", m, m.group(1))
        if c in "\"'":
            strings = lex.LONG_STRING if text.startswith(c * 3, at) else lex.SHORT_STRING
            m = strings[c].match(text, at)
            if not m:
                raise self.error("unterminated string (a short string may not contain a line break)", at)
            return self._tok("string", m, m.group(1), extra=c * 3 if text.startswith(c * 3, at) else c)
        if text.startswith("_:", at):
            m = lex.BNODE_RE.match(text, at)
            if not m:
                raise self.error("malformed blank node label", at)
            return self._tok("bnode", m, m.group(1))
        if c == "@":
            m = lex.LANG_RE.match(text, at)
            if not m:
                raise self.error("expected a language tag or @prefix/@base after @", at)
            return self._tok("lang", m, m.group(1))
        if text.startswith("^^", at):
            self.pos = at + 2
            return _Tok("punct", "^^", at)
        m = lex.NUMBER_RE.match(text, at)
        if m:
            return self._tok("number", m, m.group(0))
        if c in ".;,[]()":
            self.pos = at + 1
            return _Tok("punct", c, at)
        m = lex.PNAME_RE.match(text, at)
        if m:
            return self._tok("pname", m, m.group(2) or "", extra=m.group(1) or "")
        m = lex.WORD_RE.match(text, at)
        if m:
            return self._tok("word", m, m.group(0))
        raise self.error(f"unexpected character {c!r}", at)

    def _tok(self, kind: str, m: re.Match[str], value: str, extra: str = "") -> _Tok:
        self.pos = m.end()
        return _Tok(kind, value, m.start(), extra)

    def advance(self) -> _Tok:
        tok, self.tok = self.tok, self._next()
        return tok

    def expect(self, punct: str, what: str) -> _Tok:
        if self.tok.kind != "punct" or self.tok.value != punct:
            raise self.error(f"expected '{punct}' {what}")
        return self.advance()

    def is_punct(self, value: str) -> bool:
        return self.tok.kind == "punct" and self.tok.value == value

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
        if self.is_punct("["):
            node, anon = self.bnode_property_list()
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
            return self.collection()
        raise self.error("expected a subject (IRI, prefixed name, blank node or collection)")

    def labelled(self) -> ox.BlankNode:
        tok = self.advance()
        node = self.labels.get(tok.value)
        if node is None:
            node = self.labels[tok.value] = self.fresh(tok.offset)
        return node

    def predicate_object_list(self, subject: Term, spos: Pos) -> None:
        self.verb_object_list(subject, spos)
        while self.is_punct(";"):
            self.advance()
            if self.tok.kind == "eof" or (self.tok.kind == "punct" and self.tok.value in ".];"):
                continue
            self.verb_object_list(subject, spos)

    def verb_object_list(self, subject: Term, spos: Pos) -> None:
        ppos = self.where(self.tok.offset)
        if self.tok.kind == "word" and self.tok.value == "a":
            self.advance()
            predicate = RDF_TYPE
        elif self.tok.kind in {"iri", "pname"}:
            predicate = self.iri()
        else:
            raise self.error("expected a predicate (IRI, prefixed name or 'a')")
        while True:
            opos = self.where(self.tok.offset)
            obj = self.object()
            self.emit(subject, predicate, obj, spos, ppos, opos)
            if not self.is_punct(","):
                return
            self.advance()

    def emit(self, s: Term, p: ox.NamedNode, o: Term, spos: Pos, ppos: Pos, opos: Pos) -> None:
        if isinstance(s, ox.Literal):
            raise TurtleError("a literal cannot be a subject", spos.line, spos.column)
        self.doc.triples.append(Occurrence(ox.Triple(s, p, o), spos, ppos, opos))

    def bnode_property_list(self) -> tuple[ox.BlankNode, bool]:
        open_tok = self.advance()
        node = self.fresh(open_tok.offset)
        if self.is_punct("]"):
            self.advance()
            return node, True
        self.predicate_object_list(node, self.where(open_tok.offset))
        self.expect("]", "to close the blank node opened with '['")
        return node, False

    def collection(self) -> Term:
        open_tok = self.advance()
        items: list[tuple[Term, int]] = []
        while not self.is_punct(")"):
            if self.tok.kind == "eof":
                raise self.error("unterminated collection: expected ')'", open_tok.offset)
            offset = self.tok.offset
            items.append((self.object(), offset))
        self.advance()
        if not items:
            return RDF_NIL
        # The first list node is where '(' is written, every further node where its item is.
        nodes = [self.fresh(open_tok.offset)] + [self.fresh(offset) for _item, offset in items[1:]]
        for i, (item, offset) in enumerate(items):
            here, at = self.doc.bnodes[nodes[i]], self.where(offset)
            self.emit(nodes[i], RDF_FIRST, item, here, at, at)
            self.emit(nodes[i], RDF_REST, nodes[i + 1] if i + 1 < len(nodes) else RDF_NIL, here, at, at)
        return nodes[0]

    def object(self) -> Term:
        tok = self.tok
        if tok.kind in {"iri", "pname"}:
            return self.iri()
        if tok.kind == "bnode":
            return self.labelled()
        if self.is_punct("["):
            return self.bnode_property_list()[0]
        if self.is_punct("("):
            return self.collection()
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
