"""The :class:`Workspace` every rule of ``kg check`` reads: the graph (one named graph per file), the checked
files with the positions of their terms, and the findings so far.

The graph is two layers. ``store`` is in memory and holds what this run parsed: the checked files, and the
context files that changed since the persisted store was built. ``base`` is that persisted store (opened
read-only; see :mod:`kg.store`), of which only the graphs in ``served`` are read: those of files that are
unchanged since and not being checked (an allow-list, so the graphs of a changed, removed or dataset file can
never leak through). Rules ask :meth:`Workspace.quads`, which answers from both, so a check with a store
directory parses only what changed, and costs what the addition costs rather than what the graph costs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.check.report import Finding
from kg.errors import InputError, KgError
from kg.files import decode, display, read_bytes, read_text
from kg.graph import OX_FORMATS, format_of, graph_iri, rdf_syntax_error
from kg.namespaces import PREFIXES, RDF, RDFS
from kg.settings import Settings
from kg.turtle.lexer import engine_limit_error
from kg.turtle.locations import Located
from kg.turtle.names import curie
from kg.turtle.parser import Pos, Term, TurtleError, parse_turtle

#: Longest literal accepted (code points). A seed article is tens of thousands of characters; a literal of
#: megabytes is a pasted binary or a truncated file, and would make every string check slow.
MAX_LITERAL = 1_000_000
#: Files ``kg check`` can locate findings in (N-Triples is a subset of Turtle).
CHECKABLE = {".ttl", ".nt"}

#: Holders named in a blank node's name before the rest is summed up as "further blank nodes".
_NAME_DEPTH = 6
_LABEL = ox.NamedNode(RDFS + "label")
_TYPE = ox.NamedNode(RDF + "type")


@dataclass
class Workspace:
    """Everything one ``check`` run reads. Rules read it and record findings with :meth:`add`."""

    settings: Settings
    full: bool
    store: ox.Store = field(default_factory=ox.Store)
    base: ox.Store | None = None
    served: set[ox.NamedNode] = field(default_factory=set)
    checked: list[Located] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: dict[ox.NamedNode, Path] = field(default_factory=dict)
    ontology_graphs: set[ox.NamedNode] = field(default_factory=set)
    _lazy: dict[ox.NamedNode, Located | None] = field(default_factory=dict)
    _labels: dict[Term, str] = field(default_factory=dict)

    # --- the graph ---

    def quads(self, s: Any = None, p: Any = None, o: Any = None, g: Any = None) -> Iterator[ox.Quad]:
        """Every quad matching the pattern (None matches anything; ``g`` a graph name), from both layers."""
        yield from self.store.quads_for_pattern(s, p, o, g)
        if self.base is not None:
            for q in self.base.quads_for_pattern(s, p, o, g):
                if q.graph_name in self.served:
                    yield q

    def has(self, s: Any = None, p: Any = None, o: Any = None) -> bool:
        """True when some quad matches the pattern."""
        return next(self.quads(s, p, o), None) is not None

    # --- paths and terms as curators read them ---

    def display(self, path: Path) -> str:
        return display(path, self.settings.root)

    def curie(self, term: Term | None) -> str:
        """A term as a curator reads it: a prefixed name, ``<iri>``, ``_:id`` or the literal in N-Triples."""
        if term is None:
            return ""
        if isinstance(term, ox.NamedNode):
            return curie(term.value, PREFIXES)
        if isinstance(term, ox.BlankNode):
            return f"_:{term.value}"
        return str(term)

    def label(self, term: Term) -> str:
        """The node's ``rdfs:label`` (English preferred), or ``""``."""
        if term not in self._labels:
            best = ""
            for q in self.quads(term, _LABEL):
                lit = q.object
                if isinstance(lit, ox.Literal) and (not best or lit.language == "en"):
                    best = lit.value
            self._labels[term] = best
        return self._labels[term]

    def node_name(self, term: Term) -> str:
        """A curator's name for a node: its CURIE, or for a blank node its type and the triple that holds it
        ("the kg:DateDescription in the kg:QuantityClaim of kgr:x kg:claims"), up to :data:`_NAME_DEPTH` holders
        (a walk, not a recursion: blank nodes may nest thousands deep, or in a cycle)."""
        if not isinstance(term, ox.BlankNode):
            return self.curie(term)
        names: list[str] = []
        node, seen = term, {term}
        while True:
            kinds = sorted(self.curie(q.object) for q in self.quads(node, _TYPE))
            what = f"the {kinds[0]}" if kinds else "the blank node"
            held = next(self.quads(None, None, node), None)
            if held is None:
                names.append(what)
                break
            if not isinstance(held.subject, ox.BlankNode):
                names.append(f"{what} of {self.curie(held.subject)} {self.curie(held.predicate)}")
                break
            names.append(what)
            if held.subject in seen or len(names) == _NAME_DEPTH:
                names.append("further blank nodes")
                break
            node = held.subject
            seen.add(node)
        return " in ".join(names)

    # --- locations ---

    def _context_file(self, graph: ox.NamedNode) -> Located | None:
        """A context file parsed with positions on demand (only when a finding must point into it)."""
        if graph not in self._lazy:
            path = self.files.get(graph)
            located = None
            if path is not None and path.suffix in CHECKABLE:
                try:
                    located = Located(path, self.display(path), graph,
                                      parse_turtle(read_text(path, limit=self.settings.max_file_bytes),
                                                  base=path.resolve().as_uri(), tag="ctx"))
                except (InputError, TurtleError):
                    located = None
            self._lazy[graph] = located
        return self._lazy[graph]

    def locate(self, term: Term) -> tuple[str, Pos] | None:
        """Where ``term`` is described: in a checked file first, else in the context file that describes it."""
        for f in self.checked:
            pos = f.subject(term)
            if pos is not None:
                return f.display, pos
        if isinstance(term, ox.BlankNode):
            # Context files were parsed without positions: point at the triple that holds the blank node.
            for q in self.quads(None, None, term):
                return self.locate_triple(q.subject, q.predicate, term)
            return None
        for q in self.quads(term):
            located = self._context_file(q.graph_name)  # type: ignore[arg-type]
            pos = located.subject(term) if located else None
            if located and pos:
                return located.display, pos
        return None

    def locate_triple(self, s: Term, p: ox.NamedNode, o: Term | None = None, *, part: str = "object"
                      ) -> tuple[str, Pos] | None:
        """Where ``(s, p, o)`` (any object when ``o`` is None) is written: its ``part`` token, else ``s``."""
        for f in self.checked:
            occ = f.triple(s, p, o)
            if occ is not None:
                return f.display, getattr(occ, part)
        if not isinstance(s, ox.BlankNode):
            for q in self.quads(s, p, o):
                located = self._context_file(q.graph_name)  # type: ignore[arg-type]
                occ = located.triple(s, p, o) if located else None
                if located and occ:
                    return located.display, getattr(occ, part)
        return self.locate(s)

    def add(self, rule: str, severity: str, message: str, where: tuple[str, Pos] | None, *,
            focus: Term | None = None, path: str = "", value: str = "") -> None:
        """Record a finding; one without a known place is put at line 1 of the first checked file."""
        if where is None:
            where = (self.checked[0].display if self.checked else "-", Pos(1, 1))
        file, pos = where
        self.findings.append(Finding(
            file=file, line=pos.line, column=pos.column, severity=severity, rule=rule, message=message,
            focus="" if focus is None else (f"_:{focus.value}" if isinstance(focus, ox.BlankNode) else
                                            str(focus.value)),
            label=self.label(focus) if focus is not None else "", path=path, value=value))

    # --- loading ---

    def load_checked(self, path: Path, index: int) -> None:
        """Parse a checked file with positions; a syntax problem becomes a finding and the file is skipped. A
        file larger than ``KG_CHECK_MAX_BYTES`` is neither read nor loaded (one finding naming the setting): its
        memory is what the setting bounds. The other files are still checked, without its triples (nor the
        persisted store's older copy of them)."""
        shown, graph = self.display(path), ox.NamedNode(graph_iri(path, self.settings))
        self.served.discard(graph)
        limit, size = self.settings.check_max_bytes, path.stat().st_size
        if size > limit:
            self.findings.append(Finding(
                shown, 1, 1, "error", "syntax",
                f"{size:,} bytes is larger than KG_CHECK_MAX_BYTES={limit:,}, the largest file kg check "
                "validates with positions (about 90 bytes of memory per byte of Turtle); split the file or raise "
                "the setting; it is not loaded, so the other files are checked without its triples"))
            return
        data = read_bytes(path, limit=self.settings.max_file_bytes)
        self.files[graph] = path
        try:
            text = decode(data, path)
        except InputError as err:
            self.findings.append(Finding.from_error(err, shown))
            return
        try:  # the engine's verdict first: its message is the one a curator can look up
            deque(ox.parse(input=data, format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()), maxlen=0)
        except (SyntaxError, ValueError) as err:
            self.findings.append(Finding.from_error(rdf_syntax_error(err, path), shown))
            return
        except MemoryError as err:  # a token longer than the engine reads: a finding at its line
            self.findings.append(Finding.from_error(_engine_limit(err, path, text), shown))
            return
        try:
            doc = parse_turtle(text, base=path.resolve().as_uri(), tag=f"c{index}x")
        except TurtleError as err:  # pyoxigraph accepted it: a limit of our positional parser, not the file's
            self.findings.append(Finding(shown, err.line, err.column, "warning", "syntax",
                                         f"kg check's positional parser cannot read this file ({err.message}); "
                                         "it is loaded as context only, its own triples are not checked"))
            self._load_quads(path, data, graph)
            return
        located = Located(path, shown, graph, doc)
        for occ in doc.triples:
            lit = occ.triple.object
            if isinstance(lit, ox.Literal) and len(lit.value) > MAX_LITERAL:
                self.findings.append(Finding(
                    shown, occ.object.line, occ.object.column, "error", "syntax",
                    f"a literal of {len(lit.value):,} characters is longer than the {MAX_LITERAL:,} kg check "
                    "accepts (a pasted binary or a truncated file?); the file is not validated further"))
                return
        self.store.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in located.triples)
        self.checked.append(located)

    def load_context(self, path: Path, data: bytes | None = None) -> None:
        """Load a file of the rest of the graph (no positions) into the in-memory layer, hiding the persisted
        store's copy of it; a syntax error is still reported. ``data``: its bytes, when already read."""
        graph = ox.NamedNode(graph_iri(path, self.settings))
        self.files[graph] = path
        self.served.discard(graph)
        if data is None:
            data = read_bytes(path, limit=self.settings.max_file_bytes)
        try:
            self._load_quads(path, data, graph)
        except (SyntaxError, ValueError) as err:
            self.findings.append(Finding.from_error(rdf_syntax_error(err, path), self.display(path)))
        except MemoryError as err:
            self.findings.append(Finding.from_error(_engine_limit(err, path, data), self.display(path)))

    def _load_quads(self, path: Path, data: bytes, graph: ox.NamedNode) -> None:
        """Every triple of ``data`` into ``graph`` of the in-memory layer, all or none, parsed in Rust (no Python
        object per triple, so a large context file costs what the store costs); the engine's errors propagate."""
        fmt, base = OX_FORMATS[format_of(path)], path.resolve().as_uri()
        if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):  # every graph of a dataset file into the file's graph
            self.store.extend(ox.Quad(t.subject, t.predicate, t.object, graph)
                              for t in ox.parse(input=data, format=fmt, base_iri=base))
        else:
            self.store.load(input=data, format=fmt, base_iri=base, to_graph=graph)


def _engine_limit(err: MemoryError, path: Path, data: bytes | str) -> KgError:
    """The located error for the engine's token limit; any other :class:`MemoryError` is raised again."""
    found = engine_limit_error(err, path, data)
    if not isinstance(found, KgError):
        raise found
    return found
