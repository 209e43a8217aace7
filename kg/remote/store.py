"""The external store as the library sees it: :class:`RemoteStore` answers the part of pyoxigraph's ``Store``
API the library uses (``query``, ``quads_for_pattern``, ``len``) by sending SPARQL over HTTP, so the views,
entity pages, dumps, VoID counts and comparisons run over it unchanged; :func:`open_remote` is the worker's
graph for ``kg serve --store``.

The dataset is named (``KG_STORE_DATASET=named``, the default): the union default graph is sent as
``default-graph-uri`` (and ``named-graph-uri``) listing the published graphs, so a store that also holds other
organisations' data, or ``kg publish``'s own manifest and staging graphs, answers over exactly the graphs the
embedded store would hold. Oxigraph evaluates such a dataset several times slower than its own union default
graph; ``KG_STORE_DATASET=union`` leaves the dataset to a store whose default graph is the union. Answers are parsed
with pyoxigraph's own parsers, so terms are the same objects either way.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import IO, Any

import pyoxigraph as ox

from kg.errors import QueryUnsupported, StoreUnavailable
from kg.graph import KnowledgeGraph
from kg.query import query_form
from kg.remote.http import StoreClient, shown
from kg.remote.manifest import Manifest, read_manifest
from kg.settings import Settings

#: What a result's media type is, to pyoxigraph.
RESULT_FORMATS = {
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,  # Virtuoso's name for N-Triples
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
#: XML results first: every store writes them, with types pyoxigraph reads back exactly (some stores' JSON
#: still says "typed-literal", from a draft of the format).
RESULTS_ACCEPT = "application/sparql-results+xml, application/sparql-results+json;q=0.8"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, text/plain;q=0.8, application/rdf+xml;q=0.5"
#: The share of KG_QUERY_TIMEOUT_S a store's answer may take: the store's timeout is then reported as 504
#: before the pool's own deadline stops the worker (a 503 that would not say the store was slow).
TIMEOUT_SHARE = 0.9


def store_timeout(settings: Settings) -> float:
    """Seconds one request to the store may take. A task's deadline is kept across the pool's lanes, and a
    query that outgrows the light lane (KG_LIGHT_BUDGET_S) starts again in the heavy one with that budget spent,
    so the budget is taken off: the store's slowness is still a 504 on the second try."""
    budget = settings.light_budget_s if settings.light_workers else 0.0
    return max(0.1, settings.query_timeout_s * TIMEOUT_SHARE - budget)


#: How many levels of blank nodes below an IRI come with its quads (the data nests three: a date description's
#: bounds); deeper ones are left out of entity pages over an external store.
BNODE_DEPTH = 4
#: Blank-node descriptions remembered per process before the memory is cleared (each is a few quads).
MAX_REMEMBERED = 100_000
#: Virtuoso writes a blank node of an XML result as ``nodeID://b123``, which is no blank node label.
_VIRTUOSO_BNODE = b"<bnode>nodeID://"
#: How much of an answer's body is read at a time.
PIECE_BYTES = 1 << 16


class _Unprefixed(io.RawIOBase):
    """A body with Virtuoso's ``nodeID://`` taken out of its blank node labels, read piece by piece (a label
    cut by a piece boundary is kept whole by holding back the last bytes of each piece).

    The body is read only when what is ready falls short of the reader's buffer, so at most one piece of the
    body is held: the parser's small reads cost no more each than the piece they take, whatever the answer's
    size (holding all that was read ahead made each read copy the rest of the answer: quadratic)."""

    def __init__(self, body: IO[bytes]) -> None:
        self.body = body
        self.ready = bytearray()  # taken out, not yet read
        self.tail = b""  # the end of the last piece, which may be the start of a label cut by the boundary
        self.done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        keep = len(_VIRTUOSO_BNODE) - 1
        while len(self.ready) < len(buffer) and not self.done:
            piece = self.body.read(PIECE_BYTES)
            data = (self.tail + piece).replace(_VIRTUOSO_BNODE, b"<bnode>")
            if piece:
                data, self.tail = data[:-keep], data[-keep:]
            else:
                self.done, self.tail = True, b""
            self.ready += data
        n = min(len(buffer), len(self.ready))
        buffer[:n] = self.ready[:n]
        del self.ready[:n]  # a bytearray drops its head without copying the rest
        return n

    def close(self) -> None:
        self.body.close()
        super().close()


def _results(media: str, body: IO[bytes]) -> ox.QuerySolutions:
    """Parse a SELECT or ASK answer (XML, JSON or TSV) with pyoxigraph."""
    if media not in RESULT_FORMATS:
        body.close()
        raise QueryUnsupported(f"the SPARQL store answered in {media or 'no media type'}, which kg does not read")
    source: IO[bytes] = io.BufferedReader(_Unprefixed(body), PIECE_BYTES) if media.endswith("xml") else body
    return ox.parse_query_results(source, RESULT_FORMATS[media])  # type: ignore[return-value]


def _matches(quad: ox.Quad, predicate: Any, object: Any, graph: Any) -> bool:
    return ((predicate is None or quad.predicate == predicate) and (object is None or quad.object == object)
            and (graph is None or quad.graph_name == graph))


def _sparql(term: Any) -> str:
    """A term as SPARQL text (pyoxigraph's ``str`` of a term is its N-Triples form, valid in a query)."""
    return str(term)


class RemoteStore:
    """A read-only view of the ``graphs`` of the store behind ``settings.store_url``."""

    def __init__(self, settings: Settings, graphs: Sequence[str]) -> None:
        if settings.store_url is None:
            raise StoreUnavailable("no external store is configured (KG_STORE_URL, kg serve --store)")
        self.url, self.settings = settings.store_url, settings
        self.graphs = list(graphs)
        self.union = settings.store_dataset == "union"
        self.client = StoreClient(settings, timeout_s=store_timeout(settings))
        self._below: dict[ox.BlankNode, list[ox.Quad]] = {}

    def __repr__(self) -> str:
        return f"RemoteStore({shown(self.url)!r}, {len(self.graphs)} graphs)"

    def query(self, sparql: str, *, prefixes: dict[str, str] | None = None, base_iri: str | None = None,
              default_graph: Sequence[ox.NamedNode] | None = None,
              named_graphs: Sequence[ox.NamedNode] | None = None,
              use_default_graph_as_union: bool = False, timeout_s: float | None = None,
              ) -> ox.QuerySolutions | ox.QueryBoolean | Iterator[ox.Triple]:
        """Evaluate ``sparql`` in the store, with ``Store.query``'s options: ``prefixes`` and ``base_iri`` are
        written as the query's prologue (a declaration of the query itself comes later and wins);
        ``use_default_graph_as_union`` names the published graphs as the dataset (or, with
        ``KG_STORE_DATASET=union``, leaves it to the store, whose default graph is the union);
        ``default_graph`` and ``named_graphs`` name another one; neither leaves the dataset to the query's
        ``FROM``. ``timeout_s`` is the caller's deadline for the query (:func:`kg.query.query`'s): one longer
        than ``KG_QUERY_TIMEOUT_S`` (the work done once per data version: the figures view, the VoID counts) is
        the store's too; otherwise the store's answer is bounded by :func:`store_timeout`."""
        prologue = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in (prefixes or {}).items())
        if base_iri is not None:
            prologue = f"BASE <{base_iri}>\n" + prologue
        if use_default_graph_as_union and self.union:
            defaults, named = [], []  # the store's own default graph is the union (KG_STORE_DATASET=union)
        elif use_default_graph_as_union:
            defaults, named = self.graphs, self.graphs
        else:
            defaults = [g.value for g in default_graph or ()]
            named = [g.value for g in named_graphs or ()]
        graph_form = query_form(sparql) in ("CONSTRUCT", "DESCRIBE")
        longer = timeout_s if timeout_s is not None and timeout_s > self.settings.query_timeout_s else None
        media, body = self.client.query(self.url, prologue + sparql, accept=GRAPH_ACCEPT if graph_form
                                        else RESULTS_ACCEPT, default_graphs=defaults, named_graphs=named,
                                        timeout_s=longer)
        if graph_form:
            if media not in GRAPH_FORMATS:
                body.close()
                raise QueryUnsupported(f"the SPARQL store answered in {media or 'no media type'}, which kg does "
                                       "not read")
            return ox.parse(body, GRAPH_FORMATS[media])  # type: ignore[return-value]
        return _results(media, body)

    def quads_for_pattern(self, subject: Any, predicate: Any, object: Any,
                          graph_name: Any = None) -> Iterator[ox.Quad]:
        """The quads of the published graphs matching the pattern (None matches anything), graph by graph
        when no term is given (a whole dump is then never one answer held at once).

        A blank node cannot be named in a query, so the blank nodes below an IRI (up to :data:`BNODE_DEPTH`
        levels) come in the same answer as the IRI's own quads and are remembered: a later pattern whose
        subject is one of them is answered from memory."""
        if isinstance(subject, ox.BlankNode):
            yield from (q for q in self._below.get(subject, ()) if _matches(q, predicate, object, graph_name))
        elif isinstance(object, ox.BlankNode):
            return  # nothing outside the remembered descriptions points at one of them as far as kg asks
        elif graph_name is not None:
            yield from self._quads(subject, predicate, object, [graph_name.value])
        elif subject is None and predicate is None and object is None:
            for graph in self.graphs:
                yield from self._quads(None, None, None, [graph])
        else:
            yield from self._quads(subject, predicate, object, self.graphs)

    def _quads(self, s: Any, p: Any, o: Any, graphs: Sequence[str]) -> Iterator[ox.Quad]:
        terms = [_sparql(t) if t is not None else v for t, v in ((s, "?s"), (p, "?p"), (o, "?o"))]
        below = "".join(f"OPTIONAL {{ FILTER(isBlank(?o{i})) ?o{i} ?p{i + 1} ?o{i + 1} " for i in range(BNODE_DEPTH))
        below = below.replace("?o0", "?o") + "}" * BNODE_DEPTH
        deep = isinstance(s, ox.NamedNode) and o is None  # an IRI's description, as entity pages ask for
        text = f"SELECT * WHERE {{ GRAPH ?g {{ {' '.join(terms)} {below if deep else ''} }} }}"
        if len(self._below) > MAX_REMEMBERED:
            self._below.clear()
        fixed = {"s": s, "p": p, "o": o}
        seen: set[ox.Quad] = set()
        for row in self._select(text, graphs):
            g = row["g"]
            first = ox.Quad(*(fixed[v] if fixed[v] is not None else row[v] for v in "spo"), g)  # type: ignore[misc]
            if first not in seen:
                seen.add(first)
                yield first
            node = first.object if deep else None
            for i in range(1, BNODE_DEPTH + 1):
                if not isinstance(node, ox.BlankNode) or row[f"p{i}"] is None:
                    break
                quad = ox.Quad(node, row[f"p{i}"], row[f"o{i}"], g)  # type: ignore[arg-type]
                if quad not in seen:
                    seen.add(quad)
                    self._below.setdefault(node, []).append(quad)
                node = quad.object

    def _select(self, text: str, graphs: Sequence[str], *, defaults: Sequence[str] = ()) -> ox.QuerySolutions:
        media, body = self.client.query(self.url, text, accept=RESULTS_ACCEPT, named_graphs=graphs,
                                        default_graphs=defaults)
        return _results(media, body)

    def __len__(self) -> int:
        """The number of quads of the published graphs."""
        row = next(iter(self._select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", self.graphs)))
        return int(row["n"].value)  # type: ignore[union-attr]


def published(settings: Settings) -> Manifest:
    """The manifest ``kg publish`` wrote into the store at ``settings.store_url``: the files, their graphs and
    hashes (the data version), without any local file. Raises :class:`StoreUnavailable` when the store cannot be
    reached or holds nothing ``kg publish`` wrote."""
    probe = RemoteStore(settings, [])
    manifest = read_manifest(lambda text, graphs: probe._select(text, graphs))
    if not manifest.sources:
        raise StoreUnavailable(f"the SPARQL store at {shown(probe.url)} holds no graph `kg publish` wrote; "
                               "publish first (kg publish --to GRAPH_STORE_URL)", setting="KG_STORE_URL")
    return manifest


def open_remote(settings: Settings) -> KnowledgeGraph:
    """The graph ``kg publish`` wrote into the store at ``settings.store_url``: its files (see :func:`published`)
    and the inferred graph it published, if any. Raises :class:`StoreUnavailable` as :func:`published` does."""
    manifest = published(settings)
    graphs = [s.graph for s in manifest.sources] + ([manifest.inferred] if manifest.inferred else [])
    return KnowledgeGraph(store=RemoteStore(settings, graphs), sources=manifest.sources,  # type: ignore[arg-type]
                          settings=settings, reasoning=manifest.reasoning)
