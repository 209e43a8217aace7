"""Error answers for people and for programs: the one JSON error body, or the same message as an HTML page.

A browser that mistypes an entity IRI or a parameter should read a page, not raw JSON; an API client keeps the
JSON body (``KgError.to_json``). HTML is chosen only when the client prefers ``text/html`` to JSON by q-value
(browsers send ``text/html`` first; ``*/*`` or no ``Accept`` gets JSON) and only on the pages: the SPARQL
endpoint and the dumps answer programs, whatever they accept.

Starlette answers a few errors itself, in plain text or with no body (a ``Range`` a file cannot satisfy: an
empty 416; a malformed ``Range``: a ``text/plain`` 400); :class:`PlainErrors` gives them the JSON body too.
"""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope, Send

from kg import __version__
from kg.errors import NotAcceptable
from kg.formats import BY_NAME, negotiate
from kg.web.middleware import HttpMiddleware

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
#: Paths answered to programs only: their errors stay JSON for every client.
PROGRAM_PATHS = ("/sparql", "/dump", "/.well-known", "/-/", "/openapi.json", "/queries/", "/static/")


def wants_html(request: Request) -> bool:
    """Whether the client is a person at a browser on a page (see the module's docstring)."""
    if request.method not in ("GET", "HEAD") or request.url.path.startswith(PROGRAM_PATHS):
        return False
    try:
        return negotiate(request.headers.get("accept"), (BY_NAME["json"], BY_NAME["html"])).name == "html"
    except NotAcceptable:
        return False


def error_answer(request: Request, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """``body`` (``{"error", "status", ...}``) as JSON, or as an HTML page for a browser; either way with the
    status of the body and ``Vary: Accept`` when the page was a choice."""
    status = int(body["status"])
    if wants_html(request):
        data_version = ""
        state = getattr(request.app.state, "kg", None)
        if state is not None:
            data_version = state.version[:12]
        page = templates.TemplateResponse(request, "error.html", {
            "request": request, "version": __version__, "data_version": data_version, "body": body},
            status_code=status, headers={**(headers or {}), "Vary": "Accept"})
        return page
    response: Response = JSONResponse(body, status_code=status, headers=headers)
    if request.method in ("GET", "HEAD") and not request.url.path.startswith(PROGRAM_PATHS):
        response.headers["Vary"] = "Accept"
    return response




class PlainErrors(HttpMiddleware):
    """Rewrites an error answer (status 400 or more) that is neither JSON nor HTML into the one JSON error body,
    its text (or the status's phrase) as the message; its other headers (``Content-Range`` ...) are kept."""

    #: The most of a plain error body kept as the message (Starlette's are one line).
    MAX_MESSAGE = 4096

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        held: Message | None = None
        text = bytearray()

        async def rewrite(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                media = Headers(raw=message.get("headers", [])).get("content-type", "")
                if message["status"] >= 400 and not media.startswith(("application/json", "text/html")):
                    held = message
                    return
            if held is None or message["type"] != "http.response.body":
                await send(message)
                return
            text.extend(message.get("body", b"")[:self.MAX_MESSAGE - len(text)])
            if not message.get("more_body", False):
                await send_json(held)

        async def send_json(start: Message) -> None:
            status = start["status"]
            kept = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-type",
                                                                                  b"content-length")]
            message = text.decode("utf-8", "replace").strip() or HTTPStatus(status).phrase
            content_range = Headers(raw=kept).get("content-range")
            if status == 416 and content_range:
                message = f"{message}: the Range header asks for bytes outside {content_range}"
            response = JSONResponse({"error": message, "status": status}, status_code=status)
            response.raw_headers = kept + [
                (k, v) for k, v in response.raw_headers if k in (b"content-type", b"content-length")]
            await response(scope, receive, send)

        await self.app(scope, receive, rewrite)
