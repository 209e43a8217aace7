"""The canonical layout of terms and subject blocks (the writer behind ``kg fmt`` and ``kg span``): prefixed
names, literals exact and escaped per Turtle §6.4, predicates in a fixed order, objects sorted, blank nodes used
once written inline as ``[ ... ]`` and RDF lists as ``( ... )``, to any depth (see :meth:`Writer.render`).
:mod:`kg.turtle.canonical` lays out whole files with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from itertools import pairwise

import pyoxigraph as ox

from kg.namespaces import BARE_LITERALS, RDFS, XSD
from kg.turtle.names import shorten
from kg.turtle.parser import RDF_FIRST, RDF_NIL, RDF_REST, RDF_TYPE, Term

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
