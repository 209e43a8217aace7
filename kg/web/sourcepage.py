"""``/sources/{document}``: a source document with its text, every claim's and mention's span marked.

The router checks the name, runs the three queries of :mod:`kg.sourcetext` through the service, once per
document and data version, and renders; the marking itself is :func:`kg.sourcetext.paragraphs`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kg import datetext, sourcetext
from kg.errors import NotFound, UsageError
from kg.web.common import state_of
from kg.web.pages import page_context, templates

router = APIRouter()


async def _view(request: Request, iri: str) -> sourcetext.SourceView | None:
    state = state_of(request)

    async def run(text: str) -> bytes:
        body, _meta = await state.graph.query_bytes(text, result_format="json", graph_format="turtle",
                                                    max_rows=0)
        return body

    async def make() -> sourcetext.SourceView | None:
        meta = await run(sourcetext.metadata_query(iri))
        return sourcetext.source_view(iri, meta, await run(sourcetext.spans_query(iri)),
                                      await run(sourcetext.claims_query(iri)))

    view = state.cache.get(f"source:{iri}")
    if view is None:
        view = await make()
        if view is not None:  # only documents that exist are kept: a crawler of made-up names fills nothing
            state.cache[f"source:{iri}"] = view
    return view


@router.get("/sources/{document}", response_class=HTMLResponse, tags=["Pages"],
            summary="A source document: its text in paragraphs with every claim's and mention's span marked "
                    "and linked, its metadata, and the claims that appear in it")
async def source_page(request: Request, document: str) -> Response:
    if request.query_params:
        raise UsageError(f"/sources/{document} takes no parameters; got {', '.join(request.query_params)}")
    iri = sourcetext.document_iri(state_of(request).settings.base_iri, document)
    view = await _view(request, iri)
    if view is None:
        raise NotFound(f"no document {iri}")
    return await templates.page(request, "source.html", page_context(
        request, view=view, human=datetext.human, local=sourcetext.local_name))
