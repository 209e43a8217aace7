"""Inference (kg.reasoning): answers that need the ontology's axioms, with reasoning on and off; the inferred
graph kept apart (dumps, VoID, service description); owlrl's quirks filtered; the closure cached per version."""

from __future__ import annotations

import os

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
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def rows(kg: KnowledgeGraph, sparql: str) -> set[tuple[str | None, ...]]:
    result = query(kg, sparql, max_rows=0)
    assert isinstance(result, SelectResult)
    return _values(result)


def _values(result: SelectResult) -> set[tuple[str | None, ...]]:
    return {tuple(None if t is None else t.value for t in row) for row in result.rows}


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
        assert client.get("/-/version.json").json()["inferred"] is None


def test_version_json_names_the_inferred_graph_and_its_engine():
    with TestClient(create_app(Settings(root=ROOT, workers=0))) as client:
        assert client.get("/-/version.json").json()["inferred"] == {
            "name": INFERRED_GRAPH, "reasoning": "owlrl", "reasoner": "native"}


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


def _asserted(paths) -> set[ox.Triple]:
    return {q.triple for q in load(paths, settings=Settings(root=ROOT), reasoning="none").store
            .quads_for_pattern(None, None, None, None)}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> set[ox.Triple]:
    """Ontology + 40 synthetic claims (kg.synth): chains, inverses and transitive parts at another scale."""
    from kg.synth import generate

    out = tmp_path_factory.mktemp("synth")
    generate(40, out)
    return _asserted([ROOT / "ontology", out / "data"])


@pytest.mark.parametrize("graph", ["repository", "synthetic"])
def test_the_native_engine_keeps_exactly_what_owlrl_keeps(graph, synthetic):
    asserted = _asserted(None) if graph == "repository" else synthetic
    native = reasoning.closure(asserted, "owlrl", "native")
    reference = reasoning.closure(asserted, "owlrl", "owlrl")
    assert native == reference
    predicates = {t.predicate.value for t in native}
    # the axioms of every kind the ontology uses contributed: class and property hierarchy, inverse, chain
    assert {RDF_TYPE, PROV + "wasAttributedTo", KG + "madeClaim", KG + "reportedBy"} <= predicates


def test_the_native_rdfs_closure_is_owlrls_less_its_literal_copies():
    asserted = _asserted(None)
    native = set(reasoning.closure(asserted, "rdfs", "native"))
    reference = set(reasoning.closure(asserted, "rdfs", "owlrl"))
    assert native and native <= reference
    # owlrl's RDFS semantics restates asserted literals with another language tag or datatype; nothing else
    written = {(t.subject, t.predicate, t.object.value) for t in asserted if isinstance(t.object, ox.Literal)}
    extra = reference - native
    assert all(isinstance(t.object, ox.Literal) and (t.subject, t.predicate, t.object.value) in written
               for t in extra)


def test_the_cache_keeps_the_last_versions_only(tmp_path):
    for i in range(reasoning.KEEP_VERSIONS + 3):
        for mode in ("owlrl", "rdfs"):
            path = tmp_path / f"inferred-{i:016x}-{mode}-native-v{reasoning.CACHE_VERSION}.nt"
            path.write_bytes(b"")
            os.utime(path, (1_000_000 + i, 1_000_000 + i))
    (tmp_path / "unrelated.nt").write_bytes(b"")
    assert reasoning.prune(tmp_path) == 3 * 2
    left = {p.name.split("-")[1] for p in tmp_path.glob("inferred-*.nt")}
    assert left == {f"{i:016x}" for i in range(3, reasoning.KEEP_VERSIONS + 3)}
    assert (tmp_path / "unrelated.nt").exists()


def test_computing_a_closure_prunes_old_versions(tmp_path):
    stale = tmp_path / f"inferred-{'0' * 16}-owlrl-native-v{reasoning.CACHE_VERSION}.nt"
    stale.write_bytes(b"")
    os.utime(stale, (1_000_000, 1_000_000))
    for i in range(reasoning.KEEP_VERSIONS):
        fresh = tmp_path / f"inferred-{i + 1:016x}-owlrl-native-v{reasoning.CACHE_VERSION}.nt"
        fresh.write_bytes(b"")
    load([ROOT / "ontology", FIXTURES / "claim_valid.ttl"], settings=Settings(root=ROOT, cache_dir=tmp_path),
         reasoning="owlrl")
    assert not stale.exists()
    assert len(list(tmp_path.glob("inferred-*.nt"))) == reasoning.KEEP_VERSIONS


def test_unknown_engine_is_a_usage_error():
    from kg.errors import UsageError

    with pytest.raises(UsageError, match="KG_REASONER"):
        Settings(reasoner="hermit")
    with pytest.raises(UsageError, match="KG_REASONER"):
        reasoning.closure([], "owlrl", "hermit")


# Example queries that inference made simpler, with the pattern each replaced: over the graph as written, the
# spelled-out form answers what the simpler one answers with inference.
SIMPLIFIED = {
    "documents": [("?document a kg:Document .", "?document a/rdfs:subClassOf* kg:Document .")],
    "unattributed": [("?claim a kg:Claim .", "?claim a/rdfs:subClassOf* kg:Claim .")],
    "findings": [("?claim a kg:QualitativeClaim, ?class .",
                  "?claim a ?class . ?class rdfs:subClassOf* kg:QualitativeClaim ."),
                 ("?narrower rdfs:subClassOf ?class }",
                  "?narrower rdfs:subClassOf+ ?class . FILTER (?narrower != ?class) }")],
    "actors-by-type": [("?actor a kg:Agent, ?class ;", "?actor a ?class . ?class rdfs:subClassOf* kg:Agent . ?actor"),
                       ("?narrower rdfs:subClassOf ?class }",
                        "?narrower rdfs:subClassOf+ ?class . FILTER (?narrower != ?class) }")],
}


@pytest.mark.parametrize("name", list(SIMPLIFIED))
def test_simplified_examples_answer_what_they_answered_spelled_out(name, inferred, kg):
    from kg.web.pages import example_queries

    text = dict(example_queries())[name]
    spelled_out = text
    for simple, long in SIMPLIFIED[name]:
        assert simple in text
        spelled_out = spelled_out.replace(simple, long)
    expected = query(kg, spelled_out)
    assert isinstance(expected, SelectResult) and expected.rows
    assert rows(inferred, text) == _values(expected)
    assert rows(kg, text) == set()


def test_the_icc_example_finds_every_role_the_ontology_defines(inferred, kg):
    from kg.web.pages import example_queries

    result = query(inferred, dict(example_queries())["icc"])
    assert isinstance(result, SelectResult)
    roles = {role for r in result.rows for role in r[result.variables.index("roles")].value.split(", ")}
    # "addressee" is a sub-property of kg:participant that a hand-written list of roles had missed
    assert roles == {"speaker", "issuer", "addressee"}
    assert not query(kg, dict(example_queries())["icc"]).rows
