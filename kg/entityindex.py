"""The index of entities by type, and a search of their labels.

:func:`index_query` lists every entity minted under the base (``<base>id/``) with its label and its most
specific types; the server runs it once per data version and keeps the :class:`Index` (the repository has a
few hundred entities; a synthetic graph of 100,000 claims a few hundred thousand, still small records).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from kg.namespaces import PREFIXES

#: Entities a search returns at most (a page, not the whole graph).
MAX_RESULTS = 200


def index_query(base: str) -> str:
    """Every labelled entity whose IRI starts ``<base>id/``, with each of its most specific types."""
    if re.search(r"[\"\\\s]", base):
        raise ValueError(f"not a usable base IRI: {base!r}")
    prefixes = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in ("rdfs", "skos"))
    return prefixes + f"""SELECT ?entity (SAMPLE(?l) AS ?label) ?type (SAMPLE(?tl) AS ?typeLabel)
WHERE {{
  ?entity a ?type .
  FILTER (STRSTARTS(STR(?entity), "{base}id/"))
  FILTER NOT EXISTS {{ ?entity a ?narrower . ?narrower rdfs:subClassOf+ ?type . FILTER (?narrower != ?type) }}
  OPTIONAL {{ ?entity rdfs:label|skos:prefLabel ?l FILTER (LANG(?l) = "" || LANGMATCHES(LANG(?l), "en")) }}
  OPTIONAL {{ ?type rdfs:label ?tl FILTER (LANG(?tl) = "" || LANGMATCHES(LANG(?tl), "en")) }}
}}
GROUP BY ?entity ?type"""


@dataclass(frozen=True)
class Entry:
    iri: str
    label: str
    types: tuple[str, ...]  # labels of its most specific types


@dataclass
class Index:
    """Entries by type label (sorted), and every entry once (for the search)."""

    by_type: dict[str, list[Entry]] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)

    def search(self, text: str, *, limit: int = MAX_RESULTS) -> tuple[list[Entry], int]:
        """Entries whose label (or IRI's local name) contains every word of ``text``, case and accents as
        typed aside; the best first (a label starting with the text, then shorter labels). Returns at most
        ``limit`` entries and the number that matched."""
        words = text.casefold().split()
        if not words:
            return [], 0
        found = [e for e in self.entries
                 if all(w in (e.label + " " + e.iri.rsplit("/", 1)[-1]).casefold() for w in words)]
        needle = text.casefold().strip()
        found.sort(key=lambda e: (not e.label.casefold().startswith(needle), len(e.label), e.label))
        return found[:limit], len(found)


def index_of(body: bytes) -> Index:
    """The :class:`Index` of the SPARQL JSON results of :func:`index_query`."""
    labels: dict[str, str] = {}
    types: dict[str, set[str]] = {}
    for b in json.loads(body)["results"]["bindings"]:
        iri = b["entity"]["value"]
        labels.setdefault(iri, b.get("label", {}).get("value") or iri.rsplit("/", 1)[-1])
        kind = b.get("typeLabel", {}).get("value") or re.split(r"[/#]", b["type"]["value"])[-1]
        types.setdefault(iri, set()).add(kind)
    entries = sorted((Entry(iri, labels[iri], tuple(sorted(types[iri]))) for iri in labels),
                     key=lambda e: (e.label.casefold(), e.iri))
    index = Index(entries=entries)
    for entry in entries:
        for kind in entry.types:
            index.by_type.setdefault(kind, []).append(entry)
    index.by_type = dict(sorted(index.by_type.items(), key=lambda kv: kv[0].casefold()))
    return index
