"""Helpers shared by the routers: the server state, graph formats, local paths of entity IRIs."""

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
    """The server's own root URL as the client reached it (no trailing slash)."""
    return str(request.base_url).rstrip("/")


def local_path(iri: str, base: str) -> str | None:
    """The path on this server of an IRI minted under ``base`` (so links work wherever the server runs)."""
    if iri.startswith(base):
        return "/" + iri[len(base):]
    return None
