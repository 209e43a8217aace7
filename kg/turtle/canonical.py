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
#: Nesting levels of inline ``[ ]`` that get their own indent (8 columns a level). Nodes nested deeper are written
#: at the indent of this level, so a file nested thousands of levels deep is written back in a size linear in its
#: own, where an indent growing without end would make it quadratic (5,000 levels: about 100 MB of spaces).
INDENT_LEVELS = 100
_INDENT_CAP = 4 + 8 * INDENT_LEVELS
#: A rendering whose parts are joined once, at the end: a node nested n levels deep is not copied n times.
Piece = str | list["Piece"]
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
        self._lists: dict[Term, list[Term] | None] = {}
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
        """The items of the RDF list starting at ``node`` if it can be written as ``( ... )``, else None.

        Remembered: a list that cannot be written so fails for every node walked before the fault too (each such
        node's rest contains it), so a long list that is not a collection, written as nested ``[ ]``, costs one
        walk, not one a level."""
        head = node
        items: list[Term] = []
        walked: list[Term] = []
        seen: set[Term] = set()
        while node != RDF_NIL:
            if node in self._lists:  # the rest of this list was walked before
                rest = self._lists[node]
                if rest is not None:
                    items += rest
                    node = RDF_NIL
                break
            props = self.index.get(node, {})
            if (not self.inline(node) or node in seen or set(props) != {RDF_FIRST, RDF_REST}
                    or len(props[RDF_FIRST]) != 1 or len(props[RDF_REST]) != 1):
                break
            walked.append(node)
            seen.add(node)
            items.append(next(iter(props[RDF_FIRST])))
            node = next(iter(props[RDF_REST]))
        if node != RDF_NIL:
            self._lists.update(dict.fromkeys([*walked, head], None))
            return None
        self._lists[head] = items
        return items

    def leaf(self, node: Term) -> str | None:
        """The text of a term that holds no other term (an IRI, a literal, a labelled or empty blank node);
        None for an inline list or property list, which :meth:`render` lays out."""
        if isinstance(node, ox.NamedNode):
            return "()" if node == RDF_NIL else self.iri(node)
        if isinstance(node, ox.Literal):
            return self.literal(node)
        if node in self.labels:
            return f"_:{self.labels[node]}"
        if self.collection(node) is None and not self.index.get(node):
            return "[]"
        return None

    def render(self, starts: Iterable[tuple[Term, int]]) -> dict[Term, Piece]:
        """The rendering of every inline node written below ``starts`` (nodes with the indent of the line they are
        written on), without recursion, so any depth the parser reads is written back.

        Inline nodes form a forest (a node used twice, or a cycle no root reaches, has a label), so a preorder
        walk lists each once, below its parent; composing in reverse preorder finds every child already done."""
        order: list[tuple[Term, int, list[Term] | None]] = []
        stack = [(node, indent) for node, indent in starts if self.leaf(node) is None]
        while stack:
            node, indent = stack.pop()
            items = self.collection(node)
            order.append((node, indent, items))
            # a list's items are written on its line; a property list's objects one indent further in
            children = ([(i, indent) for i in items] if items is not None else
                        [(o, min(indent + 8, _INDENT_CAP)) for objs in self.index[node].values() for o in objs])
            stack.extend(c for c in children if self.leaf(c[0]) is None)
        done: dict[Term, Piece] = {}
        for node, indent, items in reversed(order):
            if items is not None:
                parts: list[Piece] = ["("]
                for item in items:
                    parts += [" ", self._piece(item, done)]
                done[node] = [*parts, " )"]
            else:
                done[node] = ["[ ", self.predicates(node, min(indent + 8, _INDENT_CAP), done), " ]"]
        return done

    def _piece(self, node: Term, done: Mapping[Term, Piece]) -> Piece:
        text = self.leaf(node)
        return done[node] if text is None else text

    def _opens_block(self, node: Term) -> bool:
        """Whether ``node`` is written as ``[ ... ]`` with properties, which goes on a line of its own."""
        return self.leaf(node) is None and self.collection(node) is None

    # --- blocks ---

    def predicate_order(self, node: Term) -> list[ox.NamedNode]:
        def key(p: ox.NamedNode) -> tuple[int, str]:
            if p == RDF_TYPE:
                return (0, "")
            if p.value == RDFS_LABEL:
                return (1, "")
            return (2, self.iri(p))
        return sorted(self.index[node], key=key)

    def predicates(self, node: Term, indent: int, done: Mapping[Term, Piece]) -> Piece:
        """``p o1, o2 ;\n<indent>q o3`` for every predicate of ``node``, its nested objects taken from ``done``."""
        parts: list[Piece] = []
        for p in self.predicate_order(node):
            objects = [(self._piece(o, done), self._opens_block(o)) for o in self.index[node][p]]
            if len(objects) > 1:
                objects.sort(key=lambda rendered: flatten(rendered[0]))
            text: list[Piece] = [self.iri(p, predicate=True), " ", objects[0][0]]
            for (_, prev_block), (cur, cur_block) in pairwise(objects):
                text += [" ,\n" + " " * (indent + 4) if prev_block or cur_block else ", ", cur]
            parts += [" ;\n" + " " * indent, text] if parts else [text]
        return parts

    def block(self, subject: Term) -> str:
        """The statement for one top-level subject, ending in `` .``."""
        if not self.index.get(subject):
            return ""
        anonymous = isinstance(subject, ox.BlankNode) and subject not in self.labels
        head = "[]" if anonymous else self._piece(subject, {})
        done = self.render((o, 4) for objs in self.index[subject].values() for o in objs)
        return f"{flatten(head)} {flatten(self.predicates(subject, 4, done))} .\n"

    def sort_key(self, subject: Term) -> tuple[int, str]:
        if isinstance(subject, ox.NamedNode):
            return (0, self.iri(subject))
        return (1, self.block(subject))

    def prefix_block(self) -> str:
        return "".join(f"@prefix {n}: <{self.prefixes[n]}> .\n" for n in sorted(self.used))


def flatten(piece: Piece) -> str:
    """The text of ``piece``, joined with an explicit stack (a piece nests as deep as the file)."""
    out: list[str] = []
    stack = [piece]
    while stack:
        top = stack.pop()
        if isinstance(top, str):
            out.append(top)
        else:
            stack.extend(reversed(top))
    return "".join(out)


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

    A date written once in its precision gets the kg:precision, kg:earliest and kg:latest it lacks
    (:func:`kg.curation.dates.derive_bounds`); bounds already written are never changed."""
    writer = Writer(derive_bounds(o.triple for o in doc.triples), doc.prefixes)
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
