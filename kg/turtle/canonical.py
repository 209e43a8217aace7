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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.check.report import Finding
from kg.curation.dates import derive_bounds
from kg.errors import FileChanged, InputError, RdfSyntaxError
from kg.files import decode, display, expand, read_bytes, write_atomic
from kg.graph import rdf_syntax_error
from kg.settings import Settings
from kg.turtle.layout import Writer, quote, render_subjects
from kg.turtle.lexer import engine_limit_error
from kg.turtle.parser import Document, Term, TurtleError, parse_turtle

#: The names other modules take from here (the layout of terms lives in :mod:`kg.turtle.layout`).
__all__ = ["FmtResult", "fmt_paths", "format_document", "format_text", "quote", "render_subjects"]


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
