"""The query page in real headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import sync_playwright

from kg.figures import figures

from .live import live_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server():
    with live_server() as base:
        yield base


@pytest.fixture(scope="module")
def page(server):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page()
        yield page
        browser.close()


def test_run_the_figures_query_from_the_page(server, page, kg):
    page.goto(server + "/")
    assert "SELECT ?claim ?value" in page.input_value("#query")
    page.click("#run")
    page.wait_for_selector("#results table.results")
    assert page.inner_text("#results h2") == f"{len(figures(kg))} rows"
    cells = page.locator("#results tbody tr td").all_inner_texts()
    assert "19546" in cells and "more than" in cells


def test_type_a_query_and_follow_an_entity_link(server, page):
    page.goto(server + "/")
    page.fill("#query", "SELECT ?who WHERE { kgr:claim-700000-children-received-russia kg:attributedTo ?who }")
    page.click("#run")
    page.wait_for_selector("#results table.results")
    page.click("#results tbody a")
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == "Maria Lvova-Belova"
    assert "Presidential Commissioner for Children's Rights of Russia" in page.inner_text("main")
    assert page.url.endswith("/id/person-maria-lvova-belova")


def test_figures_page_lists_every_figure(server, page, kg):
    page.goto(server + "/figures")
    rows = page.locator("table.figures tbody tr")
    assert rows.count() == len(figures(kg))
    assert "(unattributed)" in page.inner_text("table.figures")


def test_a_malformed_query_is_explained_next_to_the_form(server, page):
    page.goto(server + "/")
    page.fill("#query", "SELECT ?x WHERE {")
    page.click("#run")
    page.wait_for_selector("#error")
    assert "malformed query" in page.inner_text("#error")
    assert page.input_value("#query") == "SELECT ?x WHERE {"
