"""HTTP methods on every route: HEAD wherever GET answers (RFC 9110 §9.3.2), OPTIONS (§9.3.7), and the
``Allow`` header of a 405 answer listing what the path takes over all its routes (§15.5.6).

FastAPI's routes answer only the methods they are declared with, and a 405 from one route names that route's
methods alone (``GET /sparql`` and ``POST /sparql`` are two routes). These helpers walk the application's
routes instead (through the included routers, as FastAPI's own OpenAPI writer does), so a router declares GET
and the rest follows.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The order ``Allow`` lists methods in.
_ORDER = ("GET", "HEAD", "POST", "OPTIONS")


def add_head_routes(app: FastAPI) -> None:
    """Give every GET route of ``app`` without a HEAD twin one, with the same endpoint (so the same status and
    headers), left out of the OpenAPI description as HEAD always is. Call it after the routers are included."""
    routes = [r for r in iter_route_contexts(app.router.routes) if isinstance(r.original_route, APIRoute)]
    with_head = {r.path for r in routes if "HEAD" in (r.methods or ())}
    for route in routes:
        if "GET" in (route.methods or ()) and route.path not in with_head:
            app.router.add_api_route(route.path, route.endpoint, methods=["HEAD"], include_in_schema=False,
                                     response_class=route.response_class, name=f"{route.name}_head")
            with_head.add(route.path)


def allowed_methods(router: Router, scope: Scope) -> list[str]:
    """The methods some route of ``router`` answers at the path of ``scope`` (OPTIONS included); empty when no
    route has that path."""
    # the application's view of the path: a 405 raised inside a mount comes with the mount's child scope
    probe = {"type": "http", "path": scope["path"], "method": "GET",
             "root_path": scope.get("app_root_path", scope.get("root_path", ""))}
    found: set[str] = set()
    for route in iter_route_contexts(router.routes):
        match, _ = route.matches(probe)
        if match is not Match.NONE:
            found |= route.methods or {"GET", "HEAD"}  # a mount serves files: GET and HEAD
    if not found:
        return []
    return sorted(found | {"OPTIONS"}, key=lambda m: (_ORDER.index(m) if m in _ORDER else len(_ORDER), m))


class Methods:
    """Answers OPTIONS with 204 and ``Allow`` (a CORS preflight is answered before, by the CORS middleware),
    and sends HEAD answers without their body: a streamed SPARQL answer would otherwise carry it in-process
    (uvicorn drops it on the wire, the test client does not)."""

    def __init__(self, app: ASGIApp, router: Router) -> None:
        self.app = app
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("OPTIONS", "HEAD"):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            allowed = allowed_methods(self.router, scope)
            if allowed:
                await send({"type": "http.response.start", "status": 204,
                            "headers": [(b"allow", ", ".join(allowed).encode())]})
                await send({"type": "http.response.body", "body": b""})
                return
            await self.app(scope, receive, send)  # no such path: the router's 404
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, headers_only)
