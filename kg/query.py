"""Running SPARQL over the graph, with the limits built into the API rather than into each caller.

``query()`` parses and evaluates one SPARQL 1.1 query with pyoxigraph over the union of the named graphs (or the
graphs the caller selects, as ``FROM``/``default-graph-uri`` do), refuses what a read-only public service must
not do (updates, ``SERVICE`` calls outside the allow-list) and caps rows and time. Limits live here so that the
CLI, the endpoint and the pages all get them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pyoxigraph as ox

from kg.errors import QueryRefused, QuerySyntaxError, QueryTimeout, QueryUnsupported, UpdateRefused, UsageError
from kg.graph import KnowledgeGraph
from kg.namespaces import PREFIXES

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

QueryForm = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]

# Comments, strings and IRIs can contain any word; strip them before looking for keywords. The order of the
# alternatives matters: long strings before short ones.
_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""' r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"' r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"
    r"|#[^\n]*",
)
# Variables, language tags and the local part of a prefixed name (from its colon on) are words too:
# ``?service``, ``"x"@service``, ``ex:a.SERVICE`` and ``_:service`` hold no keyword. The prefix of a prefixed
# name is kept: pyoxigraph's parser reads ``SERVICE:x`` and ``SERVICEex:y`` in a group pattern as the keyword
# followed by a name, so the guard must too (SPARQL 1.1 Query §19.8: PN_LOCAL, VAR1, LANGTAG).
_PN_CHAR = r"[\w\-\u00B7]"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_NAMES = re.compile(
    _OPAQUE.pattern
    + r"|[?$]" + _PN_CHAR + "+"
    + r"|@[A-Za-z]+(?:-[A-Za-z0-9]+)*"
    + rf"|:(?:{_PN_CHAR}|:|{_PLX})(?:(?:{_PN_CHAR}|[.:]|{_PLX})*(?:{_PN_CHAR}|:|{_PLX}))?",
)
_UPDATE_WORDS = re.compile(
    r"(?<![\w:?$@-])(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)(?![\w:])", re.IGNORECASE
)
_QUERY_WORDS = re.compile(r"(?<![\w:?$@-])(SELECT|ASK|CONSTRUCT|DESCRIBE)(?![\w:])", re.IGNORECASE)
_FROM = re.compile(r"(?<![\w:?$@-])FROM(?![\w:])", re.IGNORECASE)
# Every SERVICE keyword, however it is spaced, and the IRI after it when there is one. Nothing may follow the
# keyword for it to count: pyoxigraph's parser needs no space or word boundary after SERVICE or SILENT
# (``SERVICESILENT<http://...>`` calls the endpoint).
_SERVICE = re.compile(r"(?<![\w:?$@-])SERVICE\s*(?:SILENT\s*)?(<[^<>]*>)?", re.IGNORECASE)
# pyoxigraph reports a cast or built-in called with the wrong number of arguments as an evaluation error; the
# query is malformed (SPARQL 1.1 Query §17.1: a cast takes one argument), so it is a syntax error, 400.
_ARITY = re.compile(r"requires between \d+ and \d+ arguments, but \d+ were given")


@dataclass
class SelectResult:
    """Rows of a SELECT query. ``truncated`` is True when the row cap cut the result short.

    ``rows`` is a list, except for a streamed query without row cap (``max_rows=0, stream=True``), where it is
    an iterator consumed once."""

    variables: list[str]
    rows: Sequence[tuple[Term | None, ...]] | Iterator[tuple[Term | None, ...]]
    truncated: bool = False
    form: QueryForm = "SELECT"


@dataclass
class AskResult:
    value: bool
    form: QueryForm = "ASK"
    truncated: bool = False


@dataclass
class GraphResult:
    """Triples of a CONSTRUCT or DESCRIBE query (duplicates removed, order kept; an iterator when streamed
    without a cap, where duplicates are not removed)."""

    triples: Sequence[ox.Triple] | Iterator[ox.Triple] = field(default_factory=list)
    truncated: bool = False
    form: QueryForm = "CONSTRUCT"


QueryResult = SelectResult | AskResult | GraphResult


def _skeleton(text: str) -> str:
    """The query with comments, strings, variables, language tags and the inside of IRIs and of local names
    blanked, every character kept in its place: a keyword found in it is a keyword of the query (never a word of
    ``<http://schema.org/Service>`` or ``ex:a.SERVICE``), and the IRI after it is read from ``text`` at the
    same offsets. The brackets of an IRI and the colon of a prefixed name are kept: ``insert:x`` is a name."""
    def blank(m: re.Match[str]) -> str:
        token = m.group(0)
        if token.startswith("<"):
            return "<" + " " * (len(token) - 2) + ">"
        return ":" + " " * (len(token) - 1) if token.startswith(":") else " " * len(token)

    return _NAMES.sub(blank, text)


def query_form(text: str) -> QueryForm | Literal["UPDATE"] | None:
    """Which operation ``text`` is: the first query or update keyword outside strings, IRIs and comments."""
    skeleton = _skeleton(text)
    q = _QUERY_WORDS.search(skeleton)
    u = _UPDATE_WORDS.search(skeleton)
    if u and (q is None or u.start() < q.start()):
        return "UPDATE"
    return q.group(1).upper() if q else None  # type: ignore[return-value]


def refuse_unsafe(text: str, *, service_allowlist: Sequence[str] = ()) -> None:
    """Raise for an update or for a ``SERVICE`` call to an endpoint outside ``service_allowlist``.

    pyoxigraph would report an update as a syntax error; a read-only service should say 403 and why.
    ``SERVICE`` is refused because a public endpoint must not be made to fetch arbitrary URLs (SSRF).
    """
    if query_form(text) == "UPDATE":
        raise UpdateRefused("SPARQL Update is not allowed: this endpoint is read-only")
    for match in _SERVICE.finditer(_skeleton(text)):
        target = text[match.start(1):match.end(1)] if match.group(1) is not None else None
        # Only a full IRI on the allow-list passes: a variable or prefixed name could name any endpoint.
        if target is None or target[1:-1] not in service_allowlist:
            shown = target or "with a variable or prefixed name"
            raise QueryRefused(
                f"SERVICE {shown} is not allowed: federated queries are limited to KG_SERVICE_ALLOWLIST "
                f"({', '.join(service_allowlist) or 'empty'})"
            )


def _graph_nodes(iris: Iterable[str]) -> list[ox.NamedNode]:
    nodes = []
    for iri in iris:
        try:
            nodes.append(ox.NamedNode(iri))
        except ValueError as err:
            raise UsageError(f"graph IRI {iri!r} is not a valid IRI ({err})") from None
    return nodes


def query(
    kg: KnowledgeGraph,
    sparql: str,
    *,
    timeout_s: float | None = None,
    max_rows: int | None = None,
    default_graph_uris: Sequence[str] = (),
    named_graph_uris: Sequence[str] = (),
    base_iri: str | None = None,
    service_allowlist: Sequence[str] | None = None,
    stream: bool = False,
) -> QueryResult:
    """Evaluate one SPARQL 1.1 query.

    The default graph is the union of every named graph unless ``default_graph_uris`` (the protocol's
    ``default-graph-uri``) or the query's ``FROM`` name graphs; unknown graph names are empty graphs and nothing
    is ever fetched. Common prefixes (``kg:``, ``rdfs:``, ``prov:`` ...) are predeclared.

    Raises :class:`QuerySyntaxError` (with the parser's message), :class:`UpdateRefused`,
    :class:`QueryRefused` (SERVICE) and :class:`QueryTimeout` when rows are still being produced after
    ``timeout_s`` (the server also enforces the limit on a query stuck before its first row, by running it in
    a worker process it can stop). ``max_rows=0`` lifts the row cap; with ``stream=True`` as well, rows (or
    triples) are produced lazily instead of being collected, so a large result is never held whole.
    """
    settings = kg.settings
    timeout_s = settings.query_timeout_s if timeout_s is None else timeout_s
    max_rows = settings.max_rows if max_rows is None else max_rows
    allow = settings.service_allowlist if service_allowlist is None else service_allowlist
    refuse_unsafe(sparql, service_allowlist=allow)
    deadline = time.monotonic() + timeout_s
    options: dict[str, object] = {"prefixes": PREFIXES, "base_iri": base_iri}
    if default_graph_uris or named_graph_uris:
        # The protocol's parameters define the whole dataset (SPARQL 1.1 Protocol §2.1.4): graphs not named are
        # absent, so only named-graph-uri gives an empty default graph, as FROM NAMED alone does.
        options["default_graph"] = _graph_nodes(default_graph_uris)
        options["named_graphs"] = _graph_nodes(named_graph_uris)
    elif not _FROM.search(_skeleton(sparql)):
        # The union is only the default when the query names no dataset: pyoxigraph would otherwise ignore
        # FROM / FROM NAMED (SPARQL 1.1 Query §13.2: the dataset clause defines the default graph).
        options["use_default_graph_as_union"] = True
    if not isinstance(kg.store, ox.Store):  # an external store (kg.remote.store) bounds each request it sends
        options["timeout_s"] = timeout_s
    try:
        raw = kg.store.query(sparql, **options)
    except SyntaxError as err:
        raise QuerySyntaxError(f"malformed query: {err.msg or err}") from None
    except (OSError, RuntimeError, ValueError) as err:
        if _ARITY.search(str(err)):
            raise QuerySyntaxError(f"malformed query: {err}") from None
        raise QueryUnsupported(f"query not supported: {err}") from None
    try:
        if stream and max_rows == 0:
            return _stream(raw, deadline=deadline, timeout_s=timeout_s)
        return _collect(raw, max_rows=max_rows or 2**62, deadline=deadline, timeout_s=timeout_s)
    except (OSError, RuntimeError) as err:
        raise QueryUnsupported(f"query evaluation failed: {err}") from None


def _check_deadline(deadline: float, timeout_s: float) -> None:
    if time.monotonic() > deadline:
        raise QueryTimeout(f"query exceeded KG_QUERY_TIMEOUT_S={timeout_s:g} seconds", setting="KG_QUERY_TIMEOUT_S")


def _collect(raw: object, *, max_rows: int, deadline: float, timeout_s: float) -> QueryResult:
    if isinstance(raw, ox.QueryBoolean):
        return AskResult(bool(raw))
    if isinstance(raw, ox.QuerySolutions):
        variables = [v.value for v in raw.variables]
        rows: list[tuple[Term | None, ...]] = []
        truncated = False
        for solution in raw:
            if len(rows) >= max_rows:
                truncated = True
                break
            rows.append(tuple(solution[i] for i in range(len(variables))))
            if len(rows) % 1024 == 0:
                _check_deadline(deadline, timeout_s)
        _check_deadline(deadline, timeout_s)
        return SelectResult(variables, rows, truncated)
    triples: dict[ox.Triple, None] = {}
    truncated = False
    for triple in raw:  # type: ignore[attr-defined]
        if len(triples) >= max_rows:
            truncated = True
            break
        triples[triple] = None
        if len(triples) % 1024 == 0:
            _check_deadline(deadline, timeout_s)
    _check_deadline(deadline, timeout_s)
    return GraphResult(list(triples), truncated)


def _stream(raw: object, *, deadline: float, timeout_s: float) -> QueryResult:
    """Lazy results: the deadline is checked as rows are pulled."""
    if isinstance(raw, ox.QueryBoolean):
        return AskResult(bool(raw))

    def checked(items: Iterable[object]) -> Iterator[object]:
        for count, item in enumerate(items, 1):
            if count % 1024 == 0:
                _check_deadline(deadline, timeout_s)
            yield item

    if isinstance(raw, ox.QuerySolutions):
        variables = [v.value for v in raw.variables]
        width = range(len(variables))
        rows = (tuple(s[i] for i in width) for s in checked(raw))  # type: ignore[index]
        return SelectResult(variables, rows)
    return GraphResult(checked(raw))  # type: ignore[arg-type]
