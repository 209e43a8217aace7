"""``check(paths=None, *, settings=None) -> Report``: validate Turtle files against the ontology, the shapes, the
seed texts and the rest of the graph, and say where each problem is written.

* ``check()`` (no paths) is the full run: every file of ``data/`` is checked, with ``ontology/`` as context.
* ``check(paths)`` is incremental: the given files (folders expand to their ``.ttl``/``.nt`` files) are checked
  within the whole graph (``ontology/`` and the other files of ``data/``), so a new claim may refer to an actor
  described elsewhere. Only what the files touch is validated (see :mod:`kg.check.engine_rules`); the rest of
  the graph is context and never revalidated. With a store directory (``settings.store_dir``, ``KG_STORE_DIR``,
  ``--store-dir``) the context comes from the persisted store that shares most files with the current data
  (built once when there is none), and only the files that changed since are parsed.

Rules (stable ids, :data:`RULES`): ``syntax``, ``shacl``, ``vocabulary``, ``source-text``, ``references``,
``duplicates``, ``dates``, ``consistency``, ``iri-scheme``. A file that does not parse is a ``syntax``
finding; the other files are still checked. Raises :class:`kg.errors.InputError` for a path that does not exist,
is not a regular file or cannot be read, and :class:`kg.errors.RdfSyntaxError` when the shapes themselves do not
parse.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from kg.check.report import Report, Rule
from kg.check.workspace import CHECKABLE, Workspace
from kg.errors import InputError, KgError, UsageError
from kg.files import expand
from kg.graph import RDF_EXTENSIONS, graph_iri
from kg.settings import Settings

RULES: tuple[Rule, ...] = (
    Rule("syntax", "Turtle that does not parse (file, line, column and the parser's message), bytes that are not "
                   "UTF-8, a literal longer than kg check accepts, a literal, IRI or comment longer than the RDF "
                   "engine reads (16 MiB), or a file larger than KG_CHECK_MAX_BYTES."),
    Rule("shacl", "A shape of shapes/ is violated: severity, focus node and its label, path, value and message."),
    Rule("vocabulary", "A kg: term the ontology does not declare, a misspelled term of a known vocabulary (PROV, "
                       "ORG, oa:, SKOS, OWL-Time, schema.org, RDF, OWL, XSD), or a property used as a class or "
                       "the reverse; suggests the closest declared term."),
    Rule("source-text", "A quote, prefix or suffix that differs from its seed file at its offsets, or a seed file "
                        "that is missing, outside seeds/, or differs from the recorded kg:sha256 or kg:text."),
    Rule("references", "An entity IRI (kgr:) used as an object but described nowhere in ontology/ or data/."),
    Rule("duplicates", "Two claims with the same claimant, indicator, value and stated date (an error in one "
                       "document, a warning across documents unless both name the same kg:generatedBy act: one "
                       "statement relayed twice); two nodes with the same label and type (warning)."),
    Rule("dates", "A date marked kg:Stated whose kg:earliest/kg:latest are narrower than its value (a month "
                  "bounded to half of it): narrowing is a reading of the context, kg:Inferred or kg:External."),
    Rule("consistency", "An inconsistency of the OWL 2 RL closure, such as a node in two disjoint classes, "
                        "explained by the triples that cause it."),
    Rule("iri-scheme", "A javascript: or data: IRI (or xsd:anyURI literal) anywhere in a triple: it runs script "
                       "or carries a document of its own where a page shows it as a link (warning)."),
)


def _reuse_store(ws: Workspace) -> int | None:
    """Open the persisted store closest to the current data as the workspace's base layer, serving the graphs
    of the files it holds unchanged; returns the lock that keeps it from being pruned meanwhile. Raises
    :class:`UsageError` naming the setting when the store directory cannot be used."""
    from kg.store import cached_sources, closest_store, ensure_store, hold

    lock = None
    try:
        sources = cached_sources(ws.settings)
        found = closest_store(ws.settings, sources)
        if found is None:
            try:
                # the checker reads the files' graphs only: no inferred graph to pay for (kg.reasoning)
                ensure_store(ws.settings.replace(reasoning="none"), sources=sources)
            except KgError:  # some file does not parse: no store for this version; the loaders report the file
                return None
            found = closest_store(ws.settings, sources)
            if found is None:  # this version's store was built from another root: parse everything
                return None
        path, recorded = found
        lock = hold(path)
        ws.base = ox.Store.read_only(str(path))
    except OSError as err:
        if lock is not None:
            os.close(lock)
        raise UsageError(f"{ws.settings.store_dir}: cannot use as the store directory ({err.strerror or err}; "
                         "KG_STORE_DIR, --store-dir)", path=str(ws.settings.store_dir)) from None
    # A dataset file (TriG, N-Quads) keeps its own graph names in the store: always parsed, never served.
    ws.served = {ox.NamedNode(s.graph) for s in sources if recorded.get(s.graph) == s.sha256
                 and RDF_EXTENSIONS.get(s.path.suffix.lower()) not in ("trig", "nquads")}
    return lock


def check(paths: Sequence[Path | str] | None = None, *, settings: Settings | None = None) -> Report:
    """Check ``paths`` within the whole graph (incremental), or all of ``data/`` when ``paths`` is None (full).

    Returns a sorted :class:`Report`; raises :class:`InputError` (CLI exit 2) for a missing or unreadable path
    or a file whose extension is not Turtle.
    """
    from kg.check.date_rules import dates
    from kg.check.engine_rules import consistency, shacl_findings
    from kg.check.graph_rules import duplicates, references, source_text, vocabulary
    from kg.check.iri_rules import iri_schemes

    settings = settings or Settings()
    full = paths is None
    targets = expand([settings.data_dir] if full else [Path(p) for p in paths], CHECKABLE)
    for t in targets:
        if t.suffix not in CHECKABLE:
            raise InputError(f"{t}: kg check reads Turtle files (.ttl, .nt), not {t.suffix or 'this file'}",
                             path=str(t))
    ws = Workspace(settings=settings, full=full)
    lock = None
    try:
        if not full and settings.store_dir is not None:
            lock = _reuse_store(ws)
        for i, path in enumerate(targets):
            ws.load_checked(path, i)
        chosen = {t.resolve() for t in targets}
        for folder in (settings.ontology_dir, settings.data_dir):
            if not folder.is_dir():
                continue
            for path in expand([folder], RDF_EXTENSIONS):
                graph = ox.NamedNode(graph_iri(path, settings))
                if folder == settings.ontology_dir:
                    ws.ontology_graphs.add(graph)
                if path.resolve() in chosen:
                    continue
                if graph in ws.served:
                    ws.files[graph] = path
                else:
                    ws.load_context(path)
        # Where a node is described in several checked files, findings point into the first by path, whatever
        # the order the paths were given in.
        ws.checked.sort(key=lambda c: c.display)
        if any(c.doc.triples for c in ws.checked):
            for rule in (vocabulary, references, duplicates, source_text, dates, iri_schemes, shacl_findings,
                         consistency):
                rule(ws)
    finally:
        if lock is not None:
            os.close(lock)
    return Report(tuple(ws.findings), checked=tuple(ws.display(t) for t in targets),
                  mode="full" if full else "incremental", rules=RULES)
