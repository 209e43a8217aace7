"""The SPARQL 1.1 Protocol query operation at ``/sparql`` (read-only).

GET ``?query=``, POST form-encoded, POST ``application/sparql-query``; ``default-graph-uri`` and
``named-graph-uri`` select graphs of the dataset (never fetched); results by ``Accept`` (q-values) or a
``format`` parameter (``output`` and ``results`` are its aliases: clients such as SPARQLWrapper send all three),
406 when nothing fits. Updates are refused with 403. GET without a query answers the SPARQL 1.1 Service
Description, or redirects to the query page when HTML is the client's best choice.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from kg.descriptions import service_description
from kg.errors import NotAcceptable, QueryTimeout, UnsupportedMediaType, UpdateRefused, UsageError
from kg.formats import BY_NAME, Format, by_name, by_parameter, formats_for, negotiate
from kg.query import query_form
from kg.web.common import GRAPH_RESULT_FORMATS, graph_response, root_of, state_of, vary
from kg.workers.protocol import Answer

router = APIRouter(tags=["SPARQL"])

RESULT_FORMATS = formats_for("results")
#: What GET without a query answers: the Service Description, or (HTML) a redirect to the query page.
DESCRIPTION_FORMATS = (*GRAPH_RESULT_FORMATS, BY_NAME["html"])

_PARAMS = {
    "query": "SPARQL query text (exactly one)",
    "default-graph-uri": "a named graph to use as (part of) the default graph; repeatable",
    "named-graph-uri": "a named graph to make available to GRAPH; repeatable",
    "format": "result format overriding Accept: json, xml, csv, tsv, turtle, ntriples, nquads, trig, jsonld, "
              "rdfxml, n3, a media type; for a graph xml is RDF/XML and json is JSON-LD; repeatable if the values "
              "agree",
    "output": "an alias of format",
    "results": "an alias of format",
}
#: The parameters that choose the result format: ``format`` and the aliases other servers read.
FORMAT_PARAMETERS = ("format", "output", "results")
_OPENAPI_GET = {"parameters": [
    {"name": n, "in": "query", "required": False, "schema": {"type": "string"}, "description": d}
    for n, d in _PARAMS.items()]}
_OPENAPI_POST = {
    "parameters": _OPENAPI_GET["parameters"][1:],
    "requestBody": {"content": {
        "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
            n: {"type": "string", "description": d} for n, d in _PARAMS.items()}}},
        "application/sparql-query": {"schema": {"type": "string"}},
    }},
}


@dataclass
class ProtocolRequest:
    """The parts of a query request, whatever way it arrived."""

    queries: list[str] = field(default_factory=list)
    updates: list[str] = field(default_factory=list)
    default_graph_uris: list[str] = field(default_factory=list)
    named_graph_uris: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)

    def add(self, pairs: list[tuple[str, str]]) -> None:
        for key, value in pairs:
            target = {"query": self.queries, "update": self.updates, "default-graph-uri": self.default_graph_uris,
                      "named-graph-uri": self.named_graph_uris, "using-graph-uri": self.updates,
                      "using-named-graph-uri": self.updates,
                      **dict.fromkeys(FORMAT_PARAMETERS, self.formats)}.get(key)
            if target is not None:
                target.append(value)


def _media_type(request: Request) -> tuple[str, str | None]:
    raw = request.headers.get("content-type", "")
    parts = [p.strip() for p in raw.split(";")]
    charset = None
    for param in parts[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return parts[0].lower(), charset


def _decode(body: bytes, charset: str | None) -> str:
    if charset not in (None, "utf-8", "utf8"):
        raise UnsupportedMediaType(f"charset {charset} is not supported; send UTF-8 (SPARQL 1.1 Protocol §2.1.3)")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UsageError(f"request body is not valid UTF-8 (byte {err.start})") from None


async def _parse(request: Request) -> ProtocolRequest:
    parsed = ProtocolRequest()
    parsed.add(list(request.query_params.multi_items()))
    if request.method != "POST":
        return parsed
    media, charset = _media_type(request)
    body = await request.body()
    if media == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(_decode(body, charset), keep_blank_values=True, strict_parsing=False,
                              encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            raise UsageError("form body is not valid UTF-8 after percent-decoding") from None
        parsed.add(pairs)
    elif media == "application/sparql-query":
        parsed.queries.append(_decode(body, charset))
    elif media == "application/sparql-update":
        raise UpdateRefused("SPARQL Update is not allowed: this endpoint is read-only")
    else:
        shown = media or "none"
        raise UnsupportedMediaType(
            f"unsupported Content-Type {shown}: send application/x-www-form-urlencoded or application/sparql-query")
    return parsed


def _choose_format(request: Request, explicit: list[str], candidates: tuple[Format, ...]) -> Format:
    """The format parameters' choice, else the best by ``Accept``."""
    return by_parameter(explicit, candidates) or negotiate(request.headers.get("accept"), candidates)


async def _answer(request: Request) -> Response:
    state = state_of(request)
    parsed = await _parse(request)
    if parsed.updates:
        raise UpdateRefused("SPARQL Update is not allowed: this endpoint is read-only")
    if len(parsed.queries) > 1:
        raise UsageError("more than one query parameter; send exactly one (SPARQL 1.1 Protocol §2.1)")
    if not parsed.queries:
        if request.method == "POST":
            raise UsageError("missing query parameter")
        # HTML comes last, so a client that takes anything gets the description; a browser, which prefers
        # HTML, goes to the query page (Comunica asks with text/html;q=0.2 and must get the description)
        fmt = _choose_format(request, parsed.formats, DESCRIPTION_FORMATS)
        if fmt.name == "html":
            return RedirectResponse("/", status_code=303, headers={"Vary": "Accept"})
        return graph_response(service_description(state.settings, state.sources, root_of(request)), fmt,
                              vary(request, "Accept", reflects_host=True))
    text = parsed.queries[0]
    form = query_form(text)
    if form == "UPDATE":  # refused as such, whatever the client accepts
        raise UpdateRefused("SPARQL Update is not allowed: this endpoint is read-only")
    candidates = GRAPH_RESULT_FORMATS if form in ("CONSTRUCT", "DESCRIBE") else RESULT_FORMATS
    try:
        fmt = _choose_format(request, parsed.formats, candidates)
    except NotAcceptable:
        if form is not None:
            raise
        fmt = candidates[0]  # no query form: the query is malformed, and the 400 saying so is what matters
    graph_fmt = fmt if fmt in GRAPH_RESULT_FORMATS else GRAPH_RESULT_FORMATS[0]
    result_fmt = fmt if fmt in RESULT_FORMATS else RESULT_FORMATS[0]
    answer = await state.graph.query(
        text, result_format=result_fmt.name, graph_format=graph_fmt.name,
        default_graph_uris=parsed.default_graph_uris, named_graph_uris=parsed.named_graph_uris,
        base_iri=root_of(request) + "/sparql")  # relative IRIs in a query resolve against the endpoint
    used = by_name(answer.meta["format"])
    headers = vary(request, "Accept", reflects_host=True)
    if answer.meta.get("truncated"):
        headers["KG-Truncated"] = f"true; KG_MAX_ROWS={state.settings.max_rows}"
    media_type = f"{used.media_type}; charset=utf-8"
    if answer.body is not None:
        return Response(answer.body, media_type=media_type, headers=headers)
    return AnswerResponse(answer, media_type=media_type, headers=headers)


class AnswerResponse(StreamingResponse):
    """Streams a worker's answer (in messages of at most :data:`kg.workers.protocol.CHUNK_BYTES`) and releases
    the worker however the response ends (finished, aborted, or the client gone before the first chunk).

    The answer's deadline holds here too: a client that reads slowly or not at all leaves the response waiting
    to send, and at the deadline the response is aborted (the pool has freed the worker by then already)."""

    def __init__(self, answer: Answer, **kwargs: Any) -> None:
        super().__init__(answer.chunks, **kwargs)
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            if self.answer.deadline is None:
                await super().__call__(scope, receive, send)
                return
            try:
                async with asyncio.timeout(max(0.0, self.answer.deadline - time.monotonic())):
                    await super().__call__(scope, receive, send)
            except TimeoutError:  # aborted: a client must not take half an answer for the whole
                raise QueryTimeout("query exceeded KG_QUERY_TIMEOUT_S while the client was reading the answer",
                                   setting="KG_QUERY_TIMEOUT_S") from None
        finally:
            self.answer.close()


@router.get("/sparql", name="sparql_get", openapi_extra=_OPENAPI_GET,
            summary="SPARQL query (GET), or the service description when no query is given")
async def sparql_get(request: Request) -> Response:
    return await _answer(request)


@router.post("/sparql", name="sparql_post", openapi_extra=_OPENAPI_POST,
             summary="SPARQL query (POST form-encoded or application/sparql-query)")
async def sparql_post(request: Request) -> Response:
    return await _answer(request)
