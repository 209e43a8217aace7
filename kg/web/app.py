"""The application factory: ``create_app(settings, data=None) -> FastAPI``.

The graph is loaded in the lifespan (into the service's workers) and the per-version views are prepared there.
Errors are mapped to the one JSON error body ``{"error": ..., "status": ...}`` in exactly one place
(:func:`_install_error_handlers`); handlers raise typed errors and never build error responses themselves. An
unexpected error is logged with its traceback and answered with a generic 500 body: its text may hold paths
or data a client should not see.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kg import __version__
from kg.errors import InternalError, KgError, NotAcceptable, PayloadTooLarge
from kg.settings import Settings
from kg.web.errorpages import PlainErrors, error_answer
from kg.web.methods import Methods, add_head_routes, allowed_methods
from kg.web.middleware import HttpMiddleware
from kg.web.security import RequestTarget, SecurityHeaders
from kg.web.servertiming import ServerTiming
from kg.web.state import ServerState

STATIC_DIR = Path(__file__).parent / "static"
log = logging.getLogger("kg.web")


def error_response(status: int, message: str, **details: Any) -> JSONResponse:
    body = {"error": message, "status": status}
    body.update({k: v for k, v in details.items() if v is not None})
    return JSONResponse(body, status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KgError)
    async def kg_error(request: Request, err: KgError) -> Response:
        # a 406 answers what Accept asked for (or the format parameter, which is in the URL): caches must key it
        headers = {"Vary": "Accept"} if isinstance(err, NotAcceptable) else None
        return error_answer(request, err.to_json(), headers)  # a page for a browser, else the JSON body

    @app.exception_handler(Exception)
    async def unexpected(request: Request, err: Exception) -> JSONResponse:
        log.error("unexpected error answering %s %s", request.method, request.url.path, exc_info=err)
        internal = InternalError()
        return JSONResponse(internal.to_json(), status_code=internal.http_status)

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, err: ClientDisconnect) -> Response:
        # the client left (or was cut off by KG_BODY_TIMEOUT_S) while its body was read: no one to answer, and
        # nothing went wrong on the server
        return Response(status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> Response:
        message = err.detail if isinstance(err.detail, str) else "request failed"
        response = error_answer(request, {"error": message, "status": err.status_code})
        if err.headers:
            response.headers.update(err.headers)
        if err.status_code == 405:  # the route that refused knows its own methods, not those of the path
            response.headers["Allow"] = ", ".join(allowed_methods(request.app.router, request.scope))
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, err: RequestValidationError) -> Response:
        first = err.errors()[0] if err.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_answer(request, {"error": f"invalid request: {where}: {first.get('msg', 'bad value')}",
                                      "status": 400})


class BodyLimit(HttpMiddleware):
    """Refuse request bodies larger than ``KG_MAX_BODY_BYTES`` with 413, before they are read whole."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        too_large = PayloadTooLarge(
            f"request body exceeds KG_MAX_BODY_BYTES={self.max_bytes}", setting="KG_MAX_BODY_BYTES")
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await JSONResponse(too_large.to_json(), status_code=413)(scope, receive, send)
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise too_large
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except PayloadTooLarge:
            if not started:
                await JSONResponse(too_large.to_json(), status_code=413)(scope, receive, send)


def create_app(settings: Settings | None = None, *, data: Sequence[Path | str] | None = None,
               state: ServerState | None = None) -> FastAPI:
    """The web application serving the graph read-only. ``data`` replaces the default files (ontology and
    ``data/``); each file becomes a named graph and queries see their union. ``state``: one already started
    (``kg serve`` loads before binding its port); otherwise the graph is loaded at start-up. Either way the
    application closes it at shutdown."""
    from kg.web import dumps, figurespage, indexpage, pages, querypage, sourcepage, sparql, void
    from kg.web.openapi import describe

    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = state or ServerState(settings, [Path(p) for p in data] if data is not None else None)
        app.state.kg = own
        try:
            if state is None:
                await own.start()
            yield
        finally:
            await own.close()

    app = FastAPI(
        title="Ukrainian children deportation claims: SPARQL endpoint",
        version=__version__,
        description="Read-only SPARQL 1.1 endpoint, dumps and dereferenceable entity IRIs of a knowledge graph "
                    "of attributed claims about the deportation of Ukrainian children.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's docs pages load their scripts from a CDN; the OpenAPI JSON is enough
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    _install_error_handlers(app)
    app.add_middleware(PlainErrors)  # inside Methods, which drops the body of a HEAD answer
    app.add_middleware(Methods, router=app.router)  # inside CORS: a preflight never reaches it
    app.add_middleware(RequestTarget)  # before any router reads the path or query string
    app.add_middleware(
        CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["ETag", "Last-Modified", "KG-Truncated", "Content-Type", "Link", "Server-Timing"],
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)  # on every answer, the 413 included
    app.add_middleware(ServerTiming)  # outermost: its total covers every other layer
    app.include_router(sparql.router)
    app.include_router(dumps.router)
    app.include_router(void.router)
    app.include_router(querypage.router)
    app.include_router(indexpage.router)
    app.include_router(figurespage.router)
    app.include_router(sourcepage.router)
    app.include_router(pages.router)
    add_head_routes(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.openapi = lambda: describe(app)  # type: ignore[method-assign]  # FastAPI's documented override
    return app
