"""``/``: the query page. A SPARQL form that works without JavaScript, the example catalogue, and the results
rendered on the server: labels in the cells (the raw term on hover), ``SELECT *`` columns in the query's order,
download links to ``/sparql?format=`` and a permalink.

What a page holds is bounded whatever the query returns: at most :data:`PAGE_ROWS` rows, literals cut at
:data:`kg.workers.operations.PAGE_TERM_CHARS` characters and rows stopped past :data:`PAGE_CHARS` characters of
terms, all done in the query worker, so the server's event loop never parses or renders a huge result (the
download links have it whole).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kg import catalogue
from kg.errors import KgError
from kg.query import query_form
from kg.web.common import state_of
from kg.web.pages import example_queries, page_context, templates
from kg.web.state import ServerState

router = APIRouter()
PAGE_ROWS = 1000
#: The characters of terms a page shows at most (about a megabyte of HTML once rendered).
PAGE_CHARS = 500_000
DOWNLOADS = ("csv", "tsv", "json")


async def _run_select(state: ServerState, text: str) -> dict[str, Any]:
    """A SELECT/ASK for a page, parsed from SPARQL JSON, with its ``truncated`` flag and the labels of the IRIs
    it holds (one more query, bounded by :data:`kg.catalogue.MAX_LABELS`)."""
    body, meta = await state.graph.query_bytes(text, result_format="json", graph_format="turtle",
                                               max_rows=PAGE_ROWS, max_bytes=PAGE_CHARS)
    data = await asyncio.to_thread(json.loads, body)  # bounded, yet parsing a megabyte would stall other requests
    data["truncated"] = meta.get("truncated", False)
    data["cut"] = meta.get("cut", False)
    data["labels"] = {}
    if "results" in data:
        data["head"]["vars"] = catalogue.star_order(text, data["head"]["vars"])
        iris = catalogue.result_iris(data["results"]["bindings"])
        if iris:
            labels, _meta = await state.graph.query_bytes(catalogue.labels_query(iris), result_format="json",
                                                          graph_format="turtle", max_rows=len(iris))
            data["labels"] = catalogue.labels_of(json.loads(labels))
    return data


@router.get("/", response_class=HTMLResponse, tags=["Pages"],
            summary="The query page: a SPARQL form and the example catalogue; with ?query= it shows the results")
async def query_page(request: Request, query: str | None = None) -> HTMLResponse:
    state = state_of(request)
    examples = [catalogue.example(name, text) for name, text in example_queries()]
    text = query if query is not None else examples[0].text
    result: dict[str, Any] | None = None
    graph_text: str | None = None
    error: KgError | None = None
    try:
        if query and query_form(query) in ("CONSTRUCT", "DESCRIBE"):
            body, _meta = await state.graph.query_bytes(query, result_format="json", graph_format="turtle",
                                                        max_rows=PAGE_ROWS, max_bytes=PAGE_CHARS)
            graph_text = body.decode("utf-8")
        elif query:
            result = await _run_select(state, query)
    except KgError as err:  # a person at the form should see the message next to the query, not a JSON body
        error = err
    downloads = [(f, "/sparql?" + urlencode({"query": query, "format": f})) for f in DOWNLOADS] if query else []
    permalink = str(request.base_url).rstrip("/") + "/?" + urlencode({"query": query}) if query else ""
    return await templates.page(request, "query.html", page_context(
        request, query=text, examples=examples, result=result, graph_text=graph_text, ran=bool(query) and not error,
        page_rows=PAGE_ROWS, error=error, downloads=downloads, permalink=permalink, raw=catalogue.raw),
        status_code=error.http_status if error else 200)
