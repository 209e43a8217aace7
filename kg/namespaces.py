"""Namespaces used across the project, as plain IRI strings, and the prefix table used when writing RDF."""

from __future__ import annotations

import re

from kg.settings import ENTITY_NS, ONTOLOGY_NS, SHAPES_NS

KG = ONTOLOGY_NS
KGR = ENTITY_NS
KGSH = SHAPES_NS

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
OA = "http://www.w3.org/ns/oa#"
ORG = "http://www.w3.org/ns/org#"
TIME = "http://www.w3.org/2006/time#"
SCHEMA = "https://schema.org/"
FOAF = "http://xmlns.com/foaf/0.1/"
DCT = "http://purl.org/dc/terms/"
SH = "http://www.w3.org/ns/shacl#"
VOID = "http://rdfs.org/ns/void#"
WD = "http://www.wikidata.org/entity/"

# Literals Turtle may write bare, with the spellings that read back as the same datatype (Turtle §2.5.2);
# used by the TSV results writer and by `kg fmt`.
BARE_LITERALS: dict[str, re.Pattern[str]] = {
    XSD + "integer": re.compile(r"[+-]?[0-9]+"),
    XSD + "decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    XSD + "double": re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+"),
    XSD + "boolean": re.compile(r"true|false"),
}

PREFIXES: dict[str, str] = {
    "kg": KG,
    "kgr": KGR,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "prov": PROV,
    "oa": OA,
    "org": ORG,
    "time": TIME,
    "schema": SCHEMA,
    "foaf": FOAF,
    "dct": DCT,
    "wd": WD,
}

