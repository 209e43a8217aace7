"""Entity pages of entities with many claims: pages of :data:`kg.entities.PAGE_SIZE` claims and links, in a
stable order, every claim on exactly one page, and a bounded read of the links (a synthetic graph of 400
claims, where an agency makes about a hundred)."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from kg import entities, graph
from kg.settings import Settings
from kg.synth import generate
from kg.web import create_app

from .conftest import ROOT

BASE = "https://w3id.org/ua-children-kg/"
AGENCY = BASE + "id/synth-agency-0003"
PREFIXES = ("PREFIX kg: <https://w3id.org/ua-children-kg/ontology#> "
            "PREFIX time: <http://www.w3.org/2006/time#> ")


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    generate(400, out, seed=3)
    return out / "data"


@pytest.fixture(scope="module")
def client(synth: Path):
    with TestClient(create_app(Settings(root=ROOT, workers=1), data=[ROOT / "ontology", synth])) as c:
        yield c


@pytest.fixture(scope="module")
def loaded(synth: Path) -> graph.KnowledgeGraph:
    return graph.load([ROOT / "ontology", synth], reasoning="owlrl")


def _claims_on(page: str) -> list[str]:
    table = page.split('class="results claims"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr><td><a href="/id/([^"]+)"', table)


def _stated(kg: graph.KnowledgeGraph, agent: str) -> dict[str, str]:
    rows = kg.store.query(PREFIXES + "SELECT ?c ?d WHERE { ?c kg:attributedTo <" + agent + "> . OPTIONAL { "
                          "?c kg:generatedBy/kg:date/(time:inXSDDate|time:inXSDgYearMonth|time:inXSDgYear) ?d } }",
                          use_default_graph_as_union=True)
    return {r["c"].value.removeprefix(BASE + "id/"): (r["d"].value if r["d"] else "") for r in rows}


def test_an_agencys_claims_come_in_pages_each_claim_once_in_date_order(client, loaded):
    expected = _stated(loaded, AGENCY)
    assert len(expected) > 2 * entities.PAGE_SIZE  # the synthetic agency fills three pages
    seen: list[str] = []
    page_no, pages = 1, []
    while True:
        response = client.get(f"/id/synth-agency-0003?page={page_no}", headers={"accept": "text/html"})
        assert response.status_code == 200, response.text
        pages.append(response.text)
        if 'rel="next"' not in response.text:
            break
        assert f'href="?page={page_no + 1}" rel="next"' in response.text
        page_no += 1
    view = entities.entity_view(loaded, AGENCY)
    assert len(pages) == view.pages == -(-max(len(expected), view.incoming_total) // entities.PAGE_SIZE)
    claim_pages = -(-len(expected) // entities.PAGE_SIZE)
    for number, text in enumerate(pages, 1):
        rows = _claims_on(text) if 'class="results claims"' in text else []
        assert (0 < len(rows) <= entities.PAGE_SIZE) if number <= claim_pages else not rows
        seen += rows
    assert sorted(seen) == sorted(expected)  # every claim, none twice
    dates = [expected[c] for c in seen]
    assert dates == sorted(dates)  # one order across the pages: by the date stated
    assert f"of {len(expected):,}, by relation and date stated" in pages[0]
    assert 'rel="prev"' not in pages[0] and 'href="?page=1" rel="prev"' in pages[1]


def test_a_page_past_the_last_is_404_and_a_page_below_one_is_refused(client, loaded):
    last = entities.entity_view(loaded, AGENCY).pages
    past = client.get(f"/id/synth-agency-0003?page={last + 1}", headers={"accept": "text/html"})
    assert past.status_code == 404 and f"has {last} pages, not {last + 1}" in past.text
    for bad in ("0", "-1", "x"):
        response = client.get(f"/id/synth-agency-0003?page={bad}", headers={"accept": "application/json"})
        assert 400 <= response.status_code < 500 and "page" in response.text, (bad, response.text)


def test_claims_are_not_listed_again_among_the_links_and_links_are_paged(loaded):
    view = entities.entity_view(loaded, AGENCY)
    claims = set(_stated(loaded, AGENCY))
    assert not {s.removeprefix(BASE + "id/") for s, *_ in view.incoming} & claims
    assert len(view.incoming) == min(entities.PAGE_SIZE, view.incoming_total) and view.scan_complete
    # madeClaim (the inferred inverse of kg:attributedTo) has a value per claim: the first PAGE_SIZE are shown
    made = [st for st in view.statements if st.predicate.endswith("#madeClaim")]
    assert len(made) == entities.PAGE_SIZE and view.statements_omitted == len(claims) - entities.PAGE_SIZE


def test_past_the_scan_limit_the_totals_are_lower_bounds(loaded, monkeypatch):
    monkeypatch.setattr(entities, "SCAN_LIMIT", 40)
    calls = 0
    real = loaded.store.quads_for_pattern

    class Counting:
        """The store, counting the links to the agency the view reads."""

        def __getattr__(self, name: str) -> object:
            return getattr(loaded.store, name)

        def quads_for_pattern(self, s, p, o, g=None):
            nonlocal calls
            for quad in real(s, p, o, g):
                if o == ox.NamedNode(AGENCY):
                    calls += 1
                yield quad

    view = entities.entity_view(graph.KnowledgeGraph(store=Counting(), sources=loaded.sources,  # type: ignore[arg-type]
                                                     settings=loaded.settings), AGENCY)
    assert not view.scan_complete
    assert view.claims_total + view.incoming_total <= 40
    assert calls <= 41  # the scan stopped at the limit: the links past it were never read
