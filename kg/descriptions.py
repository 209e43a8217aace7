"""Self-descriptions of the published graph: the SPARQL 1.1 Service Description of the endpoint
(https://www.w3.org/TR/sparql11-service-description/) and the VoID description of the dataset
(https://www.w3.org/TR/void/), as triples the web shell renders in the format a client asks for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pyoxigraph as ox

from kg.graph import SourceFile
from kg.namespaces import DCT, RDF, RDFS, VOID, XSD
from kg.settings import INFERRED_GRAPH, Settings
from kg.workers.operations import Stats

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"
_RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                   "Turtle", "N-Triples", "N-Quads", "TriG", "JSON-LD", "RDF_XML")
DUMP_EXTENSIONS = ("ttl", "nt", "nq", "trig", "jsonld")
#: What each reasoning mode computes, for the descriptions of the inferred graph.
REASONERS = {"owlrl": "the OWL 2 RL closure", "rdfs": "the RDFS closure"}


def inferred_label(mode: str, engine: str) -> str:
    """The label of the inferred graph computed in ``mode`` (not "none") by ``engine``."""
    return (f"Inferred, not asserted: {REASONERS[mode]} of ontology and data, minus the asserted triples "
            f"and trivial axioms (KG_REASONING={mode}, computed by KG_REASONER={engine}); computed by the "
            "server, never written by a curator")


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _lit(value: object, datatype: str | None = None) -> ox.Literal:
    if datatype is None and isinstance(value, int):
        datatype = XSD + "integer"
    return ox.Literal(str(value), datatype=_n(datatype) if datatype else None)


def service_description(settings: Settings, sources: Sequence[SourceFile], root: str) -> list[ox.Triple]:
    """SPARQL 1.1 Service Description of the endpoint at ``root + "/sparql"``: language, formats, features and
    the dataset (one named graph per source file)."""
    service, endpoint = ox.BlankNode("service"), _n(root + "/sparql")
    dataset, default = ox.BlankNode("dataset"), ox.BlankNode("default")
    t = [
        ox.Triple(service, _n(RDF + "type"), _n(SD + "Service")),
        ox.Triple(service, _n(SD + "endpoint"), endpoint),
        ox.Triple(service, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query")),
        ox.Triple(service, _n(SD + "feature"), _n(SD + "UnionDefaultGraph")),
        ox.Triple(service, _n(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, _n(RDF + "type"), _n(SD + "Dataset")),
        ox.Triple(dataset, _n(SD + "defaultGraph"), default),
        ox.Triple(default, _n(RDF + "type"), _n(SD + "Graph")),
        ox.Triple(service, _n(DCT + "description"), ox.Literal(
            "Read-only. The default graph is the union of all named graphs (one per source file"
            + (f", and <{INFERRED_GRAPH}> with what {settings.reasoning} infers" if settings.reasoning != "none"
               else "") + "). "
            f"Queries stop after KG_QUERY_TIMEOUT_S={settings.query_timeout_s:g} s and return at most "
            f"KG_MAX_ROWS={settings.max_rows} rows; SERVICE is refused.")),
    ]
    t += [ox.Triple(service, _n(SD + "resultFormat"), _n(FORMATS_NS + f)) for f in _RESULT_FORMATS]
    for i, src in enumerate(sources):
        named = ox.BlankNode(f"g{i}")
        t += [ox.Triple(dataset, _n(SD + "namedGraph"), named),
              ox.Triple(named, _n(SD + "name"), _n(src.graph)),
              ox.Triple(named, _n(RDF + "type"), _n(SD + "NamedGraph"))]
    if settings.reasoning != "none":
        named = ox.BlankNode("inferred")
        t += [ox.Triple(dataset, _n(SD + "namedGraph"), named),
              ox.Triple(named, _n(SD + "name"), _n(INFERRED_GRAPH)),
              ox.Triple(named, _n(RDF + "type"), _n(SD + "NamedGraph")),
              ox.Triple(named, _n(RDFS + "label"), ox.Literal(inferred_label(settings.reasoning, settings.reasoner),
                                                                language="en"))]
    return t


def void_description(settings: Settings, stats: Stats, root: str, modified: date) -> list[ox.Triple]:
    """The VoID description of the dataset served at ``root``: size, classes, vocabularies, endpoint, dumps,
    licence and source documents."""
    ds = _n(root + "/.well-known/void#dataset")
    t = [
        ox.Triple(ds, _n(RDF + "type"), _n(VOID + "Dataset")),
        ox.Triple(ds, _n(DCT + "title"), ox.Literal("Attributed claims about the deportation of Ukrainian children",
                                                     language="en")),
        ox.Triple(ds, _n(DCT + "description"), ox.Literal(
            "Who reported which figure about the deportation of Ukrainian children, when, and from which exact "
            "sentence of which source.", language="en")),
        ox.Triple(ds, _n(DCT + "license"), _n("https://creativecommons.org/licenses/by/4.0/")),
        ox.Triple(ds, _n(DCT + "modified"), _lit(modified.isoformat(), XSD + "date")),
        ox.Triple(ds, _n(VOID + "sparqlEndpoint"), _n(root + "/sparql")),
        ox.Triple(ds, _n(VOID + "uriSpace"), ox.Literal(settings.entity_space)),
        ox.Triple(ds, _n(VOID + "rootResource"), _n(settings.base_iri + "ontology")),
        ox.Triple(ds, _n(VOID + "triples"), _lit(stats.triples)),
        ox.Triple(ds, _n(VOID + "entities"), _lit(stats.entities)),
        ox.Triple(ds, _n(VOID + "classes"), _lit(len(stats.classes))),
        ox.Triple(ds, _n(VOID + "properties"), _lit(stats.properties)),
        ox.Triple(ds, _n(VOID + "distinctSubjects"), _lit(stats.distinct_subjects)),
        ox.Triple(ds, _n(VOID + "distinctObjects"), _lit(stats.distinct_objects)),
        ox.Triple(ds, _n(VOID + "exampleResource"), _n(settings.base_iri
                                                        + "id/claim-19546-children-deported-russia")),
    ]
    t += [ox.Triple(ds, _n(VOID + "dataDump"), _n(f"{root}/dump.{ext}")) for ext in DUMP_EXTENSIONS]
    vocabularies = sorted({_namespace(p) for p in stats.predicates} | {_namespace(c) for c, _ in stats.classes})
    t += [ox.Triple(ds, _n(VOID + "vocabulary"), _n(v)) for v in vocabularies if v]
    for i, (cls, count) in enumerate(stats.classes):
        part = ox.BlankNode(f"class{i}")
        t += [ox.Triple(ds, _n(VOID + "classPartition"), part), ox.Triple(part, _n(VOID + "class"), _n(cls)),
              ox.Triple(part, _n(VOID + "entities"), _lit(count))]
    t += [ox.Triple(ds, _n(DCT + "source"), _n(doc)) for doc in stats.documents]
    if stats.reasoning != "none":  # the inferred graph: served in the union, left out of the counts above
        sub = _n(root + "/.well-known/void#inferred")
        t += [ox.Triple(ds, _n(VOID + "subset"), sub), ox.Triple(sub, _n(RDF + "type"), _n(VOID + "Dataset")),
              ox.Triple(sub, _n(SD + "name"), _n(INFERRED_GRAPH)),
              ox.Triple(sub, _n(RDFS + "label"), ox.Literal(inferred_label(stats.reasoning, settings.reasoner),
                                                              language="en")),
              ox.Triple(sub, _n(VOID + "triples"), _lit(stats.inferred)),
              ox.Triple(sub, _n(VOID + "sparqlEndpoint"), _n(root + "/sparql")),
              ox.Triple(sub, _n(VOID + "dataDump"), _n(f"{root}/dump.nq?inferred=true"))]
    return t


def _namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1] if cut > 0 else ""
