"""Real clients in their default modes against real `kg serve` processes on loopback ports (issue 14):
SPARQLWrapper (every return format, GET and POST, with the ``format``/``output``/``results`` parameters it
adds), Comunica federating two servers and detecting the endpoint type itself, and Debian's rapper and serdi
parsing every dump and entity document.

Two servers share the fixture data of ``tests/fixtures/clients``: the claims on one, the agents they are
attributed to on the other, so exact answers are known and a join answers only across both. rapper and
serdi read the repository's own data, where the documents are many and varied.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.parse
import urllib.request
import warnings
from pathlib import Path

import pytest
import rdflib
import rdflib.compare
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    RDF,
    RDFXML,
    TSV,
    TURTLE,
    XML,
    SPARQLWrapper,
)

from .conftest import FIXTURES, ROOT
from .live import live_server

# rdflib's own N-Quads and TriG parsers call its deprecated Dataset API thousands of times here
pytestmark = pytest.mark.filterwarnings("ignore:.*is deprecated, use Dataset:DeprecationWarning")

CLIENTS = FIXTURES / "clients"
JS = ROOT / "tests" / "js"
COMUNICA = JS / "node_modules" / ".bin" / "comunica-sparql"
KG = rdflib.Namespace("https://w3id.org/ua-children-kg/ontology#")
KGR = rdflib.Namespace("https://w3id.org/ua-children-kg/id/")
PREFIXES = ("PREFIX kg: <https://w3id.org/ua-children-kg/ontology#>\n"
            "PREFIX kgr: <https://w3id.org/ua-children-kg/id/>\n"
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n")
VALUES = PREFIXES + "SELECT ?claim ?value WHERE { ?claim kg:value ?value } ORDER BY ?value"
EXPECTED_VALUES = [("claim-client-c", "2"), ("claim-client-b", "744"), ("claim-client-a", "19546")]
CONSTRUCT = PREFIXES + "CONSTRUCT { ?c kg:value ?v ; kg:attributedTo ?a } WHERE { ?c kg:value ?v ; kg:attributedTo ?a }"
DESCRIBE = PREFIXES + "DESCRIBE kgr:claim-client-b"


def _needs(*tools: str, install: str) -> None:
    """Skip (or, in CI, fail: CI installs them) when a command-line tool is missing."""
    missing = [t for t in tools if shutil.which(t) is None and not Path(t).exists()]
    if missing:
        message = f"{', '.join(missing)} missing; install with: {install}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _serve(path: Path):
    return live_server(["--workers", "1", "--data", str(path)])


@pytest.fixture(scope="module")
def claims():
    with _serve(CLIENTS / "claims.ttl") as base:
        yield base


@pytest.fixture(scope="module")
def actors():
    with _serve(CLIENTS / "actors.ttl") as base:
        yield base


def _fixture_graph(query: str) -> rdflib.Graph:
    """What a CONSTRUCT/DESCRIBE should give, by rdflib's own engine over the fixture file."""
    data = rdflib.Graph().parse(CLIENTS / "claims.ttl", format="turtle")
    if query == DESCRIBE:  # oxigraph describes by the resource's own triples
        out = rdflib.Graph()
        for triple in data.triples((KGR["claim-client-b"], None, None)):
            out.add(triple)
        return out
    return data.query(query).graph


# --- SPARQLWrapper in its default mode ----------------------------------------------------------------------

def _wrapper(base: str, query: str, fmt: str, method: str) -> SPARQLWrapper:
    client = SPARQLWrapper(base + "/sparql")  # default mode: no setOnlyConneg, so format/output/results go too
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    return client


def _convert(client: SPARQLWrapper):
    """The converted answer; a warning that the server answered another format than asked fails the test."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = client.query().convert()
    assert not [w for w in caught if "has been returned" in str(w.message) or "unknown response" in str(w.message)]
    return result


@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select(claims, fmt, method):
    result = _convert(_wrapper(claims, VALUES, fmt, method))
    if fmt == JSON:
        rows = [(b["claim"]["value"].rsplit("/", 1)[1], b["value"]["value"]) for b in result["results"]["bindings"]]
    elif fmt == XML:
        rows = []
        for r in result.getElementsByTagName("result"):
            cells = {b.getAttribute("name"): b.firstChild.firstChild.data for b in r.getElementsByTagName("binding")}
            rows.append((cells["claim"].rsplit("/", 1)[1], cells["value"]))
    else:
        lines = result.decode().splitlines()
        sep = "," if fmt == CSV else "\t"
        rows = [tuple(c.strip("<>").rsplit("/", 1)[-1] for c in line.split(sep)) for line in lines[1:]]
        rows = [(c, v.split("^^")[0].strip('"')) for c, v in rows]  # TSV writes typed literals in full
    assert rows == EXPECTED_VALUES


@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_ask(claims, fmt, method):
    result = _convert(_wrapper(claims, PREFIXES + "ASK { kgr:claim-client-a kg:value 19546 }", fmt, method))
    if fmt == JSON:
        assert result["boolean"] is True
    else:
        assert result.getElementsByTagName("boolean")[0].firstChild.data == "true"


@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("fmt", [XML, RDFXML, RDF, TURTLE, N3, JSONLD, JSON])
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["construct", "describe"])
def test_sparqlwrapper_graph(claims, query, fmt, method):
    """XML reads as RDF/XML and JSON as JSON-LD for a graph, as Virtuoso and Fuseki answer them."""
    result = _convert(_wrapper(claims, query, fmt, method))
    if fmt in (TURTLE, N3):
        result = rdflib.Graph().parse(data=result.decode(), format="turtle")
    expected = _fixture_graph(query)
    assert len(expected) > 0
    assert rdflib.compare.isomorphic(result, expected)


# --- Comunica -------------------------------------------------------------------------------------------------

def test_comunica_federates_two_servers_detecting_the_endpoints(claims, actors):
    """Plain URLs, no ``sparql@``: Comunica reads each server's Service Description (asking with HTML at
    q=0.2) to learn it is a SPARQL endpoint, then joins across both."""
    _needs("node", "npm", str(COMUNICA), install="bash .ci/install-node-deps")
    query = PREFIXES + """SELECT ?value ?label WHERE {
      ?claim kg:value ?value ; kg:attributedTo ?agent . ?agent rdfs:label ?label }"""
    proc = subprocess.run([str(COMUNICA), claims + "/sparql", actors + "/sparql", "-t",
                           "application/sparql-results+json", query],
                          capture_output=True, text=True, timeout=120, cwd=JS)
    assert proc.returncode == 0, proc.stderr
    bindings = json.loads(proc.stdout)["results"]["bindings"]
    rows = sorted((int(b["value"]["value"]), b["label"]["value"], b["label"].get("xml:lang")) for b in bindings)
    assert rows == [(2, "Dmytro Lubinets", "en"), (2, "Дмитро Лубінець", "uk"),
                    (744, "An organisation for the client tests", "en"),
                    (19546, "Dmytro Lubinets", "en"), (19546, "Дмитро Лубінець", "uk")]


def test_comunica_on_one_server_counts_what_it_holds(claims):
    """Without ``sparql@`` a client that took the query page for the endpoint would count 0 claims."""
    _needs("node", "npm", str(COMUNICA), install="bash .ci/install-node-deps")
    proc = subprocess.run([str(COMUNICA), claims + "/sparql", "-t", "application/sparql-results+json",
                           PREFIXES + "SELECT (COUNT(*) AS ?n) WHERE { ?c a kg:QuantityClaim }"],
                          capture_output=True, text=True, timeout=120, cwd=JS)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["results"]["bindings"][0]["n"]["value"] == "3"


# --- rapper and serdi over every dump and entity document ------------------------------------------------

#: The dump and entity formats both parsers read (JSON-LD is neither's): extension -> (parser's name, rdflib's).
PARSERS = {"ttl": ("turtle", "turtle"), "nt": ("ntriples", "nt"), "nq": ("nquads", "nquads"),
           "trig": ("trig", "trig")}


@pytest.fixture(scope="module")
def repo_server():
    with live_server(["--workers", "1"]) as base:
        yield base


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        assert response.status == 200
        return response.read()


def _quads(document: bytes, extension: str) -> rdflib.Dataset:
    dataset = rdflib.Dataset()
    dataset.parse(data=document, format=PARSERS[extension][1], publicID="http://base.invalid/")
    return dataset


def _same(parsed: bytes, document: bytes, extension: str) -> None:
    """The N-Quads a tool wrote hold the graphs rdflib reads from the document itself."""
    ours, theirs = _quads(document, extension), _quads(parsed, "nq")

    def graphs(ds: rdflib.Dataset) -> dict[str, rdflib.compare.IsomorphicGraph]:
        return {str(g.identifier): rdflib.compare.to_isomorphic(g) for g in ds.graphs() if len(g)}

    assert graphs(ours) and graphs(ours) == graphs(theirs)


def _run(args: list[str], document: bytes) -> bytes:
    proc = subprocess.run(args, input=document, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def _check(document: bytes, extension: str) -> None:
    """rapper and serdi each read ``document`` into the same graphs as rdflib does."""
    syntax = PARSERS[extension][0]
    out = "nquads" if extension in ("nq", "trig") else "ntriples"
    for tool in ("rapper", "serdi"):
        _same(_run([tool, "-q", "-i", syntax, "-o", out, "-", "http://base.invalid/"], document), document,
              extension)


@pytest.mark.parametrize("extension", ["ttl", "nt", "nq", "trig"])
def test_rapper_and_serdi_read_every_dump(repo_server, extension):
    _needs("rapper", "serdi", install="bash .ci/install-debian-tools")
    _check(_fetch(f"{repo_server}/dump.{extension}"), extension)


def test_rapper_and_serdi_read_every_entity_document(repo_server):
    _needs("rapper", "serdi", install="bash .ci/install-debian-tools")
    space = "https://w3id.org/ua-children-kg/id/"
    query = f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{space}")) }} ORDER BY ?s'
    answer = json.loads(_fetch(f"{repo_server}/sparql?{urllib.parse.urlencode({'query': query})}"))
    names = [b["s"]["value"][len(space):] for b in answer["results"]["bindings"]]
    assert len(names) > 50
    for name in names:
        for extension in ("ttl", "nt"):
            _check(_fetch(f"{repo_server}/id/{urllib.parse.quote(name)}.{extension}"), extension)


@pytest.mark.parametrize("path", ["/sparql", "/.well-known/void"])
def test_rapper_fetches_the_descriptions_itself(repo_server, path):
    """``rapper -i guess URL``: rapper's own Accept header (HTML at q=0.6) must get RDF, not the query page."""
    _needs("rapper", install="bash .ci/install-debian-tools")
    proc = subprocess.run(["rapper", "-q", "-i", "guess", "-o", "ntriples", repo_server + path],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    graph = rdflib.Graph().parse(data=proc.stdout, format="nt")
    assert (None, rdflib.RDF.type, None) in graph and len(graph) > 10
