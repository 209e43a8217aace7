"""The example catalogue and the results of the query page as people read them.

Each bundled ``kg/queries/*.rq`` opens with comment lines: the first is its title, the next (until a blank
comment line, a column list indented under ``#   `` or the first line of SPARQL) its description. A result cell
shows an IRI by its label (or its prefixed name) and a literal by its lexical form; the raw term goes in the
cell's ``title``. Columns of ``SELECT *`` come in the order their variables first appear in the query, as a
reader wrote them (the engine's order is not that).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from kg.query import _OPAQUE

_STAR = re.compile(r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?\*", re.IGNORECASE)
_VARIABLE = re.compile(r"[?$]([A-Za-z_][A-Za-z0-9_]*)")
#: At most this many IRIs of a result are looked up for labels (one query, bounded like a page).
MAX_LABELS = 2000


@dataclass(frozen=True)
class Example:
    """A bundled query: its file name without ``.rq``, title, description and text."""

    name: str
    title: str
    description: str
    text: str

    @property
    def run_href(self) -> str:
        """The query page running this example (a permalink)."""
        return "/?" + urlencode({"query": self.text})


def example(name: str, text: str) -> Example:
    """The :class:`Example` of ``kg/queries/<name>.rq`` whose text is ``text`` (see the module's docstring).
    A long first line is cut at its first sentence: the rest joins the description."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[1:])
    title = lines[0].strip() if lines else name
    rest: list[str] = []
    for line in lines[1:]:
        if not line.strip() or line.startswith("   "):
            break
        rest.append(line.strip())
    first = re.match(r"^(.+?[?.:])\s+(.*)$", title)
    if first and len(title) > 60:
        title, rest = first[1].rstrip(".:"), [first[2], *rest]
    description = " ".join(rest)
    return Example(name, title, description[:1].upper() + description[1:], text)


def star_order(text: str, variables: Sequence[str]) -> list[str]:
    """``variables`` in the order of their first occurrence in ``text`` when it is a ``SELECT *`` query
    (comments, strings and IRIs skipped); otherwise unchanged. A variable not found keeps its place at the end."""
    skeleton = _OPAQUE.sub(" ", text)
    if not _STAR.search(skeleton):
        return list(variables)
    seen = list(dict.fromkeys(m[1] for m in _VARIABLE.finditer(skeleton)))
    position = {name: i for i, name in enumerate(seen)}
    return sorted(variables, key=lambda v: position.get(v, len(seen)))


def result_iris(bindings: Iterable[Mapping[str, Mapping[str, str]]]) -> list[str]:
    """The distinct IRIs of SPARQL JSON bindings, at most :data:`MAX_LABELS`."""
    out: dict[str, None] = {}
    for row in bindings:
        for term in row.values():
            if term.get("type") == "uri" and len(out) < MAX_LABELS:
                out[term["value"]] = None
    return list(out)


def labels_query(iris: Sequence[str]) -> str:
    """A SELECT of one ``rdfs:label`` or ``skos:prefLabel`` per IRI (English or untagged first)."""
    values = " ".join(f"<{iri}>" for iri in iris if not re.search(r"[<>\"{}|^`\\\s]", iri))
    return ("SELECT ?s (SAMPLE(?l) AS ?label) WHERE { VALUES ?s { " + values + " } "
            "?s <http://www.w3.org/2000/01/rdf-schema#label>|<http://www.w3.org/2004/02/skos/core#prefLabel> ?l "
            "FILTER (LANG(?l) = '' || LANGMATCHES(LANG(?l), 'en')) } GROUP BY ?s")


def labels_of(result: Mapping[str, Any]) -> dict[str, str]:
    """IRI -> label from the SPARQL JSON result of :func:`labels_query`."""
    return {b["s"]["value"]: b["label"]["value"] for b in result["results"]["bindings"] if "label" in b}


def raw(term: Mapping[str, str]) -> str:
    """A term as SPARQL writes it (for a cell's ``title``): ``<iri>``, ``"v"@en``, ``"1"^^<...#integer>``."""
    if term.get("type") == "uri":
        return f"<{term['value']}>"
    if term.get("type") == "bnode":
        return f"_:{term['value']}"
    text = '"' + term["value"].replace("\\", "\\\\").replace('"', '\\"') + '"'
    if term.get("xml:lang"):
        return f"{text}@{term['xml:lang']}"
    if term.get("datatype"):
        return f"{text}^^<{term['datatype']}>"
    return text
