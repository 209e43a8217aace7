"""Fixes to pyLODE's documentation of the ontology, made on its output.

pyLODE 3.3 (later releases fail to import) has three faults on this ontology: it takes the page title from
the last SKOS concept scheme it meets (the four schemes' titles are run together into the header), it documents
none of the SKOS concepts (qualifiers, ranks, bases, precisions, attribution statuses), and its anchors are
sometimes a term's lower-cased label (``#court``) rather than its local name, so ``/ontology#Court`` from an
entity page lands at the top. :func:`fix` gives the page the ontology's own title, adds an anchor named by the
local name in front of every term pyLODE anchored otherwise, and appends a section documenting every concept
under its local name.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.namespaces import KG, OWL, RDF, RDFS, SKOS


@dataclass(frozen=True)
class Concept:
    local: str
    label: str
    notation: str
    definition: str
    scheme: str


def _text(store: ox.Store, subject: ox.NamedNode, predicate: str) -> str:
    values = [q.object for q in store.quads_for_pattern(subject, ox.NamedNode(predicate), None, None)]
    for value in values:  # English first
        if isinstance(value, ox.Literal) and value.language in (None, "en"):
            return value.value
    return values[0].value if values else ""


def _terms(store: ox.Store) -> tuple[str, dict[str, str], list[Concept]]:
    """The ontology's title, every kg: term's local name -> label, and the SKOS concepts of kg:."""
    title = ""
    for q in store.quads_for_pattern(None, ox.NamedNode(RDF + "type"), ox.NamedNode(OWL + "Ontology"), None):
        if isinstance(q.subject, ox.NamedNode):
            title = _text(store, q.subject, "http://purl.org/dc/terms/title") or _text(store, q.subject,
                                                                                      RDFS + "label")
    labels: dict[str, str] = {}
    concepts: list[Concept] = []
    concept_classes = {KG + c for c in ("Qualifier", "Rank", "Basis", "Precision", "AttributionStatus")}
    for q in store.quads_for_pattern(None, ox.NamedNode(RDF + "type"), None, None):
        subject = q.subject
        if not isinstance(subject, ox.NamedNode) or not subject.value.startswith(KG):
            continue
        local = subject.value[len(KG):]
        labels[local] = _text(store, subject, RDFS + "label") or _text(store, subject, SKOS + "prefLabel")
        if q.object.value in concept_classes or q.object.value == SKOS + "Concept":
            scheme = next((s.object.value for s in store.quads_for_pattern(
                subject, ox.NamedNode(SKOS + "inScheme"), None, None)), "")
            concepts.append(Concept(local, labels[local], _text(store, subject, SKOS + "notation"),
                                    _text(store, subject, SKOS + "definition"), scheme.removeprefix(KG)))
    unique = {c.local: c for c in concepts}
    return title, labels, sorted(unique.values(), key=lambda c: (c.scheme, c.local))


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def fix(page: str, ontology: Path) -> str:
    """``page`` (pyLODE's HTML of ``ontology``) with the ontology's title, an ``id`` equal to the local name for
    every ``kg:`` term and a "Concepts" section. Anchors are only added, never renamed: pyLODE's own links keep
    working."""
    store = ox.Store()
    store.load(path=str(ontology), format=ox.RdfFormat.TURTLE)
    title, labels, concepts = _terms(store)
    if title:
        page = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", page, count=1, flags=re.S)
        page = re.sub(r"<h1>.*?</h1>", f"<h1>{html.escape(title)}</h1>", page, count=1, flags=re.S)
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    documented = {c.local for c in concepts}
    for local, label in sorted(labels.items()):
        if local in ids or local in documented:
            continue
        for candidate in dict.fromkeys((local.lower(), _squash(label), _squash(local))):
            at = page.find(f'id="{candidate}"')
            if candidate and at >= 0:
                start = page.rfind("<", 0, at)
                page = page[:start] + f'<span id="{html.escape(local)}"></span>' + page[start:]
                ids.add(local)
                break
    section = ['<section id="concepts"><h2>Concepts (SKOS)</h2>',
               "<p>The values of the ontology's code lists, by scheme: qualifiers of a figure, ranks of a claim,"
               " bases and precisions of a date, attribution statuses.</p>"]
    scheme = None
    for c in concepts:
        if c.scheme != scheme:
            scheme = c.scheme
            anchor = "" if scheme in ids else f' id="{html.escape(scheme)}"'
            ids.add(scheme)
            section.append(f"<h3{anchor}>{html.escape(labels.get(scheme) or scheme)} <code>kg:{html.escape(scheme)}"
                           "</code></h3>")
        anchor = "" if c.local in ids else f' id="{html.escape(c.local)}"'
        section.append(
            f'<div class="concept"{anchor}><h4>{html.escape(c.label or c.local)} <code>kg:{html.escape(c.local)}'
            f"</code></h4><p>{html.escape(c.definition)}</p><p>notation <code>{html.escape(c.notation)}</code>"
            f" · scheme <code>kg:{html.escape(c.scheme)}</code></p></div>")
    section.append("</section>")
    # pyLODE's stylesheet lets long IRIs widen a narrow screen; wrap them as the project's pages do
    page = page.replace("</head>", "<style>a, code, td { overflow-wrap: anywhere; }</style></head>", 1)
    where = page.rfind("</body>")
    where = where if where >= 0 else len(page)
    return page[:where] + "\n".join(section) + page[where:]
