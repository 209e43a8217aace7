"""The pages for people, in-process: /figures filtered and sorted, 400 on unknown parameters, HTML or JSON
errors by Accept."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from kg.settings import Settings
from kg.web import create_app

from .conftest import ROOT

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(root=ROOT, workers=1))) as c:
        yield c


def test_figures_page_has_a_timeline_a_legend_and_readable_dates(client):
    page = client.get("/figures", headers={"accept": BROWSER})
    assert page.status_code == 200
    text = page.text
    assert '<svg class="timeline"' in text and 'class="legend"' in text
    assert "July 2023 (inferred)" in text and "20 November 2023" in text
    assert 'class="mark inferred"' in text and 'stroke-dasharray' in text
    assert "2023-07<" not in text  # no machine dates in the table


def test_figures_filter_and_sort(client):
    rows = list(csv.DictReader(io.StringIO(client.get(
        "/figures?place=Russia&sort=-value", headers={"accept": "text/csv"}).text)))
    assert rows and all(r["indicator"] for r in rows)
    values = [int(r["value"]) for r in rows]
    assert values == sorted(values, reverse=True) and values[0] == 700000
    page = client.get("/figures?claimant=Maria%20Lvova-Belova&year=2023")
    assert page.status_code == 200 and "Rows 1–" in page.text
    assert page.text.count('<td class="num">') == 3


@pytest.mark.parametrize("query", ["sortt=value", "sort=colour", "year=23", "year=2023&year=2024"])
def test_unknown_or_bad_parameters_are_a_400(client, query):
    api = client.get(f"/figures?{query}", headers={"accept": "application/json"})
    assert api.status_code == 400 and set(api.json()) == {"error", "status"} and api.json()["status"] == 400
    browser = client.get(f"/figures?{query}", headers={"accept": BROWSER})
    assert browser.status_code == 400 and browser.headers["content-type"].startswith("text/html")
    assert "bad request" in browser.text and api.json()["error"].split("'")[0] in browser.text


def test_not_found_is_html_for_browsers_and_json_for_programs(client):
    html = client.get("/id/no-such-thing", headers={"accept": BROWSER})
    assert html.status_code == 404 and html.headers["content-type"].startswith("text/html")
    assert "nothing is known about" in html.text and "Accept" in html.headers["vary"]
    for accept in (None, "*/*", "text/turtle"):
        answer = client.get("/id/no-such-thing", headers={"accept": accept} if accept else {})
        assert answer.status_code == 404 and answer.json()["status"] == 404
    route = client.get("/no/such/page", headers={"accept": BROWSER})
    assert route.status_code == 404 and route.headers["content-type"].startswith("text/html")
    assert client.get("/no/such/page").json() == {"error": "Not Found", "status": 404}


def test_programs_get_json_errors_whatever_they_accept(client):
    answer = client.get("/sparql?query=SELECT", headers={"accept": BROWSER})
    assert answer.status_code == 400 and answer.json()["status"] == 400


def test_source_page_marks_every_span_and_shows_metadata(client):
    page = client.get("/sources/doc-mindua-20265865")
    assert page.status_code == 200
    text = page.text
    assert "6089a38cf8f9cf21bc452874ede5f6815d8af474879a805e907ae26b869ee3a4" in text and "mind.ua" in text
    assert text.count("<p>") >= 9  # the seed text's paragraphs
    assert text.count('<mark class="claim') >= 10 and '<mark class="mention' in text
    assert 'href="/id/claim-19546-children-deported-russia"' in text
    assert 'id="claim-19546-children-deported-russia"' in text  # the claims list: the figures page links here


def test_source_without_text_lists_its_claims_with_their_phrase(client):
    page = client.get("/sources/doc-moscow-times-2023-07-31")
    assert page.status_code == 200 and "<mark" not in page.text
    assert "380 of them adopted" in page.text and "holds no text" in page.text


def test_quotes_link_to_their_source_pages(client):
    assert 'href="/sources/doc-mindua-20265865#claim-' in client.get("/figures").text
    assert 'href="/sources/doc-' in client.get("/compare").text
    assert 'href="/sources/doc-mindua-20265865#span-' in client.get("/id/claim-19546-children-deported-russia").text


@pytest.mark.parametrize("path", ["/sources/doc-nope", "/sources/bad%20name"])
def test_unknown_source_is_a_404(client, path):
    assert client.get(path).json()["status"] == 404
    assert client.get(path, headers={"accept": BROWSER}).headers["content-type"].startswith("text/html")


def test_source_page_takes_no_parameters(client):
    assert client.get("/sources/doc-mindua-20265865?x=1").status_code == 400


def test_entity_page_lists_claims_with_value_date_and_source(client):
    page = client.get("/id/state-ua").text
    assert 'class="results claims"' in page
    assert "exactly 19,546" in page and "August 2023" in page
    assert 'href="/sources/doc-mindua-20265865#claim-19546-children-deported-russia"' in page


def test_entity_index_by_type_and_search(client):
    index = client.get("/id/")
    assert index.status_code == 200 and "Every entity, by type" in index.text
    assert ">person <" in index.text and 'href="/id/person-maria-lvova-belova"' in index.text
    assert client.head("/id/").status_code == 200
    found = client.get("/search?q=lvova%20belova").text
    assert 'href="/id/person-maria-lvova-belova"' in found and "Maria Lvova-Belova" in found
    assert "0 entities match" in client.get("/search?q=zzzzqqq").text
    assert client.get("/search").status_code == 200


@pytest.mark.parametrize("path", ["/search?query=x", "/search?q=a&q=b", "/id/?page=2"])
def test_index_and_search_refuse_unknown_parameters(client, path):
    assert client.get(path).json()["status"] == 400
    html = client.get(path, headers={"accept": BROWSER})
    assert html.status_code == 400 and "<h1>400: bad request</h1>" in html.text


def test_void_is_a_page_for_browsers_and_turtle_for_programs(client):
    page = client.get("/.well-known/void", headers={"accept": BROWSER})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "The dataset described (VoID)" in page.text and "void:triples" in page.text
    assert "Accept" in page.headers["vary"]
    for accept in (None, "*/*", "text/turtle"):
        answer = client.get("/.well-known/void", headers={"accept": accept} if accept else {})
        assert answer.headers["content-type"].startswith("text/turtle"), accept
    rapper = "application/rdf+xml, text/turtle;q=0.9, text/html;q=0.6, */*;q=0.1"
    assert client.get("/.well-known/void", headers={"accept": rapper}).headers["content-type"].startswith(
        "application/rdf+xml")


def test_pages_render_off_the_event_loop_and_the_timeline_once_per_version(monkeypatch):
    """A page is rendered in a worker thread, where no event loop runs (the loop keeps serving other requests
    meanwhile), and the timeline's SVG, the same for every request of a data version, is rendered once however
    often /figures is asked."""
    import asyncio

    from kg.web import pages

    renders: dict[str, list[bool]] = {}
    real = pages.templates.get_template

    def in_loop() -> bool:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def spying(name: str, *args: object, **kwargs: object):
        template = real(name, *args, **kwargs)
        if getattr(template, "spied", False):  # Jinja caches the template: wrap it once
            return template
        render = template.render
        template.spied = True

        def recorded(*a: object, **k: object) -> str:
            renders.setdefault(name, []).append(in_loop())
            return render(*a, **k)

        template.render = recorded
        return template

    monkeypatch.setattr(pages.templates, "get_template", spying)
    with TestClient(create_app(Settings(root=ROOT))) as fresh:
        for path in ("/figures", "/figures?sort=-value", "/figures", "/id/"):
            assert fresh.get(path, headers={"Accept": "text/html"}).status_code == 200
            assert "<svg class=\"timeline\"" in fresh.get("/figures").text
    assert len(renders["figures_chart.html"]) == 1
    assert len(renders["figures.html"]) == 7 and len(renders["index.html"]) == 1
    assert not any(flag for flags in renders.values() for flag in flags), renders
