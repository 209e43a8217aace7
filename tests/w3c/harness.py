"""Running W3C SPARQL 1.1 tests over HTTP against a live ``kg serve`` process, and tallying the outcomes.

Query tests share one server that holds every data file of every test as a named graph called by the file's W3C
IRI, so each request must name its test's dataset exactly, or other tests' graphs leak in (the server's default
dataset is every graph, as the default graph and as named graphs):

* a test with ``qt:graphData`` sends ``default-graph-uri`` for each ``qt:data`` file (or for a graph that does not
  exist, :data:`EMPTY_DEFAULT`, when it has none: an unknown graph is empty) and ``named-graph-uri`` for each
  ``qt:graphData`` file;
* a test without ``qt:graphData`` gets ``FROM <file>`` clauses (or ``FROM <EMPTY_DEFAULT>``) put into its query
  and no protocol parameter. The protocol cannot say "no named graphs" to this server: with ``default-graph-uri``
  alone every graph in the store stays a named graph, and a placeholder ``named-graph-uri`` is itself a (empty)
  named graph that ``GRAPH ?g {}`` binds. A query with FROM but no FROM NAMED has no named graphs at all
  (SPARQL 1.1 Query §13.2), which is exactly the test's dataset;
* a query that has its own FROM / FROM NAMED is sent as it is: its dataset clause is its dataset.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx2 as httpx
import pyoxigraph as ox

from .manifest import HttpRequest, QueryTest, parse_rdf, path_of
from .results import (
    Result,
    Solutions,
    compare_graphs,
    compare_results,
    has_dataset_clause,
    order_by,
    parse_csv,
    parse_result_set_graph,
    parse_srj,
    parse_srx,
    parse_tsv,
    skeleton,
)

#: The graph named as default graph when a test has no ``qt:data``: an unknown graph is an empty graph.
EMPTY_DEFAULT = "urn:kg-test:empty"
#: Named in ``named-graph-uri`` by syntax tests only, to keep the store's graphs out of their evaluation.
NO_NAMED = "urn:kg-test:none"

RESULTS_JSON = "application/sparql-results+json"
RESULTS_XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
NTRIPLES = "application/n-triples"
FORM = "application/x-www-form-urlencoded"

#: Media types a protocol test's ``mf:expectedFormat`` allows (the manifest's own lists: "XML, JSON, CSV, TSV"
#: for tabular, "XML, JSON" for boolean, "RDF/XML, Turtle, N-Triples, RDFa" for RDF; RDFa we cannot parse).
BOOLEAN_TYPES = (RESULTS_JSON, RESULTS_XML)
TABULAR_TYPES = (RESULTS_JSON, RESULTS_XML, CSV, TSV)
RDF_TYPES = {"application/rdf+xml": ox.RdfFormat.RDF_XML, "text/turtle": ox.RdfFormat.TURTLE,
             NTRIPLES: ox.RdfFormat.N_TRIPLES}


#: The ``protocol_server`` fixture: the base URL of a server holding exactly the given (graph, file IRI) pairs.
ProtocolServer = Callable[[tuple[tuple[str, str], ...]], str]


@dataclass(frozen=True)
class Outcome:
    """What running one test gave: passed or not, and a message saying why not."""

    passed: bool
    detail: str = ""
    #: For a failed results comparison: whether it would pass with numeric literals compared by value.
    numbers_by_value: bool | None = None


# --- tally --------------------------------------------------------------------------------------------------

#: section -> test id -> status ("pass", "fail", "known failure"); printed by the conftest's terminal summary.
TALLY: dict[str, dict[str, str]] = {}


#: The section of the evaluation tests run through ``kg serve --store`` (tests/w3c/test_w3c_store.py).
STORE = "store evaluation"


def record(section: str, test_id: str, status: str) -> None:
    TALLY.setdefault(section, {})[test_id] = status


def summary_lines() -> list[str]:
    """The pass counts of everything recorded, in one headline and a per-folder line."""
    def count(section: str, status: str) -> int:
        return sum(s == status for s in TALLY.get(section, {}).values())

    parts = []
    if "protocol" in TALLY:
        parts.append(f"W3C protocol (query): {count('protocol', 'pass')}/{len(TALLY['protocol'])} passed")
    if "update refused" in TALLY:
        parts.append(f"update requests refused: {count('update refused', 'pass')}/{len(TALLY['update refused'])}")
    if "evaluation" in TALLY:
        parts.append(f"query evaluation: {count('evaluation', 'pass')}/{len(TALLY['evaluation'])} approved passed, "
                     f"{count('evaluation', 'known failure')} known failures")
    if STORE in TALLY:
        parts.append(f"query evaluation through kg serve --store over Oxigraph server: {count(STORE, 'pass')}/"
                     f"{len(TALLY[STORE])} approved passed, {count(STORE, 'known failure')} known failures")
    if "syntax" in TALLY:
        parts.append(f"syntax: {count('syntax', 'pass')}/{len(TALLY['syntax'])} approved passed, "
                     f"{count('syntax', 'known failure')} known failures")
    if "non-approved" in TALLY:
        parts.append(f"non-approved (reported only): {count('non-approved', 'pass')}/{len(TALLY['non-approved'])} "
                     "passed")
    lines = ["; ".join(parts)] if parts else []
    folders: dict[str, list[str]] = {}
    for test_id, status in TALLY.get("evaluation", {}).items():
        folders.setdefault(test_id.split("/")[0], []).append(status)
    if folders:
        lines.append("query evaluation by folder: " + ", ".join(
            f"{f} {s.count('pass')}/{len(s)}" for f, s in sorted(folders.items())))
    for status, label in (("fail", "FAILED (approved)"), ("known failure", "known failures")):
        listed = sorted(f"{section}:{test_id}" for section, tests in TALLY.items() if section != "non-approved"
                        for test_id, s in tests.items() if s == status)
        if listed:
            lines.append(f"{label}: " + ", ".join(listed))
    return lines


# --- datasets -----------------------------------------------------------------------------------------------

def _quads(triples: Iterable[ox.Triple], graph: str) -> list[ox.Quad]:
    """Triples of one file as quads of ``graph``, with blank nodes renamed apart.

    pyoxigraph keeps blank node labels as written, so ``_:a`` of two files would become one node once both are in
    one N-Quads file; RDF merges them as two (SPARQL 1.1 Query §13.1), hence fresh nodes per file.
    """
    fresh: dict[str, ox.BlankNode] = {}

    def rename(term: object) -> object:
        if isinstance(term, ox.BlankNode):
            return fresh.setdefault(term.value, ox.BlankNode())
        return term

    name = ox.NamedNode(graph)
    return [ox.Quad(rename(t.subject), t.predicate, rename(t.object), name)  # type: ignore[arg-type]
            for t in triples]


def write_dataset(graphs: Sequence[tuple[str, str]], out: Path) -> int:
    """Write an N-Quads file holding each ``(graph name, W3C file IRI)`` pair; returns the number of quads."""
    quads: list[ox.Quad] = []
    for graph, file_iri in graphs:
        quads.extend(_quads(parse_rdf(path_of(file_iri)), graph))
    ox.serialize(quads, out, ox.RdfFormat.N_QUADS)
    return len(quads)


# --- query evaluation and syntax tests ----------------------------------------------------------------------

_BASE = re.compile(r"(?<![\w?$:])BASE(?![\w:])", re.IGNORECASE)


def with_base(query: str, query_iri: str) -> str:
    """The query with ``BASE <its W3C IRI>`` in front, so relative IRIs resolve as the test expects; a query that
    declares its own BASE keeps it."""
    if _BASE.search(skeleton(query)):
        return query
    return f"BASE <{query_iri}>\n{query}"


def _media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def expected_result(test: QueryTest) -> tuple[str, Result | list[ox.Triple]]:
    """The expected answer of an evaluation test, and which kind of answer it is (results, csv, tsv, graph)."""
    assert test.result is not None, f"{test.iri} has no mf:result"
    path = path_of(test.result)
    if path.suffix == ".srx":
        return "results", parse_srx(path.read_bytes())
    if path.suffix == ".srj":
        return "results", parse_srj(path.read_bytes())
    if path.suffix == ".csv":
        return "csv", parse_csv(path.read_text(encoding="utf-8"))
    if path.suffix == ".tsv":
        return "tsv", parse_tsv(path.read_text(encoding="utf-8"))
    if path.suffix == ".ttl":
        triples = parse_rdf(path)
        result_set = parse_result_set_graph(triples)
        return ("results", result_set) if result_set is not None else ("graph", triples)
    raise ValueError(f"{test.iri}: unknown result file type {path.suffix}")


ACCEPT = {"results": RESULTS_JSON, "csv": CSV, "tsv": TSV, "graph": NTRIPLES}


_FORM_KEYWORD = re.compile(r"(?<![\w?$:])(SELECT|ASK|CONSTRUCT|DESCRIBE)(?![\w:])", re.IGNORECASE)
_WHERE = re.compile(r"(?<![\w?$:])WHERE(?![\w:])", re.IGNORECASE)


def with_from(query: str, graphs: Sequence[str]) -> str:
    """The query with ``FROM <g>`` for each of ``graphs`` put where SPARQL's grammar has its DatasetClause: after
    the SELECT / ASK / DESCRIBE clause or the CONSTRUCT template, before the WHERE clause."""
    text = skeleton(query)
    form = _FORM_KEYWORD.search(text)
    if form is None:
        raise ValueError("no query form keyword in the query")
    position = form.end()
    if form.group(1).upper() == "CONSTRUCT" and text[position:].lstrip().startswith("{"):
        # Skip the template: the dataset clause follows it.
        depth = 0
        for index in range(text.index("{", position), len(text)):
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            if depth == 0:
                position = index + 1
                break
    else:
        parens = 0
        for index in range(position, len(text)):
            char = text[index]
            parens += {"(": 1, ")": -1}.get(char, 0)
            if parens == 0 and (char == "{" or _WHERE.match(text, index)):
                position = index
                break
        else:
            raise ValueError("no WHERE clause to put a dataset clause before")
    clause = "".join(f"FROM <{g}> " for g in graphs)
    return f"{query[:position]} {clause}{query[position:]}"


def _post_query(client: httpx.Client, test: QueryTest, query: str, accept: str) -> httpx.Response:
    """POST (form-encoded) the query of an evaluation test so that it runs over exactly its test's dataset (see the
    module docstring for why each case is sent the way it is)."""
    params: list[tuple[str, str]] = []
    if has_dataset_clause(query):
        pass  # its own dataset clause
    elif test.graph_data:
        params += [("default-graph-uri", g) for g in test.data or (EMPTY_DEFAULT,)]
        params += [("named-graph-uri", g) for g in test.graph_data]
    else:
        query = with_from(query, test.data or (EMPTY_DEFAULT,))
    return client.post("/sparql", content=urlencode([("query", query), *params]).encode("utf-8"),
                       headers={"content-type": FORM, "accept": accept})


def run_evaluation(client: httpx.Client, test: QueryTest) -> Outcome:
    """Send an evaluation test's query with its dataset and compare the answer with the expected result."""
    query = with_base(path_of(test.query).read_text(encoding="utf-8"), test.query)
    kind, expected = expected_result(test)
    response = _post_query(client, test, query, ACCEPT[kind])
    if response.status_code != 200:
        return Outcome(False, f"HTTP {response.status_code}: {response.text[:2000]}")
    if _media_type(response) != ACCEPT[kind]:
        return Outcome(False, f"asked for {ACCEPT[kind]}, got {response.headers.get('content-type')}")
    if kind == "graph":
        actual_triples = [q.triple for q in ox.parse(input=response.content, format=ox.RdfFormat.N_TRIPLES)]
        problem = compare_graphs(expected, actual_triples)  # type: ignore[arg-type]
    else:
        parse = {"results": parse_srj, "csv": parse_csv, "tsv": parse_tsv}[kind]
        actual = parse(response.text)
        order = order_by(query)
        problem = compare_results(expected, actual, order)  # type: ignore[arg-type]
        if problem is not None and kind != "csv":
            by_value = compare_results(expected, actual, order, numbers_by_value=True)  # type: ignore[arg-type]
            return Outcome(False, problem, numbers_by_value=by_value is None)
    return Outcome(problem is None, problem or "")


def returns_solutions(test: QueryTest) -> bool:
    """True for an evaluation test whose expected answer is a table of solutions (a SELECT query)."""
    if test.is_syntax or test.result is None:
        return False
    kind, expected = expected_result(test)
    return kind != "graph" and not isinstance(expected, bool)


def as_csv(solutions: Solutions) -> Solutions:
    """What SPARQL 1.1 CSV keeps of each term: IRIs and literals as plain strings, blank nodes as ``_:label``, and
    nothing of an empty literal (an empty cell, which reads back as unbound)."""
    rows = [{v: t if t[0] == "bnode" else ("string", t[1]) for v, t in row.items() if t[1] != ""}
            for row in solutions.rows]
    return Solutions(solutions.variables, rows)


#: Functions whose value changes between two runs of the same query: their answers cannot be compared.
_VOLATILE = re.compile(r"(?<![\w?$:])(RAND|NOW|UUID|STRUUID)\s*\(", re.IGNORECASE)


def formats_disagree(client: httpx.Client, test: QueryTest, media: str) -> str | None:
    """Ask for the same SELECT answer as JSON and as ``media`` (XML, TSV or CSV); None when both denote the same
    solutions (CSV: the same strings), else how they differ. Checks our serialisers, whatever the engine does."""
    query = with_base(path_of(test.query).read_text(encoding="utf-8"), test.query)
    if _VOLATILE.search(query):
        return None
    answers = {}
    for accept in (RESULTS_JSON, media):
        response = _post_query(client, test, query, accept)
        if response.status_code != 200 or _media_type(response) != accept:
            return f"{accept}: HTTP {response.status_code} {response.headers.get('content-type')}"
        answers[accept] = response
    reference = parse_srj(answers[RESULTS_JSON].content)
    body = answers[media]
    other = {RESULTS_XML: lambda: parse_srx(body.content), TSV: lambda: parse_tsv(body.text),
             CSV: lambda: parse_csv(body.text)}[media]()
    if isinstance(reference, Solutions) and media == CSV:
        reference = as_csv(reference)
    # Two runs may order unordered solutions differently; ORDER BY is checked against the expected results.
    return compare_results(reference, other)


def run_syntax(client: httpx.Client, test: QueryTest) -> Outcome:
    """Send a syntax test's query as is (``application/sparql-query``, the file's bytes) over an empty dataset.

    Negative: the server must answer 4xx. Positive: the server must not reject it as malformed (400), nor fail on
    it (500 Internal Server Error); another answer, such as a documented refusal (403 for SERVICE) or 501 Not
    Implemented for a feature the engine lacks, still says the query parsed.
    """
    body = path_of(test.query).read_bytes()
    params = urlencode([("default-graph-uri", EMPTY_DEFAULT), ("named-graph-uri", NO_NAMED)])
    response = client.post(f"/sparql?{params}", content=body,
                           headers={"content-type": "application/sparql-query; charset=utf-8"})
    status = response.status_code
    if test.kind == "NegativeSyntaxTest11":
        ok = 400 <= status < 500
        return Outcome(ok, "" if ok else f"expected 4xx for an invalid query, got HTTP {status}")
    ok = status not in (400, 500)
    return Outcome(ok, "" if ok else f"valid query answered HTTP {status}: {response.text[:1000]}")


def run_query_test(client: httpx.Client, test: QueryTest) -> Outcome:
    """Run any query-folder test."""
    return run_syntax(client, test) if test.is_syntax else run_evaluation(client, test)


def run_reporting_errors(client: httpx.Client, test: QueryTest) -> Outcome:
    """:func:`run_query_test`, turning an exception into a failed outcome (for tests that are only reported)."""
    try:
        return run_query_test(client, test)
    except Exception as err:  # a report must cover every test, even one the harness cannot read
        return Outcome(False, "harness error: " + "".join(traceback.format_exception_only(err)).strip())


# --- protocol tests -----------------------------------------------------------------------------------------

def send(client: httpx.Client, request: HttpRequest) -> httpx.Response:
    """Replay one manifest request as written: method, path, headers and body bytes."""
    return client.request(request.method, request.path, headers=list(request.headers), content=request.body)


def _parse_boolean(media: str, body: bytes) -> bool | None:
    result = parse_srj(body) if media == RESULTS_JSON else parse_srx(body)
    return result if isinstance(result, bool) else None


def check_response(request: HttpRequest, response: httpx.Response) -> str | None:
    """None when the response is what the manifest expects (status class, format family, boolean)."""
    status = f"{response.status_code // 100}xx"
    if status not in request.expected_status:
        return (f"expected status {'/'.join(sorted(request.expected_status))}, got {response.status_code}: "
                f"{response.text[:500]}")
    media = _media_type(response)
    fmt = request.expected_format
    try:
        if fmt == "boolean":
            if media not in BOOLEAN_TYPES:
                return f"boolean result as {media!r}, expected one of {BOOLEAN_TYPES}"
            value = _parse_boolean(media, response.content)
            if value is None:
                return "the body is not a boolean result"
            if request.expected_boolean is not None and value != request.expected_boolean:
                return f"expected boolean {request.expected_boolean}, got {value}"
        elif fmt == "tabular":
            if media not in TABULAR_TYPES:
                return f"tabular result as {media!r}, expected one of {TABULAR_TYPES}"
            parse = {RESULTS_JSON: parse_srj, RESULTS_XML: parse_srx}.get(media)
            parsed = parse(response.content) if parse else (parse_csv if media == CSV else parse_tsv)(response.text)
            if isinstance(parsed, bool):
                return "a boolean where a table of solutions was expected"
        elif fmt == "RDF":
            if media not in RDF_TYPES:
                return f"RDF result as {media!r}, expected one of {sorted(RDF_TYPES)}"
            list(ox.parse(input=response.content, format=RDF_TYPES[media], base_iri="http://www.example/sparql"))
        elif fmt is not None:
            return f"the manifest asks for an unknown format {fmt!r}"
    except (ValueError, SyntaxError, KeyError) as err:
        return f"the {media} body does not parse: {err}"
    return None


def protocol_graphs(graph_data: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """A canonical key for a start state: the sorted ``(graph name, file IRI)`` pairs."""
    return tuple(sorted(set(graph_data)))

