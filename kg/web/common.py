"""Helpers shared by the routers: the server state, graph formats, the server's root URL and the ``Vary`` of
answers built from it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.responses import Response

from kg.formats import BY_NAME, Format
from kg.render import graph_bytes
from kg.web.state import ServerState

if TYPE_CHECKING:
    import pyoxigraph as ox

#: Formats a CONSTRUCT / DESCRIBE result or an entity description can be written in; the first is the default.
GRAPH_RESULT_FORMATS: tuple[Format, ...] = tuple(
    BY_NAME[n] for n in ("turtle", "ntriples", "jsonld", "rdfxml", "nquads", "trig"))


def state_of(request: Request) -> ServerState:
    return request.app.state.kg


def graph_response(triples: Iterable[ox.Triple], fmt: Format, headers: dict[str, str] | None = None) -> Response:
    return Response(graph_bytes(list(triples), fmt.name), media_type=f"{fmt.media_type}; charset=utf-8",
                    headers={"Vary": "Accept", **(headers or {})})


def root_of(request: Request) -> str:
    """The server's own root URL (no trailing slash): ``KG_PUBLIC_URL`` when set, else as the client reached
    it, from the ``Host`` header (an answer built from it says so with :func:`vary`)."""
    public = state_of(request).settings.public_url
    return (public or str(request.base_url)).rstrip("/")


def vary(request: Request, *fields: str, reflects_host: bool = False) -> dict[str, str]:
    """The ``Vary`` header of an answer chosen by the request ``fields``; ``reflects_host``: the answer holds
    :func:`root_of`, which reads ``Host`` unless ``KG_PUBLIC_URL`` is set (RFC 9110 §12.5.5)."""
    host = ("Host",) if reflects_host and not state_of(request).settings.public_url else ()
    return {"Vary": ", ".join((*fields, *host))}

