"""Reading the W3C SPARQL 1.1 test manifests (query evaluation, syntax and protocol tests).

The test data is a third-party copy kept outside the repository (``../shared/w3c-tests``, see its README); every
file there has a W3C IRI, ``http://www.w3.org/2009/sparql/docs/tests/data-sparql11/<folder>/<file>``, used as the
base IRI when parsing it and as the graph name when it is loaded as data. Manifests are parsed with pyoxigraph,
which keeps literals exactly as written.
"""

from __future__ import annotations

import contextlib
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pyoxigraph as ox

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Where the W3C ``sparql11`` folders are; ``KG_W3C_TESTS`` points elsewhere (e.g. a fresh rdf-tests checkout).
W3C_DIR = Path(os.environ.get("KG_W3C_TESTS") or REPO_ROOT.parent / "shared" / "w3c-tests" / "sparql" / "sparql11")
BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"

MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
QT = "http://www.w3.org/2001/sw/DataAccess/tests/test-query#"
DAWGT = "http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#"
UT = "http://www.w3.org/2009/sparql/tests/test-update#"
HT = "http://www.w3.org/2011/http#"
CNT = "http://www.w3.org/2011/content#"
HTS = "http://www.w3.org/2011/http-statusCodes#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"

#: The folders whose query tests the harness runs (the README's list).
QUERY_FOLDERS = ("aggregates", "bind", "bindings", "construct", "exists", "functions", "grouping", "negation",
                 "project-expression", "property-path", "subquery", "csv-tsv-res", "json-res", "syntax-query")
#: Test types of the query folders; any other type in a manifest is an error (the harness would miss it).
EVAL_TYPES = ("QueryEvaluationTest", "CSVResultFormatTest")
SYNTAX_TYPES = ("PositiveSyntaxTest11", "NegativeSyntaxTest11")

_RDF_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".rdf": ox.RdfFormat.RDF_XML}


def require_test_data() -> None:
    """Fail loudly (never skip) when the W3C data is missing: a silent skip would report conformance untested."""
    if not (W3C_DIR / "protocol" / "manifest.ttl").is_file():
        raise FileNotFoundError(f"W3C SPARQL 1.1 test data not found in {W3C_DIR}; set KG_W3C_TESTS to the sparql11 "
                                "folder of https://github.com/w3c/rdf-tests")


def iri_of(path: Path) -> str:
    """The W3C IRI of a file of the test data."""
    return BASE + path.resolve().relative_to(W3C_DIR.resolve()).as_posix()


def path_of(iri: str) -> Path:
    """The local file of a W3C test IRI; :class:`ValueError` for an IRI outside the test data."""
    if not iri.startswith(BASE):
        raise ValueError(f"{iri} is not a W3C SPARQL 1.1 test IRI")
    return W3C_DIR / iri[len(BASE):]


def parse_rdf(path: Path) -> list[ox.Triple]:
    """The triples of a Turtle, N-Triples or RDF/XML file, relative IRIs resolved against its W3C IRI."""
    quads = ox.parse(path=path, format=_RDF_FORMATS[path.suffix], base_iri=iri_of(path))
    return [q.triple for q in quads]


class Doc:
    """A parsed RDF document with the few look-ups a manifest needs (subject-predicate index, RDF lists)."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self.triples = list(triples)
        self._by_sp: dict[tuple[ox.NamedNode | ox.BlankNode, str], list[object]] = defaultdict(list)
        for t in self.triples:
            self._by_sp[(t.subject, t.predicate.value)].append(t.object)  # type: ignore[index]

    def objects(self, subject: object, predicate: str) -> list[object]:
        return list(self._by_sp.get((subject, predicate), ()))  # type: ignore[call-overload]

    def value(self, subject: object, predicate: str) -> object | None:
        """The one object of ``subject predicate``; :class:`ValueError` when the manifest gives several."""
        found = self.objects(subject, predicate)
        if len(found) > 1:
            raise ValueError(f"{subject} has {len(found)} values for {predicate}, expected at most one")
        return found[0] if found else None

    def subjects_of_type(self, rdf_type: str) -> list[object]:
        return [t.subject for t in self.triples
                if t.predicate.value == RDF + "type" and getattr(t.object, "value", None) == rdf_type]

    def rdf_list(self, head: object) -> Iterator[object]:
        """The members of an RDF collection, in order."""
        node = head
        while not (isinstance(node, ox.NamedNode) and node.value == RDF + "nil"):
            first = self.value(node, RDF + "first")
            if first is None:
                raise ValueError(f"broken RDF list at {node}")
            yield first
            node = self.value(node, RDF + "rest")


def _text(term: object | None) -> str | None:
    return None if term is None else term.value  # type: ignore[attr-defined]


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1]


# --- query evaluation and syntax tests ----------------------------------------------------------------------

@dataclass(frozen=True)
class QueryTest:
    """One entry of a query-folder manifest (``mf:QueryEvaluationTest``, ``mf:CSVResultFormatTest`` or a syntax
    test). IRIs are W3C IRIs; :func:`path_of` gives the local file."""

    iri: str
    folder: str
    kind: str
    name: str
    approval: str | None
    query: str
    data: tuple[str, ...] = ()
    graph_data: tuple[str, ...] = ()
    result: str | None = None

    @property
    def id(self) -> str:
        """A short, stable pytest id: ``folder/local-name``."""
        return f"{self.folder}/{_local(self.iri)}"

    @property
    def approved(self) -> bool:
        return self.approval == "Approved"

    @property
    def is_syntax(self) -> bool:
        return self.kind in SYNTAX_TYPES


def read_query_manifest(folder: str) -> list[QueryTest]:
    """Every entry of ``<folder>/manifest.ttl``, in ``mf:entries`` order."""
    path = W3C_DIR / folder / "manifest.ttl"
    doc = Doc(parse_rdf(path))
    manifest = ox.NamedNode(iri_of(path))
    out = []
    for entry in doc.rdf_list(doc.value(manifest, MF + "entries")):
        rdf_type = _text(doc.value(entry, RDF + "type")) or ""
        kind = _local(rdf_type)
        if kind not in EVAL_TYPES + SYNTAX_TYPES:
            raise ValueError(f"{entry}: test type {rdf_type} is not handled by the harness")
        approval = _text(doc.value(entry, DAWGT + "approval"))
        action = doc.value(entry, MF + "action")
        common = {"iri": _text(entry) or "", "folder": folder, "kind": kind,
                  "name": _text(doc.value(entry, MF + "name")) or "",
                  "approval": _local(approval) if approval else None}
        if kind in SYNTAX_TYPES:
            # A syntax test's action is the query file itself.
            out.append(QueryTest(query=_text(action) or "", **common))
            continue
        out.append(QueryTest(
            query=_text(doc.value(action, QT + "query")) or "",
            data=tuple(sorted(_text(o) or "" for o in doc.objects(action, QT + "data"))),
            graph_data=tuple(sorted(_text(o) or "" for o in doc.objects(action, QT + "graphData"))),
            result=_text(doc.value(entry, MF + "result")),
            **common,
        ))
    return out


@cache
def query_tests() -> tuple[QueryTest, ...]:
    """Every query-evaluation and syntax test of :data:`QUERY_FOLDERS`."""
    require_test_data()
    return tuple(t for folder in QUERY_FOLDERS for t in read_query_manifest(folder))


def data_files(tests: Iterable[QueryTest]) -> list[str]:
    """The IRIs of every data file (``qt:data`` and ``qt:graphData``) of ``tests``, each once, sorted."""
    return sorted({iri for t in tests for iri in (*t.data, *t.graph_data)})


# --- protocol tests -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HttpRequest:
    """One ``ht:Request`` of a protocol test and the response the manifest expects."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    expected_status: frozenset[str]
    expected_format: str | None
    expected_boolean: bool | None

    @property
    def content_type(self) -> str:
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value.split(";")[0].strip().lower()
        return ""

    def parameters(self) -> list[tuple[str, str]]:
        """The protocol parameters of the URL and of a form body (also one sent without its media type)."""
        pairs = parse_qsl(urlsplit(self.path).query, keep_blank_values=True)
        if self.body is not None and self.content_type in ("", "application/x-www-form-urlencoded"):
            with contextlib.suppress(UnicodeDecodeError):  # a UTF-16 body is no form
                pairs += parse_qsl(self.body.decode("utf-8"), keep_blank_values=True)
        return pairs

    @property
    def sends_query(self) -> bool:
        """True when the request carries a query operation (not an update)."""
        return self.content_type == "application/sparql-query" or any(k == "query" for k, _ in self.parameters())


@dataclass(frozen=True)
class ProtocolTest:
    """One ``mf:ProtocolTest``: the graphs the server must hold first, then requests replayed in order."""

    iri: str
    name: str
    approval: str | None
    graph_data: tuple[tuple[str, str], ...]  # (graph name, W3C IRI of the data file)
    requests: tuple[HttpRequest, ...]

    @property
    def id(self) -> str:
        return _local(self.iri)

    @property
    def is_update(self) -> bool:
        """An update-operation test. The manifest names them ``update_*``, ``bad_update_*`` and
        ``bad_multiple_updates``; their requests' content cannot tell all of them apart (``bad_update_wrong_media_type``
        posts ``CLEAR NAMED`` as ``text/plain``, exactly as ``bad_query_wrong_media_type`` posts ``ASK {}``)."""
        return "update" in self.id


def _endpoint_path(absolute_path: str) -> str:
    """The manifest's ``/sparql/...`` on our endpoint, which is ``/sparql``."""
    if not absolute_path.startswith("/sparql/"):
        raise ValueError(f"protocol test path {absolute_path!r} does not start with /sparql/")
    return "/sparql" + absolute_path[len("/sparql/"):]


def _read_request(doc: Doc, node: object) -> HttpRequest:
    headers = tuple(
        (_text(doc.value(h, HT + "fieldName")) or "", _text(doc.value(h, HT + "fieldValue")) or "")
        for head in doc.objects(node, HT + "headers") for h in doc.rdf_list(head))
    body_node = doc.value(node, HT + "body")
    body = None
    if body_node is not None:
        encoding = _text(doc.value(body_node, CNT + "characterEncoding")) or "UTF-8"
        body = (_text(doc.value(body_node, CNT + "chars")) or "").encode(encoding)
    resp = doc.value(node, HT + "resp")
    status = frozenset(_local(_text(s) or "").removeprefix("StatusCode")
                       for s in doc.objects(resp, MF + "expectedStatus"))
    boolean = doc.value(resp, MF + "expectedBoolean")
    return HttpRequest(
        method=_text(doc.value(node, HT + "methodName")) or "GET",
        path=_endpoint_path(_text(doc.value(node, HT + "absolutePath")) or ""),
        headers=headers,
        body=body,
        expected_status=status,
        expected_format=_text(doc.value(resp, MF + "expectedFormat")),
        expected_boolean=None if boolean is None else _text(boolean) == "true",
    )


@cache
def protocol_tests() -> tuple[ProtocolTest, ...]:
    """Every ``mf:ProtocolTest`` of ``protocol/manifest.ttl``, in ``mf:entries`` order."""
    require_test_data()
    path = W3C_DIR / "protocol" / "manifest.ttl"
    doc = Doc(parse_rdf(path))
    out = []
    for entry in doc.rdf_list(doc.value(ox.NamedNode(iri_of(path)), MF + "entries")):
        if _text(doc.value(entry, RDF + "type")) != MF + "ProtocolTest":
            raise ValueError(f"{entry}: not an mf:ProtocolTest")
        graphs = tuple(sorted(
            (_text(doc.value(g, RDFS + "label")) or "", _text(doc.value(g, UT + "graph")) or "")
            for g in doc.objects(entry, UT + "graphData")))
        action = doc.value(entry, MF + "action")
        requests = tuple(_read_request(doc, r) for head in doc.objects(action, HT + "requests")
                         for r in doc.rdf_list(head))
        approval = _text(doc.value(entry, DAWGT + "approval"))
        out.append(ProtocolTest(iri=_text(entry) or "", name=_text(doc.value(entry, MF + "name")) or "",
                                approval=_local(approval) if approval else None, graph_data=graphs,
                                requests=requests))
    return tuple(out)
