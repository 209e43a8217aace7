"""Self-description of the service: the SPARQL 1.1 Service Description (``GET /sparql`` without a query) and
the VoID description of the dataset at ``/.well-known/void`` (RFC 5785 well-known URI, VoID §7.2), built by
:mod:`kg.descriptions`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kg.descriptions import void_description
from kg.formats import negotiate
from kg.web.common import GRAPH_RESULT_FORMATS, graph_response, root_of, state_of, vary

router = APIRouter(tags=["Dataset description"])


@router.get("/.well-known/void", summary="VoID description of the dataset (Turtle, N-Triples, JSON-LD, RDF/XML)")
async def well_known_void(request: Request) -> Response:
    state = state_of(request)
    fmt = negotiate(request.headers.get("accept"), GRAPH_RESULT_FORMATS[:4])
    stats = await state.once("stats", state.graph.stats)
    return graph_response(void_description(state.settings, stats, root_of(request), state.last_modified.date()),
                          fmt, vary(request, "Accept", reflects_host=True))
