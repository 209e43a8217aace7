"""``kg fmt``: rewrite Turtle files in one canonical layout.

The layout: a prefix block (``@prefix`` lines sorted by name, only the prefixes used); subjects grouped (every
triple of a subject in one block) and sorted (IRIs by their written form, then blank nodes); predicates in a fixed
order (``a`` first, then ``rdfs:label``, then the others by their written form); objects sorted; blank nodes that
are used once written inline as ``[ ... ]`` (nested), RDF lists as ``( ... )``; literals kept exact (short
strings escaped per Turtle §6.4, strings with line breaks as triple-quoted strings, numbers and booleans bare
when their lexical form allows).

Comments: the file's header (comment lines before the first statement) is kept, and so are the comment lines
before a subject block. A comment block followed by a blank line is a *section* heading: subjects are sorted
within their section and sections keep their order, so a curated file keeps its structure. A comment block
directly above a statement (no blank line) moves with that subject. Comments inside a statement, at the end of a
line, and ``@base`` are dropped (IRIs are written absolute). The result parses to an isomorphic graph (tested).

``format_file`` writes atomically (a temporary file in the same folder, then ``os.replace``) and never touches a
file that does not parse; ``fmt_paths`` reports such a file as a ``syntax`` finding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pyoxigraph as ox

from kg.check.report import Finding
from kg.curation.dates import derive_bounds
from kg.errors import FileChanged, InputError, RdfSyntaxError
from kg.files import decode, display, expand, read_bytes, write_atomic
from kg.graph import rdf_syntax_error
from kg.namespaces import BARE_LITERALS, RDFS, XSD
from kg.settings import Settings
from kg.turtle.lexer import engine_limit_error
from kg.turtle.names import shorten
from kg.turtle.parser import RDF_FIRST, RDF_NIL, RDF_REST, RDF_TYPE, Document, Term, TurtleError, parse_turtle

RDFS_LABEL = RDFS + "label"
#: Deepest nesting of inline ``[ ]`` and ``( )`` that ``kg fmt`` lays out. The writer renders a nested node by
#: recursion (three Python frames a level, under Python's limit of 1,000), and a layout indented 8 columns a
#: level is unreadable long before 100 levels; a deeper file is reported, never half-written.
MAX_NESTING = 100
_SHORT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _escape_control(ch: str) -> str:
    return f"\\u{ord(ch):04X}"


def quote(value: str) -> str:
    """A Turtle string literal for ``value``: short form, or triple-quoted when it holds a line break."""
    if "\n" not in value:
        return '"' + "".join(_SHORT_ESCAPES.get(c) or (_escape_control(c) if c < " " or c == "\x7f" else c)
                             for c in value) + '"'
    out = []
    for i, c in enumerate(value):
        if c == "\\":
            out.append("\\\\")
        elif c == '"' and (i + 1 == len(value) or value[i + 1] == '"'):
            # A quote at the end, or before another quote, would merge into the closing """.
            out.append('\\"')
        elif c == "\r":
            out.append("\\r")
        elif (c < " " and c not in "\n\t") or c == "\x7f":
            out.append(_escape_control(c))
        else:
            out.append(c)
    return '"""' + "".join(out) + '"""'


class Writer:
    """Renders terms and subject blocks of one graph with one prefix table."""

    def __init__(self, triples: Iterable[ox.Triple], prefixes: Mapping[str, str]) -> None:
        self.prefixes = dict(prefixes)
        self.used: set[str] = set()
        self.index: dict[Term, dict[ox.NamedNode, set[Term]]] = defaultdict(lambda: defaultdict(set))
        self.refs: dict[ox.BlankNode, int] = defaultdict(int)
        for t in set(triples):
            self.index[t.subject][t.predicate].add(t.object)
            if isinstance(t.object, ox.BlankNode):
                self.refs[t.object] += 1
        self.labels: dict[ox.BlankNode, str] = {}
        self._choose_labels()

    # --- which blank nodes are inline, which need a label ---

    def inline(self, node: Term) -> bool:
        return isinstance(node, ox.BlankNode) and self.refs.get(node, 0) == 1 and node not in self.labels

    def _choose_labels(self) -> None:
        """Label blank nodes used more than once, and one node of every cycle no root reaches."""
        for node in sorted((b for b, n in self.refs.items() if n > 1), key=lambda b: b.value):
            self.labels[node] = f"b{len(self.labels) + 1}"
        while True:
            seen: set[Term] = set()
            stack = [s for s in self.index if not self.inline(s)]
            while stack:
                node = stack.pop()
                for objs in self.index.get(node, {}).values():
                    for o in objs:
                        if self.inline(o) and o not in seen:
                            seen.add(o)
                            stack.append(o)
            orphans = sorted((s for s in self.index if self.inline(s) and s not in seen), key=lambda b: b.value)
            if not orphans:
                return
            self.labels[orphans[0]] = f"b{len(self.labels) + 1}"  # type: ignore[index]

    def too_deep(self, limit: int = MAX_NESTING) -> ox.BlankNode | None:
        """The first inline node written more than ``limit`` levels deep; None when none is.
        Walks with an explicit stack, as :meth:`term` renders: a list's items one level below the list."""
        stack: list[tuple[Term, int]] = [(s, 0) for s in self.roots()]
        while stack:
            node, depth = stack.pop()
            items = self.collection(node) if self.inline(node) else None
            children = items if items is not None else [o for objs in self.index.get(node, {}).values() for o in objs]
            for child in children:
                if self.inline(child):
                    if depth + 1 > limit:
                        return child  # type: ignore[return-value]
                    stack.append((child, depth + 1))
        return None

    def roots(self) -> list[Term]:
        """Subjects written as top-level blocks: every subject that is not an inline blank node."""
        return [s for s in self.index if not self.inline(s)]

    # --- terms ---

    def iri(self, node: ox.NamedNode, *, predicate: bool = False) -> str:
        if predicate and node == RDF_TYPE:
            return "a"
        short = shorten(node.value, self.prefixes)
        if short is None:
            return f"<{node.value}>"
        self.used.add(short[0])
        return f"{short[0]}:{short[1]}"

    def literal(self, lit: ox.Literal) -> str:
        if lit.language:
            return quote(lit.value) + "@" + lit.language
        dt = lit.datatype.value
        if dt == XSD + "string":
            return quote(lit.value)
        bare = BARE_LITERALS.get(dt)
        if bare is not None and bare.fullmatch(lit.value):
            return lit.value
        return quote(lit.value) + "^^" + self.iri(lit.datatype)

    def collection(self, node: Term) -> list[Term] | None:
        """The items of the RDF list starting at ``node`` if it can be written as ``( ... )``, else None."""
        items: list[Term] = []
        seen: set[Term] = set()
        while node != RDF_NIL:
            if not self.inline(node) or node in seen:
                return None
            props = self.index.get(node, {})
            if set(props) != {RDF_FIRST, RDF_REST} or len(props[RDF_FIRST]) != 1 or len(props[RDF_REST]) != 1:
                return None
            seen.add(node)
            items.append(next(iter(props[RDF_FIRST])))
            node = next(iter(props[RDF_REST]))
        return items

    def term(self, node: Term, indent: int) -> str:
        if isinstance(node, ox.NamedNode):
            return "()" if node == RDF_NIL else self.iri(node)
        if isinstance(node, ox.Literal):
            return self.literal(node)
        if node in self.labels:
            return f"_:{self.labels[node]}"
        items = self.collection(node)
        if items is not None:
            return "( " + " ".join(self.term(i, indent) for i in items) + " )"
        if not self.index.get(node):
            return "[]"
        return "[ " + self.predicates(node, indent + 8) + " ]"

    # --- blocks ---

    def predicate_order(self, node: Term) -> list[ox.NamedNode]:
        def key(p: ox.NamedNode) -> tuple[int, str]:
            if p == RDF_TYPE:
                return (0, "")
            if p.value == RDFS_LABEL:
                return (1, "")
            return (2, self.iri(p))
        return sorted(self.index[node], key=key)

    def predicates(self, node: Term, indent: int) -> str:
        """``p o1, o2 ;\\n<indent>q o3`` for every predicate of ``node``."""
        parts = []
        for p in self.predicate_order(node):
            rendered = sorted(self.term(o, indent) for o in self.index[node][p])
            text = rendered[0]
            for prev, cur in pairwise(rendered):
                block = prev.startswith("[ ") or cur.startswith("[ ")
                text += (" ,\n" + " " * (indent + 4) if block else ", ") + cur
            parts.append(f"{self.iri(p, predicate=True)} {text}")
        return (" ;\n" + " " * indent).join(parts)

    def block(self, subject: Term) -> str:
        """The statement for one top-level subject, ending in `` .``."""
        anonymous = isinstance(subject, ox.BlankNode) and subject not in self.labels
        head = "[]" if anonymous else self.term(subject, 0)
        if not self.index.get(subject):
            return ""
        return f"{head} {self.predicates(subject, 4)} .\n"

    def sort_key(self, subject: Term) -> tuple[int, str]:
        if isinstance(subject, ox.NamedNode):
            return (0, self.iri(subject))
        return (1, self.block(subject))

    def prefix_block(self) -> str:
        return "".join(f"@prefix {n}: <{self.prefixes[n]}> .\n" for n in sorted(self.used))


def render_subjects(triples: Iterable[ox.Triple], prefixes: Mapping[str, str]) -> str:
    """Subject blocks (no prefix block) of ``triples`` in the canonical layout, separated by blank lines."""
    writer = Writer(triples, prefixes)
    return "\n".join(writer.block(s) for s in sorted(writer.roots(), key=writer.sort_key))


@dataclass
class _Section:
    heading: list[str]
    subjects: list[Term]


def _comment_runs(comments: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    runs: list[list[tuple[int, str]]] = []
    for line, text in comments:
        if runs and runs[-1][-1][0] == line - 1:
            runs[-1].append((line, text))
        else:
            runs.append([(line, text)])
    return runs


def format_document(doc: Document) -> str:
    """The canonical text of a parsed document (see the module docstring for the layout and comment rules).
    Raises :class:`TurtleError` at the first node nested deeper than :data:`MAX_NESTING`.

    A date written once in its precision gets the kg:precision, kg:earliest and kg:latest it lacks
    (:func:`kg.curation.dates.derive_bounds`); bounds already written are never changed."""
    writer = Writer(derive_bounds(o.triple for o in doc.triples), doc.prefixes)
    deep = writer.too_deep()
    if deep is not None:
        at = doc.bnodes.get(deep, doc.statements[0].start if doc.statements else None)
        raise TurtleError(f"blank nodes and lists are nested more than {MAX_NESTING} levels deep here, deeper than "
                          "kg fmt lays out (give the inner nodes labels such as _:b1)",
                          at.line if at else 1, at.column if at else 1)
    roots = set(writer.roots())
    runs = _comment_runs(doc.comments)
    sections: list[_Section] = [_Section([], [])]
    attached: dict[Term, list[str]] = defaultdict(list)
    placed: set[Term] = set()
    run_i = 0
    for i, st in enumerate(doc.statements):
        detached: list[list[str]] = []
        own: list[str] = []
        while run_i < len(runs) and runs[run_i][-1][0] < st.start.line:
            run = runs[run_i]
            lines = [t for _, t in run]
            prev_end = doc.end_lines[i - 1] if i else 0
            if run[0][0] <= prev_end:
                pass  # a comment inside the previous statement: dropped (documented)
            elif run[-1][0] == st.start.line - 1:
                own = lines
            else:
                detached.append(lines)
            run_i += 1
        if detached:
            heading = [line for run in detached for line in [*run, ""]][:-1]
            if i == 0:
                sections[0].heading = heading
            else:
                sections.append(_Section(heading, []))
        subject = st.subject
        if subject in roots and subject not in placed:
            placed.add(subject)
            sections[-1].subjects.append(subject)
        if own and subject in roots:
            attached[subject].extend(own)
    trailing = [t for run in runs[run_i:] for t in run if not doc.end_lines or run[0][0] > doc.end_lines[-1]]
    sections[-1].subjects.extend(s for s in sorted(roots - placed, key=writer.sort_key))

    body: list[str] = []
    for section in sections:
        chunk = ""
        if section.heading:
            chunk += "".join(line + "\n" for line in section.heading) + "\n"
        blocks = []
        for subject in sorted(section.subjects, key=writer.sort_key):
            text = writer.block(subject)
            if text:
                blocks.append("".join(c + "\n" for c in attached.get(subject, [])) + text)
        chunk += "\n".join(blocks)
        if chunk:
            body.append(chunk.rstrip("\n") + "\n")
    if trailing:
        body.append("".join(t + "\n" for t in trailing))
    prefix_block = writer.prefix_block()
    out = "\n".join(part for part in [prefix_block, *body] if part)
    return out


def format_text(text: str, *, base: str | None = None) -> str:
    """The canonical layout of Turtle ``text``; raises :class:`kg.turtle.parser.TurtleError` if it does not parse."""
    return format_document(parse_turtle(text, base=base))


@dataclass(frozen=True)
class FmtResult:
    """What ``fmt_paths`` did: files not in the canonical layout (rewritten unless checking), files already
    canonical, and a finding for each file left untouched: ``syntax`` when it does not parse, ``changed`` when
    another writer changed it while it was being formatted."""

    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    findings: tuple[Finding, ...]


def fmt_paths(paths: Sequence[Path | str] | None = None, *, check: bool = False,
              settings: Settings | None = None) -> FmtResult:
    """Format ``paths`` (default: the Turtle files of ``ontology/``, ``shapes/`` and ``data/``) in place, or with
    ``check`` only report which are not canonical. :class:`InputError` for a missing, unreadable or non-Turtle
    path."""
    settings = settings or Settings()
    roots = ([settings.ontology_dir, settings.shapes_dir, settings.data_dir] if paths is None
             else [Path(p) for p in paths])
    files = expand([r for r in roots if paths is not None or r.is_dir()], {".ttl"})
    changed: list[str] = []
    unchanged: list[str] = []
    findings: list[Finding] = []
    for path in files:
        if path.suffix != ".ttl":
            raise InputError(f"{path}: kg fmt rewrites Turtle files (.ttl) only", path=str(path))
        shown = display(path, settings.root)
        try:
            data = read_bytes(path, limit=settings.max_file_bytes)
            text = decode(data, path)
        except InputError as err:
            if err.details.get("line") is None:
                raise
            findings.append(Finding.from_error(err, shown))
            continue
        try:
            list(ox.parse(input=data, format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()))
            formatted = format_text(text, base=path.resolve().as_uri())
        except SyntaxError as err:
            findings.append(Finding.from_error(rdf_syntax_error(err, path), shown))
            continue
        except MemoryError as err:  # a token longer than the engine reads
            limit = engine_limit_error(err, path, text)
            if not isinstance(limit, RdfSyntaxError):
                raise limit from None
            findings.append(Finding.from_error(limit, shown))
            continue
        except TurtleError as err:
            findings.append(Finding(shown, err.line, err.column, "error", "syntax", err.message))
            continue
        if formatted == text:
            unchanged.append(shown)
            continue
        if not check:
            try:
                write_atomic(path, formatted, unchanged=data)
            except FileChanged as err:
                findings.append(Finding(shown, 1, 1, "error", "changed", err.message.partition(": ")[2]))
                continue
        changed.append(shown)
    return FmtResult(tuple(changed), tuple(unchanged), tuple(sorted(findings)))
