"""Self-description of the service: the SPARQL 1.1 Service Description (``GET /sparql`` without a query) and
the VoID description of the dataset at ``/.well-known/void`` (RFC 5785 well-known URI, VoID §7.2), built by
:mod:`kg.descriptions`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kg.descriptions import void_description
from kg.formats import BY_NAME, negotiate
from kg.triplesview import grouped
from kg.web.common import GRAPH_RESULT_FORMATS, graph_response, root_of, state_of, vary

router = APIRouter(tags=["Dataset description"])


#: RDF first (``*/*`` and RDF clients get Turtle); HTML last, chosen only when a browser prefers it.
VOID_FORMATS = (*GRAPH_RESULT_FORMATS[:4], BY_NAME["html"])


@router.get("/.well-known/void",
            summary="VoID description of the dataset (Turtle, N-Triples, JSON-LD, RDF/XML; HTML for browsers)")
async def well_known_void(request: Request) -> Response:
    state = state_of(request)
    fmt = negotiate(request.headers.get("accept"), VOID_FORMATS)
    stats = await state.once("stats", state.graph.stats)
    root = root_of(request)
    triples = void_description(state.settings, stats, root, state.last_modified.date())
    headers = vary(request, "Accept", reflects_host=True)
    if fmt.name == "html":
        from kg.web.pages import page_context, templates  # the pages' templates; pages imports nothing of this module

        subjects = grouped(triples, first=root + "/.well-known/void#dataset")
        return await templates.page(request, "void.html", page_context(request, subjects=subjects),
                                    headers=headers)
    return graph_response(triples, fmt, headers)
