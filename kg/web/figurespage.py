"""``/figures``: the headline table with its timeline, filtered and sorted by query parameters.

The router parses the parameters (:func:`kg.figuretable.parse`, which refuses unknown ones), takes the
records, the places and the timeline prepared once per data version, and renders; no query runs per request.
``/figures.csv`` and ``/figures.json`` serve the prepared view by pages, as ``kg figures`` writes it.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from markupsafe import Markup

from kg import datetext, figuretable, timeline
from kg.errors import NotFound
from kg.figures import COLUMNS
from kg.formats import BY_NAME, negotiate
from kg.render import records as render_records
from kg.web.common import state_of
from kg.web.pages import page_context, templates

router = APIRouter()
PAGE_FIGURES = 100


async def _prepared(request: Request) -> tuple[list[dict[str, str]], dict[str, list[str]]]:
    """Every record of the prepared view and the places of each claim, read once per data version."""
    state = state_of(request)
    view = await state.figures_view()

    async def read() -> tuple[list[dict[str, str]], dict[str, list[str]]]:
        records = await asyncio.to_thread(view.records)
        body, _meta = await state.graph.query_bytes(figuretable.PLACES_QUERY, result_format="json",
                                                    graph_format="turtle", max_rows=0)
        return records, figuretable.places_of(body)

    return await state.once("figures-records", read)


async def _chart(request: Request) -> tuple[timeline.Timeline, figuretable.Facets, Markup]:
    """The timeline of every figure, the filter values and the timeline's SVG, computed once per data version.

    The SVG (up to :data:`kg.timeline.MAX_MARKS` marks, most of the page) is the same for every request, and
    rendering it took about 80 ms of the server's one event loop per request at 20,000 claims."""
    state = state_of(request)

    async def make() -> tuple[timeline.Timeline, figuretable.Facets, Markup]:
        records, places = await _prepared(request)
        href_attr = page_context(request)["href_attr"]  # the links of the marks: the server's base, not the request

        def compute() -> tuple[timeline.Timeline, figuretable.Facets, Markup]:
            chart = timeline.layout(records)
            svg = templates.get_template("figures_chart.html").render(chart=chart, href_attr=href_attr)
            return chart, figuretable.facets(records, places), Markup(svg)

        return await asyncio.to_thread(compute)

    return await state.once("figures-chart", make)


@router.get("/figures", response_class=HTMLResponse, tags=["Pages"],
            summary="Who attributed which figure, when: a timeline and the table, filtered by indicator, claimant, "
                    "place and year, sorted by ?sort= (prepared once per version)")
async def figures_page(request: Request, offset: int = Query(0, ge=0),
                       limit: int = Query(PAGE_FIGURES, ge=1, le=10_000),
                       indicator: str = "", claimant: str = "", place: str = "", year: str = "",
                       sort: str = "stated") -> Response:
    selection = figuretable.parse(request.query_params.multi_items())
    state = state_of(request)
    fmt = negotiate(request.headers.get("accept"), (BY_NAME["html"], BY_NAME["csv"], BY_NAME["json"]))
    if fmt.name != "html" and selection.is_default:
        response = await figures_data(request, fmt.extension if fmt.name == "csv" else "json", offset, limit)
        response.headers["Vary"] = "Accept"
        return response
    view = await state.figures_view()
    if selection.is_default:  # the view's own order: one page read from disk
        rows: list[Any] = await asyncio.to_thread(view.records, offset, limit)
        total = view.count
    else:
        records, places = await _prepared(request)
        selected = figuretable.select(records, selection, places)
        total, rows = len(selected), selected[offset:offset + limit]
    if fmt.name != "html":
        body = render_records([dict(r) for r in rows], COLUMNS, fmt.extension if fmt.name == "csv" else "json")
        media = "text/csv; charset=utf-8" if fmt.name == "csv" else "application/json"
        return Response(body, media_type=media, headers={"Vary": "Accept", "KG-Total-Rows": str(total)})
    chart, facets, chart_svg = await _chart(request)

    def link(**changes: str) -> str:
        params = selection.query(**changes)
        return "/figures" + ("?" + urlencode(params) if params else "")

    return await templates.page(request, "figures.html", page_context(
        request, rows=rows, columns=COLUMNS, offset=offset, limit=limit, total=total, chart=chart, chart_svg=chart_svg,
        facets=facets, selection=selection, link=link, human=datetext.human, sorts=figuretable.SORTS,
        pager=urlencode(selection.query())), headers={"Vary": "Accept"})


@router.get("/figures.{extension}", tags=["Pages"],
            summary="The figures as CSV (the `kg figures --format csv` header) or JSON records; all rows, or a page")
async def figures_data(request: Request, extension: str, offset: int = Query(0, ge=0),
                       limit: int | None = Query(None, ge=0)) -> Response:
    state = state_of(request)
    view = await state.figures_view()
    headers = {"ETag": f'"{state.version[:16]}-figures-{offset}-{limit}-{extension}"',
               "Last-Modified": state.http_last_modified, "KG-Total-Rows": str(view.count)}
    if extension == "csv":
        if offset == 0 and limit is None:  # the whole view is one file on disk: stream it
            return FileResponse(view.csv_path, media_type="text/csv; charset=utf-8", headers=headers)
        body = await asyncio.to_thread(view.csv, offset, limit)
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
    if extension == "json":
        body = await asyncio.to_thread(view.json, offset, limit)
        return Response(body, media_type="application/json", headers=headers)
    raise NotFound(f"no figures as .{extension}; available: .csv, .json")
