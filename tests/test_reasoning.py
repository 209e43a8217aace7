"""Inference (kg.reasoning): answers that need the ontology's axioms, with reasoning on and off; the inferred
graph kept apart (dumps, VoID, service description); owlrl's quirks filtered; the closure cached per version."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from kg import reasoning
from kg.check.inconsistency import inconsistencies
from kg.graph import KnowledgeGraph, load
from kg.query import SelectResult, query
from kg.settings import INFERRED_GRAPH, Settings
from kg.store import open_persisted
from kg.web.app import create_app
from tests.conftest import FIXTURES, ROOT, source_files

KG = "https://w3id.org/ua-children-kg/ontology#"
KGR = "https://w3id.org/ua-children-kg/id/"
PROV = "http://www.w3.org/ns/prov#"


@pytest.fixture(scope="module")
def inferred() -> KnowledgeGraph:
    """The repository graph with the OWL 2 RL closure (cached in .kg-cache/ after the first run)."""
    return load(settings=Settings(root=ROOT), reasoning="owlrl")


def rows(kg: KnowledgeGraph, sparql: str) -> set[tuple[str, ...]]:
    result = query(kg, sparql, max_rows=0)
    assert isinstance(result, SelectResult)
    return {tuple(t.value for t in row) for row in result.rows}


def firsts(found: set[tuple[str, ...]]) -> set[str]:
    return {r[0] for r in found}


# Each case: the query that needs inference, and the same question spelled out over the graph as written (the
# hierarchy, chains, inverses and transitive steps by hand). With reasoning the first answers exactly what the
# second does; without, the first answers nothing.
CASES = {
    "every claim is a kg:Claim": (
        "SELECT ?c WHERE { ?c a kg:Claim }",
        "SELECT ?c WHERE { ?c a/rdfs:subClassOf* kg:Claim }"),
    "claims attributed in PROV-O": (
        "SELECT ?c ?a WHERE { ?c prov:wasAttributedTo ?a . ?c a kg:Claim }",
        "SELECT ?c ?a WHERE { ?c a/rdfs:subClassOf* kg:Claim . ?c kg:attributedTo|kg:generatedBy/kg:speaker ?a }"),
    "claims an agent made (inverse)": (
        "SELECT ?a ?c WHERE { ?a kg:madeClaim ?c }",
        "SELECT ?a ?c WHERE { ?c kg:attributedTo|kg:generatedBy/kg:speaker ?a }"),
    "who relayed a claim (chain appearsIn/publisher)": (
        "SELECT ?c ?p WHERE { ?c kg:reportedBy ?p }",
        "SELECT ?c ?p WHERE { ?c kg:appearsIn/kg:publisher ?p }"),
    "sub-events from kg:subEventOf (inverse)": (
        "SELECT ?e ?sub WHERE { ?e kg:hasSubEvent ?sub }",
        "SELECT ?e ?sub WHERE { ?sub kg:subEventOf ?e }"),
    "places within places (transitive, and its inverse)": (
        "SELECT ?p ?in WHERE { ?in kg:containsPlace ?p }",
        "SELECT ?p ?in WHERE { ?p kg:locatedIn+ ?in }"),
    "claims by the UK Ministry of Defence or its parts": (
        "SELECT ?c WHERE { ?c kg:attributedTo ?a . ?a kg:withinOrganization kgr:org-uk-mod }",
        "SELECT ?c WHERE { ?c kg:attributedTo ?a . ?a kg:partOf+ kgr:org-uk-mod }"),
    "a person's organisation through their post (chain holdsPost/postIn)": (
        "SELECT ?p ?o WHERE { ?p kg:affiliatedWith ?o }",
        "SELECT ?p ?o WHERE { ?p kg:holdsPost/kg:postIn ?o }"),
    "parts of an organisation (inverse of kg:partOf)": (
        "SELECT ?o ?part WHERE { ?o kg:hasPart ?part }",
        "SELECT ?o ?part WHERE { ?part kg:partOf ?o }"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_inference_answers_what_the_hierarchy_spelled_out_answers(name, inferred, kg):
    needs_inference, spelled_out = CASES[name]
    expected = rows(kg, spelled_out)
    assert expected, "the case must have answers in the repository's data"
    assert rows(inferred, needs_inference) == expected
    assert rows(kg, needs_inference) == set()  # reasoning none: the graph as written has no such triples


def test_exact_answers_of_the_headline_inferences(inferred, kg):
    agents = firsts(rows(inferred, "SELECT ?x WHERE { ?x a prov:Agent }"))
    assert {KGR + "org-uk-defence-intelligence", KGR + "org-uk-mod", KGR + "state-ua"} <= agents
    assert agents == firsts(rows(kg, "SELECT ?x WHERE { ?x a/rdfs:subClassOf* prov:Agent }")) | firsts(rows(
        kg, "SELECT ?x WHERE { ?c kg:attributedTo|kg:generatedBy/kg:speaker ?x }"))
    assert rows(kg, "SELECT ?x WHERE { ?x a prov:Agent }") == set()
    dubrava = "SELECT ?in WHERE { kgr:facility-dubrava-centre kg:locatedIn ?in }"
    assert firsts(rows(inferred, dubrava)) == {KGR + "place-minsk-region", KGR + "state-by"}
    assert firsts(rows(kg, dubrava)) == {KGR + "place-minsk-region"}
    within_mod = firsts(rows(inferred, "SELECT ?a WHERE { ?a kg:withinOrganization kgr:org-uk-mod }"))
    assert within_mod == {KGR + "org-uk-defence-intelligence"}
    assert KGR + "state-gb" in firsts(rows(
        inferred, "SELECT ?s WHERE { kgr:org-uk-defence-intelligence kg:withinOrganization ?s }"))


def test_inferred_triples_live_in_their_own_graph_only(inferred, kg):
    graphs = {q.graph_name.value for q in inferred.store.quads_for_pattern(None, None, None, None)}
    assert graphs == set(kg.graph_names) | {INFERRED_GRAPH}
    asserted = {q.triple for q in kg.store.quads_for_pattern(None, None, None, None)}
    for q in inferred.store.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED_GRAPH)):
        assert q.triple not in asserted
        assert not isinstance(q.subject, ox.Literal)  # owlrl's literal subjects are filtered
        assert not q.subject.value.startswith(reasoning.OWLRL_ERRORS)
        assert not (q.predicate.value.endswith("#sameAs") and q.subject == q.object)
        assert q.object.value not in ("http://www.w3.org/2002/07/owl#Thing",
                                      "http://www.w3.org/2000/01/rdf-schema#Resource")


def test_none_is_the_graph_exactly_as_written(kg):
    written = sum(len(set(ox.parse(path=str(p), format=ox.RdfFormat.TURTLE))) for p in source_files())
    again = load(settings=Settings(root=ROOT), reasoning="none")
    assert len(again) == len(kg) == written and again.reasoning == "none"


def test_rdfs_mode_infers_classes_but_not_owl_chains(tmp_path):
    graph = load(settings=Settings(root=ROOT, cache_dir=tmp_path), reasoning="rdfs")
    assert rows(graph, "SELECT ?c WHERE { ?c a kg:Claim }")
    assert not rows(graph, "SELECT ?a WHERE { ?a kg:madeClaim ?c }")  # owl:inverseOf is not RDFS


def test_the_closure_is_cached_and_reused(tmp_path, monkeypatch):
    settings = Settings(root=ROOT, cache_dir=tmp_path)
    data = [ROOT / "ontology", FIXTURES / "claim_valid.ttl"]
    first = load(data, settings=settings, reasoning="owlrl")
    path = reasoning.cache_path(settings, first.version, "owlrl")
    assert path.exists()

    def must_not_compute(*_args: object) -> None:
        raise AssertionError("the closure was computed again")

    monkeypatch.setattr(reasoning, "closure", must_not_compute)
    second = load(data, settings=settings, reasoning="owlrl")
    assert len(second) == len(first)


def test_a_persisted_store_holds_the_same_inferred_graph(inferred, tmp_path):
    persisted = open_persisted(Settings(root=ROOT, store_dir=tmp_path / "store"))
    assert persisted.reasoning == "owlrl" and len(persisted) == len(inferred)


def test_misuse_is_reported_as_inconsistent(kg):
    store = ox.Store()
    store.extend(kg.store.quads_for_pattern(None, None, None, None))
    store.load(path=str(FIXTURES / "reasoning" / "misuse.ttl"), format=ox.RdfFormat.TURTLE,
               to_graph=ox.NamedNode("urn:misuse"))
    found = {(i.kind, i.node.value) for i in inconsistencies(store)}
    assert ("disjoint", KGR + "actor-misused") in found
    assert ("disjoint", KGR + "facility-misused") in found
    assert not inconsistencies(kg.store)


def test_unknown_mode_is_a_usage_error():
    from kg.errors import UsageError

    with pytest.raises(UsageError, match="KG_REASONING"):
        Settings(reasoning="hermit")
    with pytest.raises(UsageError, match="KG_REASONING"):
        reasoning.closure([], "hermit")


def _nquads_graphs(body: bytes) -> set[str]:
    return {q.graph_name.value for q in ox.parse(input=body, format=ox.RdfFormat.N_QUADS)}


def test_dumps_leave_the_inferred_graph_out_unless_asked(kg, inferred):
    with TestClient(create_app(Settings(root=ROOT, workers=0))) as client:
        default = client.get("/dump.nq")
        assert INFERRED_GRAPH not in _nquads_graphs(default.content)
        assert client.get("/dump.nq?inferred=false").content == default.content
        with_inferred = client.get("/dump.nq", params={"inferred": "true"})
        assert _nquads_graphs(with_inferred.content) == set(kg.graph_names) | {INFERRED_GRAPH}
        assert with_inferred.headers["etag"] != default.headers["etag"]
        turtle = client.get("/dump.ttl?inferred=true")
        assert len(list(ox.parse(input=turtle.content, format=ox.RdfFormat.TURTLE))) > len(kg)
        assert client.get("/dump.nq?inferred=maybe").status_code in (400, 422)
        void = client.get("/.well-known/void", headers={"Accept": "application/n-triples"}).text
        assert "void#inferred" in void and "Inferred, not asserted" in void and "owlrl" in void
        sd = client.get("/sparql", headers={"Accept": "application/n-triples"}).text
        assert f"<{INFERRED_GRAPH}>" in sd
        answer = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?c a kg:Claim }"},
                            headers={"Accept": "text/csv"})
        assert answer.text.split()[1] == str(len(rows(inferred, "SELECT ?c WHERE { ?c a kg:Claim }")))


def test_a_server_without_reasoning_serves_the_graph_as_written(kg):
    with TestClient(create_app(Settings(root=ROOT, workers=0, reasoning="none"))) as client:
        body = client.get("/dump.nq", params={"inferred": "true"}).content
        assert INFERRED_GRAPH not in _nquads_graphs(body)
        assert len(list(ox.parse(input=body, format=ox.RdfFormat.N_QUADS))) == len(kg)
        assert f"<{INFERRED_GRAPH}>" not in client.get("/sparql", headers={"Accept": "application/n-triples"}).text


def test_cli_reasoning_flag(capsys):
    from kg.cli import main

    claims = "SELECT (COUNT(*) AS ?n) WHERE { ?c a kg:Claim }"
    assert main(["query", "--reasoning", "none", "--format", "csv", claims]) == 0
    assert capsys.readouterr().out.split()[1] == "0"
    assert main(["query", "--reasoning", "owlrl", "--format", "csv", claims]) == 0
    assert int(capsys.readouterr().out.split()[1]) > 0


def test_kg_reasoning_environment_variable():
    from kg.errors import UsageError

    assert Settings.from_env({"KG_REASONING": "rdfs"}).reasoning == "rdfs"
    assert Settings.from_env({}).reasoning == "owlrl"
    with pytest.raises(UsageError, match="KG_REASONING"):
        Settings.from_env({"KG_REASONING": "pellet"})
