"""The shapes reject broken data with messages a curator understands (and accept the valid fixture)."""

from __future__ import annotations

import pytest
import rdflib

from kg.check.engines import shacl
from kg.check.inconsistency import inconsistencies

from .conftest import FIXTURES, ROOT, store_of

VALID = (FIXTURES / "claim_valid.ttl").read_text(encoding="utf-8")
# The fixture is checked within the whole graph, as `kg check` checks an addition.
CONTEXT_FILES = [ROOT / "ontology" / "kg.ttl", *sorted((ROOT / "data").glob("*.ttl"))]


def violations(shapes_graph: rdflib.Graph, turtle: str) -> list[str]:
    return [r.message for r in shacl(store_of(CONTEXT_FILES, turtle), shapes_graph) if r.severity == "violation"]


def test_valid_fixture_conforms(shapes_graph):
    assert violations(shapes_graph, VALID) == []


@pytest.mark.parametrize(("name", "old", "new", "expected"), [
    ("claim without claimant or unattributed marker",
     "    kg:attributedTo kgr:state-ua ;\n", "", "The claim names no claimant"),
    ("qualifier outside the list",
     "kg:qualifier kg:Exactly", "kg:qualifier kg:Roughly", "kg:qualifier must be exactly one of"),
    ("value of the wrong datatype",
     "kg:value 387 ;", 'kg:value "387" ;', "kg:value must be exactly one number"),
    ("span that does not match the text",
     "oa:end 959", "oa:end 958", "The quote does not match the source text"),
    ("unattributed claim that names a claimant",
     "kg:AttributionInferred", "kg:Unattributed", "marked kg:Unattributed but names a claimant"),
    ("precision that does not fit the value",
     "kg:precision kg:MonthPrecision", "kg:precision kg:DayPrecision", "does not fit the value"),
    ("date with two values",
     'kg:precision kg:MonthPrecision', 'time:inXSDgYear "2023"^^xsd:gYear ; kg:precision kg:MonthPrecision',
     "needs exactly one value"),
    ("bounds outside the date",
     'kg:earliest "2023-11-01"', 'kg:earliest "2023-10-31"', "fall outside the date"),
    ("external date without its source",
     "kg:basis kg:Inferred", "kg:basis kg:External", "needs kg:basisSource"),
    ("claim without a rank",
     "    kg:rank kg:NormalRank ;\n", "", "A claim needs exactly one kg:rank"),
    ("rank outside the list",
     "kg:rank kg:NormalRank", "kg:rank kg:BestRank", "A claim needs exactly one kg:rank"),
    ("rank without its reason",
     '    kg:rankReason "A fixture figure." ;\n', "", "A claim needs exactly one kg:rankReason"),
    ("evidence from another document than the claim appears in",
     "kg:appearsIn kgr:doc-mindua-20265865", "kg:appearsIn kgr:doc-babel-97223", "its evidence"),
    ("external citation with a copied sentence",
     "kg:evidence kgr:test-span .",
     'kg:evidence kgr:test-span, kgr:test-citation .\nkgr:test-citation a kg:ExternalCitation ; '
     'kg:citedDocument kgr:doc-mindua-20265865 ; kg:accessed "2026-12-02"^^xsd:date ; '
     'kg:phrase "So far, only 387 children have been returned, according to a sentence copied whole." .',
     "never a copied sentence"),
    ("external citation without the date it was read",
     "kg:evidence kgr:test-span .",
     'kg:evidence kgr:test-span, kgr:test-citation .\nkgr:test-citation a kg:ExternalCitation ; '
     'kg:citedDocument kgr:doc-mindua-20265865 ; kg:phrase "387" .',
     "needs exactly one kg:accessed"),
    ("sub-event written from the whole",
     "kg:evidence kgr:test-span .\n\nkgr:test-claim",
     "kg:evidence kgr:test-span ; kg:hasSubEvent kgr:event-return-to-ukraine .\n\nkgr:test-claim",
     "as kg:subEventOf"),
    ("title in another language than the document",
     "kg:evidence kgr:test-span .\n\nkgr:test-claim",
     'kg:evidence kgr:test-span .\nkgr:doc-interfax-949018 kg:title "A headline in English"@en .\n\nkgr:test-claim',
     "a title is the document's own, in its language"),
    ("title that is no language-tagged string",
     "kg:evidence kgr:test-span .\n\nkgr:test-claim",
     'kg:evidence kgr:test-span .\nkgr:doc-interfax-949018 kg:title "Untagged" .\n\nkgr:test-claim',
     "kg:title is the document's own title, tagged with its language"),
])
def test_broken_data_fails_with_a_clear_message(shapes_graph, name, old, new, expected):
    assert old in VALID, name
    messages = violations(shapes_graph, VALID.replace(old, new))
    assert any(expected in m for m in messages), (name, messages)


def test_span_message_shows_what_the_text_reads(shapes_graph):
    messages = violations(shapes_graph, VALID.replace("oa:start 914", "oa:start 915"))
    assert any('the text reads "o far, only 387 children have been returned."' in m for m in messages), messages


def test_owl_reports_a_claim_attributed_to_a_facility():
    store = store_of(CONTEXT_FILES, VALID.replace("kg:attributedTo kgr:state-ua",
                                                  "kg:attributedTo kgr:facility-dubrava-centre"))
    found = [(i.kind, i.node.value) for i in inconsistencies(store)]
    assert ("disjoint", "https://w3id.org/ua-children-kg/id/facility-dubrava-centre") in found, found
