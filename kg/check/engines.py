"""Validation engines: SHACL (pySHACL) and OWL 2 RL consistency (owlrl), over rdflib graphs.

These are the raw engines; :mod:`kg.check` turns their results into located, curator-facing findings.
Both work on one merged rdflib graph of the ontology and the data, so ``sh:class`` follows
``rdfs:subClassOf`` and owlrl sees every axiom.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import owlrl
import pyshacl
import rdflib
from rdflib.namespace import RDF, RDFS, SH

from kg.errors import RdfSyntaxError
from kg.graph import read_bytes

#: owlrl reports inconsistencies as nodes of this type, not as exceptions.
ERR = rdflib.Namespace("http://www.daml.org/2002/03/agents/agent-ont#")


@dataclass(frozen=True, order=True)
class ShaclResult:
    """One SHACL validation result, flattened to strings (IRIs in full, blank nodes as ``_:id``)."""

    severity: str  # "violation" | "warning" | "info"
    focus: str
    path: str
    value: str
    message: str
    shape: str


def parse_rdflib(path: Path, graph: rdflib.Graph | None = None) -> rdflib.Graph:
    """Parse one Turtle file into ``graph`` (a new one by default); :class:`RdfSyntaxError` on bad syntax."""
    graph = rdflib.Graph() if graph is None else graph
    data = read_bytes(path)
    try:
        graph.parse(data=data, format="turtle", publicID=path.resolve().as_uri())
    except Exception as err:  # rdflib raises many unrelated types for bad input; all mean "does not parse"
        raise RdfSyntaxError(str(err).splitlines()[0] if str(err) else type(err).__name__, path=str(path)) from None
    return graph


def merged_graph(paths: Iterable[Path]) -> rdflib.Graph:
    """One rdflib graph holding every triple of ``paths``."""
    graph = rdflib.Graph()
    for path in paths:
        parse_rdflib(path, graph)
    return graph


def _text(term: rdflib.term.Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, rdflib.BNode):
        return f"_:{term}"
    return str(term)


def _path_text(graph: rdflib.Graph, path: rdflib.term.Node | None) -> str:
    """A SHACL path as SPARQL property-path text (IRIs in full)."""
    if path is None:
        return ""
    if isinstance(path, rdflib.URIRef):
        return str(path)
    items = list(rdflib.collection.Collection(graph, path)) if (path, RDF.first, None) in graph else None
    if items:
        return "/".join(_path_text(graph, i) for i in items)
    for pred, fmt in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"), (SH.oneOrMorePath, "{}+"),
                      (SH.zeroOrOnePath, "{}?")):
        inner = graph.value(path, pred)
        if inner is not None:
            return fmt.format(_path_text(graph, inner))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "|".join(_path_text(graph, i) for i in rdflib.collection.Collection(graph, alternatives))
    return _text(path)


_SEVERITY = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}


def shacl(data: rdflib.Graph, shapes: rdflib.Graph) -> list[ShaclResult]:
    """Validate ``data`` (ontology and data merged) against ``shapes``; sorted results, empty if it conforms.

    No inference is run (the ontology's subclass triples are in ``data``, which is all ``sh:class`` needs),
    SHACL-SPARQL constraints are enabled.
    """
    return sorted(result for result, _value in shacl_with_values(data, shapes))


def shacl_with_values(data: rdflib.Graph, shapes: rdflib.Graph) -> list[tuple[ShaclResult, rdflib.term.Node | None]]:
    """Like :func:`shacl`, unsorted, each result with its ``sh:value`` as an rdflib term (the flattened text loses
    a literal's datatype, which is what tells ``387`` from ``"387"``)."""
    _conforms, report, _text_report = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    results = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        value = report.value(node, SH.value)
        results.append((ShaclResult(
            severity=_SEVERITY.get(report.value(node, SH.resultSeverity), "violation"),
            focus=_text(report.value(node, SH.focusNode)),
            path=_path_text(report, report.value(node, SH.resultPath)),
            value=_text(value),
            message=str(report.value(node, SH.resultMessage) or ""),
            shape=_text(report.value(node, SH.sourceShape)),
        ), value))
    return results


def owl_inconsistencies(graph: rdflib.Graph) -> list[str]:
    """The messages of every ``err:ErrorMessage`` in the OWL 2 RL closure of ``graph`` (a copy is expanded).

    owlrl does not raise on an inconsistency; it adds error nodes to the closure (disjoint classes sharing a
    member, a literal of the wrong lexical form ...). An empty list means the graph is consistent.
    """
    closure = rdflib.Graph()
    closure += graph
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closure)
    messages = []
    for node in closure.subjects(RDF.type, ERR.ErrorMessage):
        messages.extend(str(m) for m in closure.objects(node, ERR.error))
    return sorted(set(messages))


def labels(graph: rdflib.Graph) -> dict[str, str]:
    """``{IRI: rdfs:label}`` (English preferred) for every labelled node, to make messages readable."""
    out: dict[str, str] = {}
    for s, o in graph.subject_objects(RDFS.label):
        if isinstance(s, rdflib.URIRef) and isinstance(o, rdflib.Literal) and (
            str(s) not in out or o.language == "en"
        ):
            out[str(s)] = str(o)
    return out
