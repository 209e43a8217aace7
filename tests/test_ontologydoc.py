"""The ontology page put right (kg/ontologydoc.py): its own title, the SKOS concepts documented, and every
``/ontology#Term`` link of every entity page landing on an element with that id."""

from __future__ import annotations

import re

from .test_pages import client  # noqa: F401 - the module's in-process server


def test_title_and_concepts(client):  # noqa: F811
    page = client.get("/ontology", headers={"accept": "text/html"}).text
    assert "<title>Ukrainian children deportation claims ontology</title>" in page
    assert "<h1>Ukrainian children deportation claims ontology</h1>" in page
    assert 'id="concepts"' in page and page.count('class="concept"') >= 15
    assert "The count is the value or more." in page  # kg:AtLeast's definition


def test_every_fragment_link_from_entity_pages_lands_on_its_term(client):  # noqa: F811
    ids = set(re.findall(r'\bid="([^"]+)"', client.get("/ontology", headers={"accept": "text/html"}).text))
    entities = sorted(set(re.findall(r'href="(/id/[^"#?]+)"', client.get("/id/").text)))
    assert len(entities) > 100
    fragments: set[str] = set()
    for path in entities[:400]:
        fragments |= set(re.findall(r'href="/ontology#([^"]+)"', client.get(path).text))
    assert len(fragments) > 20
    assert sorted(fragments - ids) == []
