"""Dumps of the whole graph at ``/dump`` (by ``Accept``) and ``/dump.<ext>``, prepared once per data version.

Each dump is written to disk by a worker the first time it is asked for, with a gzip copy; responses carry
``ETag`` (data version and format) and ``Last-Modified`` (the newest source file) and answer conditional
requests with 304. A client that accepts gzip gets the compressed file with ``Content-Encoding: gzip``.

A dump is what the files say: the inferred graph (kg.reasoning) is left out unless ``?inferred=true``, because
a dump is downloaded to be loaded elsewhere, where a Turtle or N-Triples file could not tell an inferred triple
from a curator's; N-Quads and TriG keep it in its own named graph ``graph/inferred``.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response

from kg.errors import NotFound
from kg.formats import BY_EXTENSION, BY_NAME, Format, negotiate, parse_accept
from kg.web.common import state_of
from kg.web.state import ServerState

router = APIRouter(tags=["Dumps"])

DUMP_FORMATS: tuple[Format, ...] = tuple(BY_NAME[n] for n in ("turtle", "ntriples", "nquads", "trig", "jsonld"))
INFERRED = Query(False, description="include the inferred graph (KG_REASONING); N-Quads and TriG keep it in the "
                                    "named graph https://w3id.org/ua-children-kg/graph/inferred")


def _accepts_gzip(request: Request) -> bool:
    """True when ``Accept-Encoding`` lists gzip (or ``*``) with a q-value above 0 (RFC 9110 §12.5.3)."""
    return any(coding in ("gzip", "*") and q > 0
               for coding, q, _ in parse_accept(request.headers.get("accept-encoding", "")))


def _not_modified(request: Request, etag: str, state: ServerState) -> bool:
    """RFC 9110 §13.1: If-None-Match wins over If-Modified-Since."""
    inm = request.headers.get("if-none-match")
    if inm is not None:
        tags = [t.strip() for t in inm.split(",")]
        return "*" in tags or etag in tags or f"W/{etag}" in tags
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            return state.last_modified <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


def _variant(state: ServerState, inferred: bool) -> str:
    """The part of a dump's name and ETag saying what it holds: the inferred graph of which mode, if any."""
    return f"-{state.reasoning}" if inferred and state.reasoning != "none" else ""


async def _dump_file(state: ServerState, fmt: Format, inferred: bool) -> Path:
    """The dump of this data version in ``fmt``, written once (a persisted one is reused after a restart)."""
    assert state.dump_dir is not None
    variant = _variant(state, inferred)
    path = state.dump_dir / f"dump-{state.version[:16]}{variant}.{fmt.extension}"

    async def write() -> Path:
        # the plain file is published after its gzip copy (kg.workers.operations.dump); a copy lost since is
        # written again
        if not (path.exists() and path.with_name(path.name + ".gz").exists()):
            await state.graph.dump_file(path, format=fmt.name, inferred=bool(variant))
        return path

    return await state.once(f"dump-{fmt.name}{variant}", write)


async def _serve(request: Request, fmt: Format, inferred: bool) -> Response:
    state = state_of(request)
    gz = _accepts_gzip(request)
    etag = f'"{state.version[:16]}{_variant(state, inferred)}-{fmt.extension}{"-gz" if gz else ""}"'
    headers = {"ETag": etag, "Last-Modified": state.http_last_modified, "Vary": "Accept, Accept-Encoding",
               "Cache-Control": "public, max-age=0, must-revalidate"}
    if _not_modified(request, etag, state):
        return Response(status_code=304, headers=headers)
    path = await _dump_file(state, fmt, inferred)
    media = f"{fmt.media_type}; charset=utf-8"
    filename = f"ua-children-kg.{fmt.extension}"
    if gz:
        headers["Content-Encoding"] = "gzip"
        path = path.with_name(path.name + ".gz")
    headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return FileResponse(path, media_type=media, headers=headers)


@router.get("/dump", summary="The whole graph, format by Accept (Turtle, N-Triples, N-Quads, TriG, JSON-LD)")
async def dump_negotiated(request: Request, inferred: bool = INFERRED) -> Response:
    return await _serve(request, negotiate(request.headers.get("accept"), DUMP_FORMATS), inferred)


@router.get("/dump.{extension}", summary="The whole graph in the format of the extension (ttl, nt, nq, trig, jsonld)")
async def dump_by_extension(request: Request, extension: str, inferred: bool = INFERRED) -> Response:
    fmt = BY_EXTENSION.get(extension)
    if fmt is None or fmt not in DUMP_FORMATS:
        raise NotFound(f"no dump as .{extension}; available: " + ", ".join(f".{f.extension}" for f in DUMP_FORMATS))
    return await _serve(request, fmt, inferred)

