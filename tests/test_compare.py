"""`kg compare` and /compare: the sources side by side, with ranks, for every indicator two or more claims count."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from kg.cli import main
from kg.compare import COLUMNS, comparison, disagreements, scope_text
from kg.figures import query_text
from kg.query import SelectResult, query
from kg.settings import Settings
from kg.web.app import create_app

from .conftest import ROOT

KGR = "https://w3id.org/ua-children-kg/id/"
REQUIRED = ("indicator", "claim", "value", "qualifier", "claimant", "source", "stated", "rank", "note")


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(root=ROOT, workers=0))) as c:
        yield c


def test_columns_hold_the_required_ones_in_order():
    assert COLUMNS[:len(REQUIRED)] == REQUIRED


def test_every_indicator_has_two_or_more_claims_and_every_row_a_rank(kg):
    rows = comparison(kg)
    per_indicator: dict[str, int] = {}
    for r in rows:
        per_indicator[r["indicator"]] = per_indicator.get(r["indicator"], 0) + 1
        assert r["rank"] in ("preferred", "normal", "deprecated"), r
        assert r["note"], r
        float(r["value"])  # a plain number, no thousands separator
    assert per_indicator and min(per_indicator.values()) >= 2
    # every claim of every such indicator is there: counted independently of compare.rq
    counts = query(kg, """PREFIX kg: <https://w3id.org/ua-children-kg/ontology#>
        SELECT ?i (COUNT(?c) AS ?n) WHERE { ?c a kg:QuantityClaim ; kg:indicator ?i } GROUP BY ?i""")
    assert isinstance(counts, SelectResult)
    expected = sum(int(n.value) for _i, n in counts.rows if int(n.value) >= 2)
    assert len(rows) == expected


def test_the_article_and_its_sources_side_by_side(kg):
    rows = {r["claim"].removeprefix(KGR): r for r in comparison(kg)}
    article, yale = rows["claim-2400-children-deported-belarus"], rows["claim-yale-2442-children-deported-belarus"]
    assert (article["value"], article["qualifier"], article["rank"]) == ("2400", "about", "normal")
    assert (yale["value"], yale["qualifier"], yale["rank"]) == ("2442", "at least", "preferred")
    assert yale["claimant"] == "Yale School of Public Health Humanitarian Research Lab"
    assert yale["scope"] == "Belarus; ages 6-17; 2022-02-24 to 2023-10-30"
    assert article["indicator"] == yale["indicator"] == "Ukrainian children deported to Belarus"
    adopted = rows["claim-700000-children-received-russia"]
    assert adopted["rank"] == "deprecated" and "wording" in adopted["note"]
    assert rows["claim-babel-19546-children-deported-russia"]["as_of"] == "2023-07-31"
    assert {rows[c]["value"] for c in ("claim-387-children-returned", "claim-sos-385-children-returned",
                                       "claim-lbua-386-children-returned")} == {"385", "386", "387"}


def test_disagreements_agree_with_the_example_query(kg):
    found = disagreements(comparison(kg))
    result = query(kg, query_text("disagreements"))
    assert isinstance(result, SelectResult)
    index = result.variables.index("indicator")
    assert sorted(d.indicator for d in found) == sorted({row[index].value for row in result.rows})
    by_name = {d.indicator: d.values for d in found}
    assert by_name["Ukrainian children deported to Belarus"] == ("2400", "2442")
    # the deprecated "adopted" claim has the same value as its source: a misquotation, not a disagreement
    assert "Ukrainian children received by Russia" not in by_name
    assert len(found) == 6


@pytest.mark.parametrize(("row", "expected"), [
    ({"places": "Belarus", "min_age": "6", "max_age": "17", "period_from": "2022-02-24", "period_to": ""},
     "Belarus; ages 6-17; 2022-02-24 to ..."),
    ({"places": "", "min_age": "", "max_age": "17", "period_from": "", "period_to": "2023-05"},
     "ages 0-17; ... to 2023-05"),
    ({}, ""),
])
def test_scope_text(row, expected):
    assert scope_text(row) == expected


def test_cli_formats(capsys, kg):
    expected = comparison(kg)
    assert main(["compare", "--format", "csv", "--root", str(ROOT)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == ",".join(COLUMNS)
    assert list(csv.DictReader(io.StringIO(out))) == expected
    assert main(["compare", "--format", "json", "--root", str(ROOT)]) == 0
    assert json.loads(capsys.readouterr().out) == expected
    assert main(["compare", "--root", str(ROOT)]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0].split()[:3] == ["indicator", "claim", "value"]
    assert "sources disagree on 6" in captured.err


def test_server_twins_equal_the_cli(client, kg):
    expected = comparison(kg)
    as_json = client.get("/compare.json")
    assert as_json.status_code == 200 and as_json.headers["content-type"] == "application/json"
    assert as_json.json() == expected
    as_csv = client.get("/compare.csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert list(csv.DictReader(io.StringIO(as_csv.text))) == expected
    negotiated = client.get("/compare", headers={"Accept": "text/csv"})
    assert negotiated.text == as_csv.text and "Accept" in negotiated.headers["vary"]
    assert client.get("/compare.xml").status_code == 404


def test_server_page_groups_by_indicator_and_shows_the_disagreement(client):
    page = client.get("/compare")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert html.count('<section class="indicator">') == 9
    assert "Sources disagree: 2400, 2442." in html
    assert 'class="rank-deprecated"' in html and 'class="rank-preferred"' in html
    assert 'href="/id/claim-yale-2442-children-deported-belarus"' in html
