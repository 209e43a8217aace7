"""The ``iri-scheme`` rule of ``kg check``: an IRI that would run code or carry a payload where it is shown.

The data is published as linked data and shown as links on the server's pages. An IRI with the scheme
``javascript:`` runs script when a reader follows it, and a ``data:`` IRI carries a document of its own (HTML with
script, or an image standing in for a source). Neither names a thing a claim can be about, so each is a warning
at the place it is written: in any position of a triple, and in a literal typed ``xsd:anyURI``. Schemes are
case-insensitive (RFC 3986 §3.1), and browsers ignore leading spaces and control characters, so both are
folded before comparing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.namespaces import XSD

if TYPE_CHECKING:
    from kg.check.workspace import Workspace
    from kg.turtle.parser import Pos, Term

#: Schemes that are never the IRI of a thing described here.
UNSAFE_SCHEMES = ("javascript", "data")
_ANY_URI = XSD + "anyURI"


def unsafe_scheme(value: str) -> str | None:
    """The unsafe scheme ``value`` starts with ("javascript" or "data"), else None."""
    folded = "".join(c for c in value.lstrip("\x00\t\n\f\r ") if c not in "\t\n\r").lower()
    scheme, colon, _rest = folded.partition(":")
    return scheme if colon and scheme in UNSAFE_SCHEMES else None


def _iri_of(term: Term) -> str | None:
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal) and term.datatype.value == _ANY_URI:
        return term.value
    return None


def iri_schemes(ws: Workspace) -> None:
    """A warning for each ``javascript:`` or ``data:`` IRI of the checked files, once per file and IRI, at the
    first place the file writes it."""
    for f in ws.checked:
        seen: set[str] = set()
        for occ in f.doc.triples:
            t = occ.triple
            places: tuple[tuple[Term, Pos], ...] = ((t.subject, occ.subject), (t.predicate, occ.predicate),
                                                    (t.object, occ.object))
            for term, pos in places:
                value = _iri_of(term)
                scheme = unsafe_scheme(value) if value is not None else None
                if scheme is None or value in seen:
                    continue
                seen.add(value)  # type: ignore[arg-type]
                shown = value if len(value) <= 60 else value[:57] + "..."  # type: ignore[arg-type]
                ws.add("iri-scheme", "warning",
                       f"the IRI <{shown}> has the scheme {scheme}:, which runs script or carries a document "
                       "of its own where a page shows it as a link; name the thing with an http(s) IRI",
                       (f.display, pos), focus=t.subject, value=value or "")
