"""The OpenAPI description at ``/openapi.json``, saying what the server really answers.

FastAPI documents every operation as ``200 application/json`` plus a 422 for invalid parameters; this server
answers invalid parameters with 400 and the one JSON error body, and its answers are Turtle, HTML, CSV,
SPARQL results and more. :data:`RESPONSES` holds, for each operation (by route name), the media types of its
200 answer, taken from the routers' own format tables, and the other statuses it sends; :func:`describe`
writes them over FastAPI's guesses. ``tests/test_protocol.py`` holds every operation to an entry here and
runs schemathesis's status-code and content-type checks against a real server.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from kg.formats import Format
from kg.web.common import GRAPH_RESULT_FORMATS
from kg.web.dumps import DUMP_FORMATS
from kg.web.pages import ENTITY_FORMATS, ONTOLOGY_FORMATS
from kg.web.sparql import RESULT_FORMATS

#: The one error body (``KgError.to_json``): a message and the status, with optional details.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["error", "status"],
    "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
    "additionalProperties": True,
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}


@dataclass(frozen=True)
class Documented:
    """What one operation answers: the media types of a 200, its error statuses (the JSON error body; a page
    answers it as HTML to a browser, kg.web.errorpages) and its bodiless statuses (redirects, 304)."""

    media: tuple[str, ...]
    errors: tuple[int, ...] = ()
    bodiless: tuple[int, ...] = ()


def _media(formats: Iterable[Format]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f.media_type for f in formats))


_QUERY_ERRORS = (400, 403, 406, 501, 503)  # bad query or parameter, refused, no format fits, unsupported, timeout
_FIGURES = ("text/html", "text/csv", "application/json")  # tables of records: their JSON is not SPARQL results

#: Every documented operation, by route name (500, the generic internal error, is added to each).
RESPONSES: dict[str, Documented] = {
    "sparql_get": Documented(_media((*RESULT_FORMATS, *GRAPH_RESULT_FORMATS)), _QUERY_ERRORS, (303,)),
    "sparql_post": Documented(_media((*RESULT_FORMATS, *GRAPH_RESULT_FORMATS)), (*_QUERY_ERRORS, 413, 415)),
    "dump_negotiated": Documented(_media(DUMP_FORMATS), (406,), (304,)),
    "dump_by_extension": Documented(_media(DUMP_FORMATS), (404,), (304,)),
    "well_known_void": Documented((*_media(GRAPH_RESULT_FORMATS[:4]), "text/html"), (406,)),
    # the query page shows a failed query's message next to the form (to a browser), with the error's status
    "query_page": Documented(("text/html",), (400, 403, 501, 503)),
    "figures_page": Documented(_FIGURES, (400, 406)),
    "figures_data": Documented(_FIGURES[1:], (400, 404)),
    "compare_page": Documented(_FIGURES, (406,)),
    "source_page": Documented(("text/html",), (400, 404)),
    "entity_index": Documented(("text/html",), (400,)),
    "search_page": Documented(("text/html",), (400,)),
    "compare_data": Documented(_FIGURES[1:], (404,)),
    "entity": Documented(_media(ENTITY_FORMATS), (404, 406)),
    "ontology": Documented(_media(ONTOLOGY_FORMATS), (406,)),
    "ontology_by_extension": Documented(_media(ONTOLOGY_FORMATS), (404,)),
    "ontology_version": Documented(_media(ONTOLOGY_FORMATS), (404, 406)),
    "bundled_query": Documented(("application/sparql-query",), (404,)),
    "settings_json": Documented(("application/json",)),
    "version_json": Documented(("application/json",)),
}


def describe(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of ``app`` with :data:`RESPONSES` written over FastAPI's responses (computed
    once, as FastAPI caches its own); an operation missing from the table keeps FastAPI's."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    names = {route.unique_id: route.name for route in iter_route_contexts(app.routes)
             if isinstance(route.original_route, APIRoute)}
    for operations in schema["paths"].values():
        for operation in operations.values():
            documented = RESPONSES.get(names.get(operation.get("operationId"), ""))
            if documented is not None:
                operation["responses"] = _responses(documented, operation["responses"].get("200", {}))
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422 body, never sent here
        components.pop(unused, None)
    components["Error"] = ERROR_SCHEMA
    app.openapi_schema = schema
    return schema


def _responses(documented: Documented, fastapi_ok: dict[str, Any]) -> dict[str, Any]:
    """The ``responses`` object of one operation; a JSON 200 keeps the schema FastAPI derived from the
    endpoint's return type."""
    ok_content = fastapi_ok.get("content", {})
    responses: dict[str, Any] = {"200": {"description": "OK", "content": {
        m: ok_content.get(m) or {"schema": {} if m.endswith("json") else {"type": "string"}}
        for m in documented.media}}}
    for status in documented.bodiless:
        responses[str(status)] = {"description": HTTPStatus(status).phrase}
    json_error = {"application/json": {"schema": _ERROR_REF}}
    for status in documented.errors:
        responses[str(status)] = {"description": HTTPStatus(status).phrase, "content": json_error}
    # an unexpected failure is answered by the application's one handler, as JSON, on every route
    responses["500"] = {"description": HTTPStatus(500).phrase, "content": json_error}
    return dict(sorted(responses.items()))
