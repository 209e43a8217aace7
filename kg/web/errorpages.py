"""Error answers for people and for programs: the one JSON error body, or the same message as an HTML page.

A browser that mistypes an entity IRI or a parameter should read a page, not raw JSON; an API client keeps the
JSON body (``KgError.to_json``). HTML is chosen only when the client prefers ``text/html`` to JSON by q-value
(browsers send ``text/html`` first; ``*/*`` or no ``Accept`` gets JSON) and only on the pages: the SPARQL
endpoint and the dumps answer programs, whatever they accept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates

from kg import __version__
from kg.errors import NotAcceptable
from kg.formats import BY_NAME, negotiate

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


