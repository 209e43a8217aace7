"""The publishing gate: the shipped ontology, shapes and data parse, conform and are consistent."""

from __future__ import annotations

import hashlib

import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.check.engines import shacl
from kg.check.inconsistency import inconsistencies
from kg.files import read_text
from kg.settings import ENTITY_NS, ONTOLOGY_IRI, ONTOLOGY_NS

from .conftest import ROOT, SEED, SHARED, owlrl_errors

KG = rdflib.Namespace(ONTOLOGY_NS)
OA = rdflib.Namespace("http://www.w3.org/ns/oa#")


def test_data_conforms_to_shapes(repo_store, shapes_graph):
    results = shacl(repo_store, shapes_graph)
    assert [r for r in results if r.severity == "violation"] == []


def test_owl_rl_closure_is_consistent(repo_store, repo_graph):
    assert inconsistencies(repo_store) == []
    assert owlrl_errors(repo_graph) == []  # and by owlrl, the independent reasoner


def test_ontology_header():
    onto = rdflib.Graph().parse(ROOT / "ontology" / "kg.ttl")
    iri = rdflib.URIRef(ONTOLOGY_IRI)
    assert (iri, RDF.type, OWL.Ontology) in onto
    version = onto.value(iri, OWL.versionIRI)
    assert version is not None and str(version).startswith(ONTOLOGY_IRI + "/")
    assert onto.value(iri, RDFS.label) is not None


def test_every_own_class_and_property_has_label_and_comment():
    onto = rdflib.Graph().parse(ROOT / "ontology" / "kg.ttl")
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    own = {s for k in kinds for s in onto.subjects(RDF.type, k) if str(s).startswith(ONTOLOGY_NS)}
    assert len(own) > 60
    missing = sorted(str(t) for t in own
                     if onto.value(t, RDFS.label) is None or onto.value(t, RDFS.comment) is None)
    assert missing == []


def test_no_undeclared_project_terms_in_data(repo_graph):
    onto = rdflib.Graph().parse(ROOT / "ontology" / "kg.ttl")
    declared = {s for s in onto.subjects() if str(s).startswith(ONTOLOGY_NS)}
    used = {term for triple in repo_graph for term in triple
            if isinstance(term, rdflib.URIRef) and str(term).startswith(ONTOLOGY_NS)}
    assert sorted(str(t) for t in used - declared) == []


def test_every_entity_a_researcher_meets_has_a_label(repo_graph):
    """Every typed IRI of the data (claims, actors, events, documents, indicators ...) has a human label,
    and so does every class, property and controlled value used on them."""
    spans = {s for cls in (KG.TextSpan, KG.Mention, KG.ExternalCitation)  # evidence: shown with its quote
             for s in repo_graph.subjects(RDF.type, cls)}
    entities = {s for s in repo_graph.subjects(RDF.type, None)
                if isinstance(s, rdflib.URIRef) and str(s).startswith(ENTITY_NS) and s not in spans}
    terms = {t for _s, p, o in repo_graph for t in (p, o)
             if isinstance(t, rdflib.URIRef) and str(t).startswith(ONTOLOGY_NS)}
    unlabeled = [str(e) for e in entities
                 if repo_graph.value(e, RDFS.label) is None and repo_graph.value(e, SKOS.prefLabel) is None]
    unlabeled += [str(t) for t in terms if repo_graph.value(t, RDFS.label) is None]
    assert sorted(set(unlabeled)) == []


def test_seed_is_the_shared_article_byte_for_byte():
    data = SEED.read_bytes()
    shared = SHARED / "seeds" / SEED.name
    if shared.exists():  # CI and development have ../shared beside the checkout
        assert data == shared.read_bytes()
    assert hashlib.sha256(data).hexdigest() == "6089a38cf8f9cf21bc452874ede5f6815d8af474879a805e907ae26b869ee3a4"


def test_document_records_seed_hash_and_text(repo_graph):
    docs = list(repo_graph.subjects(KG.seedFile, None))
    assert docs, "the seed article must be described as a document"
    for doc in docs:
        path = ROOT / str(repo_graph.value(doc, KG.seedFile))
        data = path.read_bytes()
        assert str(repo_graph.value(doc, KG.sha256)) == hashlib.sha256(data).hexdigest()
        assert str(repo_graph.value(doc, KG.text)) == data.decode("utf-8")
        published = repo_graph.value(doc, KG.published)
        assert repo_graph.value(published, KG.precision) is not None
        assert repo_graph.value(published, KG.basis) is not None
        assert repo_graph.value(doc, KG.url) is not None
        assert repo_graph.value(doc, KG.language) is not None


def test_every_quote_equals_the_seed_text_at_its_offsets(repo_graph):
    """Read from the seed files themselves, not from the graph's copy of the text."""
    checked = 0
    for span in repo_graph.subjects(OA.hasSource, None):
        doc = repo_graph.value(span, OA.hasSource)
        text = read_text(ROOT / str(repo_graph.value(doc, KG.seedFile)))
        quote = start = end = None
        for sel in repo_graph.objects(span, OA.hasSelector):
            if (sel, RDF.type, OA.TextQuoteSelector) in repo_graph:
                quote = str(repo_graph.value(sel, OA.exact))
            if (sel, RDF.type, OA.TextPositionSelector) in repo_graph:
                start = int(repo_graph.value(sel, OA.start))
                end = int(repo_graph.value(sel, OA.end))
        assert quote is not None and start is not None, span
        assert text[start:end] == quote, span
        checked += 1
    assert checked >= 30


def test_corrections_record_the_articles_errors(repo_graph):
    stated = {str(o) for o in repo_graph.objects(None, KG.statedText)}
    corrected = " ".join(str(o) for o in repo_graph.objects(None, KG.correctedText))
    assert "Alicia Keynes" in stated and "Alicia Kearns" in corrected
    assert "17 March 2023" in corrected
    assert "Independent International Commission of Inquiry on Ukraine" in corrected
    for c in repo_graph.subjects(RDF.type, KG.Correction):
        assert repo_graph.value(c, KG.correctionSource) is not None


def test_wikidata_links_use_schema_sameas_not_owl_sameas(repo_graph):
    assert list(repo_graph.triples((None, OWL.sameAs, None))) == []
    schema_same = rdflib.URIRef("https://schema.org/sameAs")
    links = {str(o) for o in repo_graph.objects(None, schema_same)}
    assert "http://www.wikidata.org/entity/Q212" in links
