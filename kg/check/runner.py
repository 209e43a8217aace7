"""``check(paths=None, *, settings=None) -> Report``: validate Turtle files against the ontology, the shapes, the
seed texts and the rest of the graph, and say where each problem is written.

* ``check()`` (no paths) is the full run: every file of ``data/`` is checked, with ``ontology/`` as context.
* ``check(paths)`` is incremental: the given files (folders expand to their ``.ttl``/``.nt`` files) are checked
  within the whole graph (``ontology/`` and the other files of ``data/``), so a new claim may refer to an actor
  described elsewhere. Only what the files touch is validated (see :mod:`kg.reasoning`); the rest of the graph is
  loaded with pyoxigraph as context and never revalidated.

Rules (stable ids, :data:`RULES`): ``syntax``, ``shacl``, ``vocabulary``, ``source-text``, ``references``,
``duplicates``, ``consistency``. A file that does not parse is a ``syntax`` finding; the other files are still
checked. Raises :class:`kg.errors.InputError` for a path that does not exist or cannot be read, and
:class:`kg.errors.RdfSyntaxError` when the shapes themselves do not parse.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.check.report import Finding, Report, Rule
from kg.errors import InputError
from kg.graph import OX_FORMATS, RDF_EXTENSIONS, format_of, graph_iri, read_bytes, syntax_message
from kg.namespaces import PREFIXES, RDFS
from kg.settings import Settings
from kg.turtle.locations import Located
from kg.turtle.parser import Pos, Term, TurtleError, parse_turtle

RULES: tuple[Rule, ...] = (
    Rule("syntax", "Turtle that does not parse (file, line, column and the parser's message), bytes that are not "
                   "UTF-8, or a literal longer than kg check accepts."),
    Rule("shacl", "A shape of shapes/ is violated: severity, focus node and its label, path, value and message."),
    Rule("vocabulary", "A kg: term the ontology does not declare, a misspelled term of a known vocabulary (PROV, "
                       "ORG, oa:, SKOS, OWL-Time, schema.org, RDF, OWL, XSD), or a property used as a class or "
                       "the reverse; suggests the closest declared term."),
    Rule("source-text", "A quote, prefix or suffix that differs from its seed file at its offsets, or a seed file "
                        "that is missing, outside seeds/, or differs from the recorded kg:sha256 or kg:text."),
    Rule("references", "An entity IRI (kgr:) used as an object but described nowhere in ontology/ or data/."),
    Rule("duplicates", "Two claims with the same claimant, indicator, value and stated date (an error in one "
                       "document, a warning across documents); two nodes with the same label and type (warning)."),
    Rule("consistency", "An inconsistency of the OWL 2 RL closure (owlrl), such as a node in two disjoint "
                        "classes, explained by the triples that cause it."),
)

#: Longest literal accepted (code points). A seed article is tens of thousands of characters; a literal of
#: megabytes is a pasted binary or a truncated file, and would make every string check slow.
MAX_LITERAL = 1_000_000
#: Files ``kg check`` can locate findings in (N-Triples is a subset of Turtle).
CHECKABLE = {".ttl", ".nt"}


@dataclass
class Workspace:
    """Everything one ``check`` run has loaded: the store (one named graph per file), the checked files with
    their positions, and the findings so far. Rules read it and return findings."""

    settings: Settings
    full: bool
    store: ox.Store = field(default_factory=ox.Store)
    checked: list[Located] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: dict[ox.NamedNode, Path] = field(default_factory=dict)
    ontology_graphs: set[ox.NamedNode] = field(default_factory=set)
    _lazy: dict[ox.NamedNode, Located | None] = field(default_factory=dict)
    _labels: dict[Term, str] = field(default_factory=dict)

    # --- paths and terms as curators read them ---

    def display(self, path: Path) -> str:
        """``path`` relative to the repository root when inside it, else as given."""
        try:
            return path.resolve().relative_to(self.settings.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def curie(self, term: Term | None) -> str:
        if term is None:
            return ""
        if isinstance(term, ox.NamedNode):
            best = max(((p, ns) for p, ns in PREFIXES.items() if term.value.startswith(ns)),
                       key=lambda x: len(x[1]), default=None)
            return f"{best[0]}:{term.value[len(best[1]):]}" if best else f"<{term.value}>"
        if isinstance(term, ox.BlankNode):
            return f"_:{term.value}"
        return str(term)

    def label(self, term: Term) -> str:
        """The node's ``rdfs:label`` (English preferred), or ``""``."""
        if term not in self._labels:
            best = ""
            for q in self.store.quads_for_pattern(term, ox.NamedNode(RDFS + "label"), None, None):
                lit = q.object
                if isinstance(lit, ox.Literal) and (not best or lit.language == "en"):
                    best = lit.value
            self._labels[term] = best
        return self._labels[term]

    def describe(self, term: Term) -> str:
        """A curator's name for a node: its CURIE, or for a blank node its type and the triple that holds it."""
        if not isinstance(term, ox.BlankNode):
            return self.curie(term)
        kinds = sorted(self.curie(q.object) for q in self.store.quads_for_pattern(
            term, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), None, None))
        what = f"the {kinds[0]}" if kinds else "the blank node"
        for q in self.store.quads_for_pattern(None, None, term, None):
            holder = q.subject
            if isinstance(holder, ox.BlankNode):
                return f"{what} in {self.describe(holder)}"
            return f"{what} of {self.curie(holder)} {self.curie(q.predicate)}"
        return what

    # --- locations ---

    def _context_file(self, graph: ox.NamedNode) -> Located | None:
        """A context file parsed with positions on demand (only when a finding must point into it)."""
        if graph not in self._lazy:
            path = self.files[graph]
            located = None
            if path.suffix in CHECKABLE:
                try:
                    text = read_bytes(path).decode("utf-8")
                    located = Located(path, self.display(path), graph,
                                      parse_turtle(text, base=path.resolve().as_uri(), tag="ctx"))
                except (InputError, UnicodeDecodeError, TurtleError):
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
            for q in self.store.quads_for_pattern(None, None, term, None):
                return self.locate_triple(q.subject, q.predicate, term)
            return None
        for q in self.store.quads_for_pattern(term, None, None, None):
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
            for q in self.store.quads_for_pattern(s, p, o, None):
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
        """Parse a checked file with positions; a syntax problem becomes a finding and the file is skipped."""
        data = read_bytes(path)
        display, graph = self.display(path), ox.NamedNode(graph_iri(path, self.settings))
        self.files[graph] = path
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            line = data[:err.start].count(b"\n") + 1
            col = len(data[data.rfind(b"\n", 0, err.start) + 1:err.start].decode("utf-8", "replace")) + 1
            self.findings.append(Finding(display, line, col, "error", "syntax",
                                         f"not UTF-8 text: byte 0x{data[err.start]:02x} cannot be decoded "
                                         "(is the file Latin-1 or binary? save it as UTF-8)"))
            return
        try:
            reference = list(ox.parse(input=data, format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()))
        except SyntaxError as err:
            self.findings.append(Finding(display, err.lineno or 1, err.offset or 1, "error", "syntax",
                                         syntax_message(err)))
            return
        try:
            doc = parse_turtle(text, base=path.resolve().as_uri(), tag=f"c{index}x")
        except TurtleError as err:  # pyoxigraph accepted it: a limit of our positional parser, not the file's
            self.findings.append(Finding(display, err.line, err.column, "warning", "syntax",
                                         f"kg check's positional parser cannot read this file ({err.message}); "
                                         "it is loaded as context only, its own triples are not checked"))
            self.store.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in reference)
            return
        located = Located(path, display, graph, doc)
        for occ in doc.triples:
            lit = occ.triple.object
            if isinstance(lit, ox.Literal) and len(lit.value) > MAX_LITERAL:
                self.findings.append(Finding(
                    display, occ.object.line, occ.object.column, "error", "syntax",
                    f"a literal of {len(lit.value):,} characters is longer than the {MAX_LITERAL:,} kg check "
                    "accepts (a pasted binary or a truncated file?); the file is not validated further"))
                return
        self.store.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in located.triples)
        self.checked.append(located)

    def load_context(self, path: Path) -> None:
        """Load a file of the rest of the graph (no positions); a syntax error is still reported."""
        data = read_bytes(path)
        graph = ox.NamedNode(graph_iri(path, self.settings))
        self.files[graph] = path
        try:
            triples = list(ox.parse(input=data, format=OX_FORMATS[format_of(path)],
                                    base_iri=path.resolve().as_uri()))
        except SyntaxError as err:
            self.findings.append(Finding(self.display(path), err.lineno or 1, err.offset or 1, "error", "syntax",
                                         syntax_message(err)))
            return
        self.store.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)


def expand_files(paths: Iterable[Path], extensions: Iterable[str]) -> list[Path]:
    """Files as given; folders expanded recursively to files with ``extensions``, sorted. InputError if missing."""
    wanted = set(extensions)
    out: list[Path] = []
    for p in paths:
        if not p.exists():
            kind = "a broken symbolic link" if p.is_symlink() else "no such file or directory"
            raise InputError(f"{p}: {kind}", path=str(p))
        if p.is_dir():
            try:
                out.extend(sorted(f for f in p.rglob("*") if f.suffix in wanted and f.is_file()))
            except OSError as err:
                raise InputError(f"{p}: cannot read the folder ({err.strerror})", path=str(p)) from None
        else:
            out.append(p)
    return out


def check(paths: Sequence[Path | str] | None = None, *, settings: Settings | None = None) -> Report:
    """Check ``paths`` within the whole graph (incremental), or all of ``data/`` when ``paths`` is None (full).

    Returns a sorted :class:`Report`; raises :class:`InputError` (CLI exit 2) for a missing or unreadable path
    or a file whose extension is not Turtle.
    """
    from kg.check.engine_rules import consistency, shacl_findings
    from kg.check.graph_rules import duplicates, references, source_text, vocabulary

    settings = settings or Settings()
    full = paths is None
    targets = expand_files([settings.data_dir] if full else [Path(p) for p in paths], CHECKABLE)
    for t in targets:
        if t.suffix not in CHECKABLE:
            raise InputError(f"{t}: kg check reads Turtle files (.ttl, .nt), not {t.suffix or 'this file'}",
                             path=str(t))
    ws = Workspace(settings=settings, full=full)
    chosen = {t.resolve() for t in targets}
    for i, path in enumerate(targets):
        ws.load_checked(path, i)
    for folder in (settings.ontology_dir, settings.data_dir):
        if not folder.is_dir():
            continue
        for path in expand_files([folder], RDF_EXTENSIONS):
            if path.resolve() not in chosen:
                ws.load_context(path)
                if folder == settings.ontology_dir:
                    ws.ontology_graphs.add(ox.NamedNode(graph_iri(path, settings)))
        if folder == settings.ontology_dir:
            ws.ontology_graphs |= {c.graph for c in ws.checked if settings.ontology_dir.resolve() in
                                   c.path.resolve().parents}
    # Where a node is described in several checked files, findings point into the first by path, whatever the
    # order the paths were given in.
    ws.checked.sort(key=lambda c: c.display)
    if any(c.doc.triples for c in ws.checked):
        for rule in (vocabulary, references, duplicates, source_text, shacl_findings, consistency):
            rule(ws)
    return Report(tuple(ws.findings), checked=tuple(ws.display(t) for t in targets),
                  mode="full" if full else "incremental", rules=RULES)
