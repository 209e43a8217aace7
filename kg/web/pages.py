"""HTML pages and dereferenceable IRIs: the query page, the figures view, entity pages and the ontology.

Every page is rendered on the server from a Jinja template and works without JavaScript; CSS is served from
the package, never from a CDN. Entity IRIs minted under the base (``<base>id/<name>``) resolve at
``/id/<name>`` with content negotiation (HTML, Turtle, JSON-LD, N-Triples), or by extension
(``/id/<name>.ttl``).
"""

from __future__ import annotations

import asyncio
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from kg import __version__, datetext
from kg.compare import COLUMNS as COMPARE_COLUMNS
from kg.compare import disagreements
from kg.entities import PAGE_SIZE, SCAN_LIMIT
from kg.errors import KgError, NotFound
from kg.formats import BY_EXTENSION, BY_NAME, Format, negotiate
from kg.namespaces import PREFIXES
from kg.render import records as render_records
from kg.settings import INFERRED_GRAPH, ONTOLOGY_NS
from kg.turtle.names import shorten
from kg.web.common import state_of
from kg.web.errorpages import error_answer, wants_html
from kg.web.security import csp_nonce, link_target, policy_allowing_styles_of
from kg.web.state import ONTOLOGY_QUERY, ServerState


class PageTemplates(Jinja2Templates):
    """The pages' templates. A page reporting an error (a status of 400 or more, with the :class:`KgError` as
    ``error`` in its context, as the query page shows a failed query next to the form) is rendered only for a
    client preferring HTML (:func:`kg.web.errorpages.wants_html`); any other gets the one JSON error body.

    Routers answer with :meth:`page`, which renders in a thread: an entity page of an agency with hundreds of
    claims takes 40 ms to render, and done in the event loop that stalled every other request as long (measured
    under ``bench/bench_load.py``). The GIL still serialises rendering, but the loop gets its turn at each
    switch interval (5 ms) instead of waiting for the whole page."""

    async def page(self, request: Request, name: str, context: dict[str, Any], *, status_code: int = 200,
                   headers: dict[str, str] | None = None) -> Response:
        """The page ``name`` rendered with ``context`` (see :func:`page_context`) off the event loop, or the
        JSON error body for a failed page a client other than a browser asked for."""
        error = context.get("error")
        if status_code >= 400 and isinstance(error, KgError) and not wants_html(request):
            return error_answer(request, error.to_json())
        body = await asyncio.to_thread(self.get_template(name).render, context)
        return HTMLResponse(body, status_code=status_code, headers=headers)


router = APIRouter()
templates = PageTemplates(directory=str(Path(__file__).parent / "templates"))

ENTITY_FORMATS: tuple[Format, ...] = tuple(BY_NAME[n] for n in ("html", "turtle", "jsonld", "ntriples"))
ONTOLOGY_FORMATS: tuple[Format, ...] = tuple(BY_NAME[n] for n in ("html", "turtle", "ntriples", "jsonld"))
#: Claims the comparison view holds per data version (the repository has a few dozen; a synthetic graph can
#: put every claim on a handful of indicators, and the view is kept in memory).
COMPARE_ROWS = 5000


def example_queries() -> list[tuple[str, str]]:
    """``(name, text)`` of every bundled ``kg/queries/*.rq``, figures first."""
    files = sorted(p for p in resources.files("kg.queries").iterdir() if p.name.endswith(".rq"))
    items = [(p.name[:-3], p.read_text(encoding="utf-8")) for p in files]
    return sorted(items, key=lambda item: (item[0] != "figures", item[0]))


def _short(iri: str) -> str:
    """A prefixed name for display, else the IRI itself."""
    short = shorten(iri, PREFIXES)
    return f"{short[0]}:{short[1]}" if short else iri


def page_context(request: Request, **extra: Any) -> dict[str, Any]:
    """What every page template may use (version, prefixed names, local links, readable dates) plus ``extra``;
    the one home of the template context for all page routers.

    Links to IRIs of the data go through ``href_attr(iri)`` (and ``source_attr``), which write the ``href``
    attribute only for a target :func:`kg.web.security.link_target` allows: a ``javascript:`` or ``data:`` IRI
    in hostile data is shown, never made a link. ``href(iri)`` is the target itself (``None`` when not
    linkable), for IRIs the page knows are the server's own."""
    state = state_of(request)
    base = state.settings.base_iri

    def href(iri: str) -> str | None:
        return link_target(iri, base)

    def source_href(document: str, claim: str = "") -> str | None:
        """The page of a source document (at the claim's entry when given), else the document's IRI."""
        if not document.startswith(base + "id/"):
            return href(document)
        fragment = "#" + claim.rsplit("/", 1)[-1] if claim else ""
        return "/sources/" + document[len(base) + 3:] + fragment

    def href_attr(iri: str) -> Markup:
        return _href_attribute(href(iri))

    def source_attr(document: str, claim: str = "") -> Markup:
        return _href_attribute(source_href(document, claim))

    return {"request": request, "version": __version__, "data_version": state.version[:12], "short": _short,
            "href": href, "href_attr": href_attr, "source_attr": source_attr, "human": datetext.human,
            "csp_nonce": csp_nonce(request.scope), **extra}


def _href_attribute(target: str | None) -> Markup:
    """`` href="target"`` (escaped), or nothing: an ``<a>`` without ``href`` is text, not a link."""
    return Markup(' href="{}"').format(target) if target is not None else Markup("")


async def _comparison(request: Request) -> tuple[list[dict[str, str]], bool]:
    """The comparison records of this data version (at most :data:`COMPARE_ROWS`), computed once."""
    state = state_of(request)
    return await state.once("compare", lambda: state.graph.compare(max_rows=COMPARE_ROWS))


@router.get("/compare", response_class=HTMLResponse, tags=["Pages"],
            summary="The sources side by side: for each indicator two or more claims count, every claim with its "
                    "value, claimant, source, date and rank")
async def compare_page(request: Request) -> Response:
    fmt = negotiate(request.headers.get("accept"), (BY_NAME["html"], BY_NAME["csv"], BY_NAME["json"]))
    if fmt.name != "html":
        response = await compare_data(request, fmt.extension if fmt.name == "csv" else "json")
        response.headers["Vary"] = "Accept"
        return response
    rows, truncated = await _comparison(request)
    groups: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        groups.setdefault(row["indicator"], []).append(row)
    disagree = {d.indicator: d.values for d in disagreements(rows)}
    return await templates.page(request, "compare.html", page_context(
        request, groups=groups, disagree=disagree, truncated=truncated, limit=COMPARE_ROWS),
        headers={"Vary": "Accept"})


@router.get("/compare.{extension}", tags=["Pages"],
            summary="The comparison as CSV (the `kg compare --format csv` columns) or JSON records")
async def compare_data(request: Request, extension: str) -> Response:
    if extension not in ("csv", "json"):
        raise NotFound(f"no comparison as .{extension}; available: .csv, .json")
    state = state_of(request)
    rows, truncated = await _comparison(request)
    headers = {"ETag": f'"{state.version[:16]}-compare-{extension}"', "Last-Modified": state.http_last_modified,
               "KG-Total-Rows": str(len(rows)), "KG-Truncated": "true" if truncated else "false"}
    media = "text/csv; charset=utf-8" if extension == "csv" else "application/json"
    return Response(render_records(rows, COMPARE_COLUMNS, extension), media_type=media, headers=headers)


def _split_extension(name: str, formats: tuple[Format, ...]) -> tuple[str, Format | None]:
    stem, dot, ext = name.rpartition(".")
    if dot and ext in BY_EXTENSION and BY_EXTENSION[ext] in formats:
        return stem, BY_EXTENSION[ext]
    return name, None


@router.get("/id/{name:path}", tags=["Linked data"],
            summary="Dereference an entity IRI (<base>id/<name>): HTML, Turtle, JSON-LD or N-Triples")
async def entity(request: Request, name: str,
                 page: int = Query(1, ge=1, le=1_000_000, description="the page of the entity's claims and of "
                                   "the other links to it, 50 of each (HTML only)")) -> Response:
    state = state_of(request)
    local, fmt = _split_extension(name, ENTITY_FORMATS)
    fmt = fmt or negotiate(request.headers.get("accept"), ENTITY_FORMATS)
    iri = state.settings.base_iri + "id/" + local
    headers = {"Vary": "Accept", "Link": f'<{iri}>; rel="canonical"'}
    if fmt.name == "html":
        view = await state.graph.entity(iri, page=page)
        if view is None:
            raise NotFound(f"nothing is known about {iri}")
        if page > view.pages:
            raise NotFound(f"{iri} has {view.pages} page{'s' if view.pages > 1 else ''}, not {page}")
        return await templates.page(request, "entity.html", page_context(
            request, view=view, page_size=PAGE_SIZE, scan_limit=SCAN_LIMIT), headers=headers)
    body = await state.graph.describe(iri, graph_format=fmt.name)
    if body is None:
        raise NotFound(f"nothing is known about {iri}")
    return Response(body, media_type=f"{fmt.media_type}; charset=utf-8", headers=headers)


router.head("/id/{name:path}", include_in_schema=False)(entity)


async def _ontology_html(state: ServerState) -> tuple[str, str]:
    """Documentation generated by pyLODE (3.3.x: later releases fail to import), and the Content-Security-Policy
    that lets its inline styles apply; once per data version."""
    path = await state.ontology_file()

    def make() -> tuple[str, str]:
        from pylode import OntPub

        from kg.ontologydoc import fix

        page = fix(OntPub(str(path)).make_html(), path)  # pyLODE's title, concepts and anchors put right
        return page, policy_allowing_styles_of(page)

    return await state.once("ontology-html", lambda: asyncio.to_thread(make))


@router.get("/ontology", tags=["Linked data"],
            summary="The ontology (its IRI): HTML documentation, Turtle, N-Triples or JSON-LD")
async def ontology(request: Request) -> Response:
    return await _ontology(request, negotiate(request.headers.get("accept"), ONTOLOGY_FORMATS))


@router.get("/ontology.{extension}", tags=["Linked data"], summary="The ontology in the format of the extension")
async def ontology_by_extension(request: Request, extension: str) -> Response:
    fmt = BY_EXTENSION.get(extension)
    if fmt is None or fmt not in ONTOLOGY_FORMATS:
        raise NotFound(f"no ontology as .{extension}; available: .html, .ttl, .nt, .jsonld")
    return await _ontology(request, fmt)


@router.get("/ontology/{version}", tags=["Linked data"], summary="A version IRI of the ontology")
async def ontology_version(request: Request, version: str) -> Response:
    if version != __version__ and version != "0.1.0":
        raise NotFound(f"no ontology version {version}")
    return await ontology(request)


async def _ontology(request: Request, fmt: Format) -> Response:
    state = state_of(request)
    headers = {"Vary": "Accept", "Link": f'<{ONTOLOGY_NS[:-1]}>; rel="canonical"'}
    if fmt.name == "html":
        page, policy = await _ontology_html(state)
        return HTMLResponse(page, headers={**headers, "Content-Security-Policy": policy})
    body, _meta = await state.graph.query_bytes(ONTOLOGY_QUERY, result_format="json", graph_format=fmt.name,
                                                max_rows=0)
    return Response(body, media_type=f"{fmt.media_type}; charset=utf-8", headers=headers)


@router.get("/queries/{name}.rq", response_class=PlainTextResponse, tags=["Pages"],
            summary="A bundled example query (the figures query among them)")
async def bundled_query(name: str) -> PlainTextResponse:
    for query_name, text in example_queries():
        if query_name == name:
            return PlainTextResponse(text, media_type="application/sparql-query")
    raise NotFound(f"no bundled query {name}.rq")


@router.get("/-/settings.json", tags=["Service"], summary="The server's settings and their meaning")
async def settings_json(request: Request) -> list[dict[str, Any]]:
    return state_of(request).settings.documented()  # the root included: which checkout is being served


def _inferred_graph(state: ServerState) -> dict[str, str | None] | None:
    """The inferred graph's name, mode and engine; None when the graph holds no inferred triples. Over an external
    store the mode is the one ``kg publish`` recorded, and the engine is unknown (None): the manifest keeps none."""
    if state.reasoning == "none":
        return None
    reasoner = None if state.settings.store_url is not None else state.settings.reasoner
    return {"name": INFERRED_GRAPH, "reasoning": state.reasoning, "reasoner": reasoner}


@router.get("/-/version.json", tags=["Service"],
            summary="Software and data versions, graphs with their hashes, query workers and their replacements")
async def version_json(request: Request) -> dict[str, Any]:
    state = state_of(request)
    service = state.service
    return {"version": __version__, "data_version": state.version,
            "graphs": [{"name": s.graph, "sha256": s.sha256, "bytes": s.size} for s in state.sources],
            "inferred": _inferred_graph(state),
            "workers": service.workers if service else 0,
            "worker_restarts": service.restarts if service else 0,
            "workers_recycled": service.recycled if service else 0,
            "worker_mode": state.settings.worker_mode,
            "queries_abandoned": service.abandoned if service else 0}
