"""The tokens of a Turtle text with their positions: ``Lexer(text)`` reads one token at a time (``tok``,
``advance()``), turns character offsets into 1-based lines and columns (code points), and records the comments
that stand alone on their line. The grammar is :mod:`kg.turtle.parser`; the regular expressions are
:mod:`kg.turtle.grammar`.

:func:`oversized_token` finds the token the RDF engine cannot read: pyoxigraph's Turtle lexer holds one token
(a literal, an IRI, a comment) in a buffer of at most :data:`ENGINE_TOKEN_BYTES`, and only says "Reached the
buffer maximal size", without a line.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

from kg.errors import RdfSyntaxError
from kg.turtle import grammar as lex

#: pyoxigraph's (oxttl 0.5) largest token, in bytes: a longer literal, IRI or comment fails to parse.
ENGINE_TOKEN_BYTES = 16 * 1024 * 1024


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
class Tok:
    """One token: its kind (iri pname bnode string lang number word punct eof), its value without delimiters,
    the offsets where it starts and ends, and for a pname its prefix, for a string its quote style."""

    kind: str
    value: str
    offset: int
    end: int
    extra: str = ""


class Lexer:
    """The tokens of ``text`` (a leading byte-order mark is dropped), one at a time, with positions."""

    def __init__(self, text: str) -> None:
        self.text = text[1:] if text.startswith("\ufeff") else text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        #: (line, text) of every comment that stands alone on its line, in file order.
        self.comments: list[tuple[int, str]] = []
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
                self.comments.append((self.where(self.pos).line, text[self.pos:end].rstrip("\r")))
            self.pos = end

    def _next(self) -> Tok:
        self._skip()
        text, at = self.text, self.pos
        if at >= len(text):
            return Tok("eof", "", at, at)
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
            return Tok("punct", "^^", at, at + 2)
        m = lex.NUMBER_RE.match(text, at)
        if m:
            return self._tok("number", m, m.group(0))
        if c in ".;,[]()":
            self.pos = at + 1
            return Tok("punct", c, at, at + 1)
        m = lex.PNAME_RE.match(text, at)
        if m:
            return self._tok("pname", m, m.group(2) or "", extra=m.group(1) or "")
        m = lex.WORD_RE.match(text, at)
        if m:
            return self._tok("word", m, m.group(0))
        raise self.error(f"unexpected character {c!r}", at)

    def _tok(self, kind: str, m: re.Match[str], value: str, extra: str = "") -> Tok:
        self.pos = m.end()
        return Tok(kind, value, m.start(), m.end(), extra)

    def advance(self) -> Tok:
        tok, self.tok = self.tok, self._next()
        return tok

    def expect(self, punct: str, what: str) -> Tok:
        if self.tok.kind != "punct" or self.tok.value != punct:
            raise self.error(f"expected '{punct}' {what}")
        return self.advance()

    def is_punct(self, value: str) -> bool:
        return self.tok.kind == "punct" and self.tok.value == value


def _too_long(chunk: str, limit: int) -> bool:
    # a code point is 1 to 4 bytes in UTF-8: encode only the chunks that might be over
    return len(chunk) * 4 > limit and len(chunk.encode("utf-8", "surrogatepass")) > limit


def oversized_token(text: str, limit: int = ENGINE_TOKEN_BYTES) -> tuple[Pos, str, int] | None:
    """The first token of ``text`` longer than ``limit`` UTF-8 bytes: its position, what it is ("literal",
    "IRI", "comment", "token") and its size in bytes; None when there is none, or when the text stops being
    Turtle before one (the engine's own message then stands without a line)."""
    try:
        lexer = Lexer(text)
        text, end = lexer.text, 0
        while True:
            tok = lexer.tok
            gap = text[end:tok.offset]  # whitespace and comments since the last token
            if _too_long(gap, limit):
                for m in re.finditer(r"#[^\n]*", gap):
                    if _too_long(m.group(), limit):
                        return lexer.where(end + m.start()), "comment", len(m.group().encode("utf-8", "replace"))
            chunk = text[tok.offset:tok.end]
            if _too_long(chunk, limit):
                kind = {"string": "literal", "iri": "IRI"}.get(tok.kind, "token")
                return lexer.where(tok.offset), kind, len(chunk.encode("utf-8", "replace"))
            if tok.kind == "eof":
                return None
            end = tok.end
            lexer.advance()
    except TurtleError:
        return None


def engine_limit_error(err: MemoryError, path: Path | str, data: bytes | str) -> Exception:
    """The :class:`RdfSyntaxError` for the engine's "Reached the buffer maximal size" while parsing ``path``
    (whose content is ``data``): it names the file, the line of the token that is too long, and the limit.
    Any other :class:`MemoryError` (the machine ran out) is returned as it is, to be raised again."""
    if "buffer maximal size" not in str(err):
        return err
    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    found = oversized_token(text)
    limit = f"{ENGINE_TOKEN_BYTES:,} bytes (16 MiB), the longest token the RDF engine (pyoxigraph) reads"
    if found is None:
        return RdfSyntaxError(f"a literal, IRI or comment is longer than {limit}", path=str(path))
    pos, kind, size = found
    return RdfSyntaxError(f"a {kind} of {size:,} bytes is longer than {limit}; keep long texts in seeds/ and "
                          "point at them", path=str(path), line=pos.line, column=pos.column)
