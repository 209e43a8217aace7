"""The pages for people in real headless Chromium against a real ``kg serve``: with JavaScript on and off, at
1400 px and at 400 px (no sideways scrolling of the page), screenshots in ``tests/artifacts/``, and a bounded
crawl of every internal link."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
from playwright.sync_api import sync_playwright

from .live import live_server
from .test_browser import CHROMIUM, FLAGS

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PAGES = ["/figures", "/.well-known/void", "/figures?place=Russia&sort=-value", "/compare",
         "/id/person-maria-lvova-belova", "/ontology",
         "/sources/doc-mindua-20265865", "/sources/doc-moscow-times-2023-07-31", "/", "/id/",
         "/search?q=lvova", "/id/claim-19546-children-deported-russia", "/id/doc-mindua-20265865",
         "/?query=SELECT+*+WHERE+%7B+%3Fs+kg%3Avalue+%3Fo+%7D"]
WIDTHS = [1400, 400]
MAX_REQUESTS = 300
BROWSER_ACCEPT = "text/html,application/xhtml+xml,*/*;q=0.8"  # as a browser asks


@pytest.fixture(scope="module")
def server():
    with live_server() as base:
        yield base


@pytest.fixture(scope="module", params=[True, False], ids=["js", "nojs"])
def browser_context(request):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        context = browser.new_context(java_script_enabled=request.param)
        yield request.param, context
        browser.close()


def _name(path: str, width: int, js: bool) -> str:
    slug = re.sub(r"[^A-Za-z0-9-]+", "_", path.strip("/"))[:60] or "root"
    return f"{slug}-{width}-{'js' if js else 'nojs'}.png"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PAGES)
def test_page_renders_and_fits(server, browser_context, path, width):
    js, context = browser_context
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(server + path)
    assert response is not None and response.status == 200
    assert page.locator("h1").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / _name(path, width, js)), full_page=True)
    if width == 400:  # tables and the chart scroll inside their wrappers, the page itself never sideways
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.close()


def test_the_timeline_marks_link_to_their_claims(server, browser_context):
    _js, context = browser_context
    page = context.new_page()
    page.goto(server + "/figures")
    marks = page.locator("svg.timeline a.mark")
    assert marks.count() == page.locator("table.figures tbody tr").count()
    assert page.locator("svg.timeline a.mark.inferred").count() > 0
    assert page.locator("ul.legend li").count() >= 3
    marks.first.click()
    page.wait_for_selector("h1")
    assert "/id/claim-" in page.url
    page.close()


def test_filter_form_works_without_javascript(server, browser_context):
    _js, context = browser_context
    page = context.new_page()
    page.goto(server + "/figures")
    page.select_option("select[name=place]", "Belarus")
    page.select_option("select[name=sort]", "-value")
    page.click("form.filters button")
    page.wait_for_url("**/figures?*")
    assert "place=Belarus" in page.url and "sort=-value" in page.url
    values = [int(v.replace(",", "")) for v in page.locator("table.figures tbody td.num").all_inner_texts()]
    assert values and values == sorted(values, reverse=True)
    page.goto(server + "/figures?sortt=1")
    assert "bad request" in page.inner_text("h1")
    page.close()


def test_skip_link_and_keyboard(server, browser_context):
    _js, context = browser_context
    page = context.new_page()
    page.goto(server + "/figures")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    page.close()


def _links(html: str, base: str) -> list[str]:
    from html.parser import HTMLParser

    found: list[str] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "a":
                href = dict(attrs).get("href")
                if href:
                    found.append(urldefrag(urljoin(base, href))[0])

    Parser().feed(html)
    return found


def test_bounded_crawl_every_internal_link_answers_200(server):
    host = urlparse(server).netloc
    queue = deque(server + p for p in PAGES)
    seen: set[str] = set(queue)
    failures = []
    requests = 0
    while queue and requests < MAX_REQUESTS:
        url = queue.popleft()
        requests += 1
        request = urllib.request.Request(url, headers={"Accept": BROWSER_ACCEPT})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read()
                kind = response.headers.get("content-type", "")
        except urllib.error.HTTPError as err:
            failures.append((url, err.code))
            continue
        if not kind.startswith("text/html") or not any(url.startswith(server + p) for p in
                                                        ("/figures", "/compare", "/id/", "/sources/", "/search")):
            continue  # follow links from the pages under test only; the rest is checked for its status
        for link in _links(body.decode("utf-8"), url):
            if urlparse(link).netloc == host and link not in seen:
                seen.add(link)
                queue.append(link)
    assert not failures, failures
    assert requests > len(PAGES)


def test_the_query_editor_highlights_and_ctrl_enter_runs(server, browser_context):
    js, context = browser_context
    page = context.new_page()
    page.goto(server + "/")
    if not js:  # the plain form: a visible textarea, no editor
        assert page.locator(".cm-editor").count() == 0 and page.is_visible("#query")
        page.fill("#query", "SELECT ?v WHERE { ?c kg:value ?v } LIMIT 3")
        page.click("#run")
        page.wait_for_selector("#results table.results")
        assert page.inner_text("#results h2") == "3 rows"
        page.close()
        return
    page.wait_for_selector(".cm-editor .cm-content")
    assert "SELECT ?claim ?value" in page.inner_text(".cm-content")
    assert page.locator(".cm-line span[class]").count() > 10  # tokens are styled: keywords, variables, IRIs
    page.click(".cm-content")
    page.keyboard.press("Control+a")
    page.keyboard.type("SELECT ?v WHERE { ?c kg:value ?v } LIMIT 2")
    assert page.input_value("#query") == "SELECT ?v WHERE { ?c kg:value ?v } LIMIT 2"  # the submitted field
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#results table.results")
    assert page.inner_text("#results h2") == "2 rows"
    page.close()


def test_the_pages_load_nothing_from_outside(server, browser_context):
    _js, context = browser_context
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    for path in ("/?query=SELECT+*+WHERE+%7B+%3Fs+kg%3Avalue+%3Fo+%7D", "/figures", "/sources/doc-mindua-20265865"):
        page.goto(server + path)
    page.close()
    assert requested and all(u.startswith(server) for u in requested), requested
