"""``/id/``: every entity by type, and ``/search?q=``: entities by label. The index is computed once per data
version (:mod:`kg.entityindex`); a search filters it in memory."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kg import entityindex
from kg.errors import UsageError
from kg.web.common import state_of
from kg.web.pages import page_context, templates

router = APIRouter()


async def _index(request: Request) -> entityindex.Index:
    state = state_of(request)

    async def make() -> entityindex.Index:
        body, _meta = await state.graph.query_bytes(entityindex.index_query(state.settings.base_iri),
                                                    result_format="json", graph_format="turtle", max_rows=0)
        return await asyncio.to_thread(entityindex.index_of, body)

    return await state.once("entity-index", make)


def _only(request: Request, allowed: tuple[str, ...]) -> None:
    """Refuse parameters the page does not take, and repeated ones (a typo must not be ignored)."""
    names = [name for name, _value in request.query_params.multi_items()]
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        known = ", ".join(allowed) or "none"
        raise UsageError(f"unknown parameter {unknown[0]!r} for {request.url.path}; known: {known}")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise UsageError(f"parameter {repeated[0]!r} given more than once")


@router.get("/id/", response_class=HTMLResponse, tags=["Pages"],
            summary="Every entity of the graph, by type, with a label search")
async def entity_index(request: Request) -> Response:
    _only(request, ())
    index = await _index(request)
    return await templates.page(request, "index.html", page_context(request, index=index, q=""))


router.head("/id/", include_in_schema=False)(entity_index)


@router.get("/search", response_class=HTMLResponse, tags=["Pages"],
            summary="Entities whose label contains every word of ?q= (at most 200, the best first)")
async def search_page(request: Request, q: str = "") -> Response:
    _only(request, ("q",))
    index = await _index(request)
    found, total = index.search(q)
    return await templates.page(request, "search.html", page_context(
        request, q=q, found=found, total=total, limit=entityindex.MAX_RESULTS))
