"""Loading the graph and dumping it: ``load(paths) -> KnowledgeGraph``, ``dump(kg, out, format=...)``.

The served graph lives in a pyoxigraph ``Store`` (a native SPARQL 1.1 engine, 10-20x faster than rdflib's on
this data; see the README). Each source file becomes one named graph whose IRI is derived from its path, so a
triple can always be traced back to the file that states it; queries see the union of all graphs as their
default graph.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox

from kg.errors import RdfSyntaxError, UsageError
from kg.files import expand, read_bytes
from kg.formats import Format, by_name
from kg.namespaces import PREFIXES, RDFS
from kg.settings import GRAPH_NS, INFERRED_GRAPH, Settings
from kg.turtle.lexer import engine_limit_error

#: Our format names -> pyoxigraph's formats.
OX_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}

#: File extensions read as RDF when a folder is given.
RDF_EXTENSIONS = {".ttl": "turtle", ".nt": "ntriples", ".nq": "nquads", ".trig": "trig", ".jsonld": "jsonld",
                  ".rdf": "rdfxml", ".owl": "rdfxml"}


@dataclass(frozen=True)
class SourceFile:
    """One loaded file: where it is, the named graph holding its triples, and its content hash."""

    path: Path
    graph: str
    sha256: str
    size: int


@dataclass
class KnowledgeGraph:
    """The loaded dataset: a pyoxigraph store plus the files it came from.

    ``version`` is a hash of every file's path and bytes: it changes exactly when the data changes, and keys
    caches, ETags and persisted stores. ``reasoning`` says which inferred triples the store holds in the graph
    ``INFERRED_GRAPH`` (:mod:`kg.reasoning`; "none": the graph is exactly as written).
    """

    store: ox.Store
    sources: list[SourceFile] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    reasoning: str = "none"

    @property
    def version(self) -> str:
        return version_of(self.sources)

    @property
    def graph_names(self) -> list[str]:
        return [s.graph for s in self.sources]

    def __len__(self) -> int:
        return len(self.store)


def default_paths(settings: Settings) -> list[Path]:
    """The ontology and every data file of the repository, in a stable order."""
    return expand([settings.ontology_dir, settings.data_dir], RDF_EXTENSIONS)


@functools.lru_cache(maxsize=64)
def _real(path: str) -> Path:
    """A root folder resolved once per process, not once per file (each resolve costs an lstat per part)."""
    return Path(path).resolve()


def graph_iri(path: Path, settings: Settings) -> str:
    """The named-graph IRI of a file: ``<base>graph/<path relative to the repository root>``."""
    resolved = path.resolve()
    try:
        rel = resolved.relative_to(_real(str(settings.root))).as_posix()
    except ValueError:
        rel = "external/" + resolved.name
    return GRAPH_NS + rel


def format_of(path: Path) -> str:
    """Our format name for a file, from its extension; :class:`UsageError` naming the extension otherwise."""
    name = RDF_EXTENSIONS.get(path.suffix.lower())
    if name is None:
        raise UsageError(f"{path}: cannot tell the RDF format from the extension {path.suffix!r}")
    return name


def parse_file(path: Path, data: bytes | None = None) -> list[ox.Triple | ox.Quad]:
    """Every triple of one RDF file, or :class:`RdfSyntaxError` with the file, line and column."""
    data = read_bytes(path) if data is None else data
    try:
        return list(ox.parse(input=data, format=OX_FORMATS[format_of(path)], base_iri=path.resolve().as_uri()))
    except (SyntaxError, ValueError, UnicodeDecodeError) as err:
        raise rdf_syntax_error(err, path) from None
    except MemoryError as err:  # a token longer than the engine's buffer
        raise engine_limit_error(err, path, data) from None


def rdf_syntax_error(err: SyntaxError | ValueError | UnicodeDecodeError, path: Path | str) -> RdfSyntaxError:
    """The :class:`RdfSyntaxError` for a pyoxigraph parse failure of ``path``: the file, line and column, and
    pyoxigraph's message without its own position prefix ("Parser error at line 3 between columns 17 and 21:
    ..."), since the file:line:column is put in front of it already."""
    if not isinstance(err, SyntaxError):
        return RdfSyntaxError(str(err), path=str(path))
    msg = err.msg or str(err)
    head, sep, tail = msg.partition(": ")
    return RdfSyntaxError(tail if sep and head.startswith("Parser error") else msg, path=str(path),
                          line=err.lineno, column=err.offset)


def resolve_paths(paths: Iterable[Path | str] | None, settings: Settings) -> list[Path]:
    """The files to load: ``paths`` (folders expanded) or, when None, the ontology and the data."""
    return default_paths(settings) if paths is None else expand(paths, RDF_EXTENSIONS)


def snapshot(paths: Iterable[Path | str] | None, settings: Settings, directory: Path
             ) -> tuple[list[SourceFile], list[tuple[str, str]]]:
    """Copy the files :func:`load` would read into ``directory``, reading each once: the sources (hashed from
    the copied bytes) and ``(copy, graph IRI)`` pairs for :func:`load_pairs`. A server loads its workers from
    the copy, so a worker started later serves the data version the server announced, whatever happened to
    the files since."""
    directory.mkdir(parents=True, exist_ok=True)
    sources, pairs = [], []
    for number, path in enumerate(resolve_paths(paths, settings)):
        data = read_bytes(path, limit=settings.max_file_bytes)
        copy = directory / f"{number:05d}{path.suffix}"
        copy.write_bytes(data)
        graph = graph_iri(path, settings)
        sources.append(SourceFile(path=path, graph=graph, sha256=hashlib.sha256(data).hexdigest(), size=len(data)))
        pairs.append((str(copy), graph))
    return sources, pairs


def load_pairs(pairs: Sequence[tuple[str, str]], sources: list[SourceFile], *, settings: Settings,
               reasoning: str = "none") -> KnowledgeGraph:
    """Load ``(file, graph IRI)`` pairs (a :func:`snapshot`) into a new in-memory store, with the inferred
    triples of ``reasoning`` (see :func:`load`)."""
    store = ox.Store()
    for (path, graph), source in zip(pairs, sources, strict=True):
        try:
            data = read_bytes(Path(path), limit=settings.max_file_bytes)
            _load_file(store, Path(path), data, graph, bulk=False)
        except RdfSyntaxError as err:  # name the user's file, not the snapshot's copy of it
            raise RdfSyntaxError(err.reason, path=str(source.path), line=err.line, column=err.column) from None
    return _infer(KnowledgeGraph(store=store, sources=list(sources), settings=settings), reasoning)


def _infer(kg: KnowledgeGraph, reasoning: str) -> KnowledgeGraph:
    """``kg`` with the inferred graph of ``reasoning`` added (read from the cache of its version when there)."""
    if reasoning != "none":
        from kg.reasoning import add_inferred  # here: rdflib and owlrl only when a closure must be computed

        add_inferred(kg.store, kg.version, kg.settings, reasoning)
        kg.reasoning = reasoning
    return kg


def version_of(sources: Iterable[SourceFile]) -> str:
    """A hash of every file's graph name and content: changes exactly when the data changes."""
    digest = hashlib.sha256()
    for src in sorted(sources, key=lambda s: s.graph):
        digest.update(src.graph.encode() + b"\0" + src.sha256.encode() + b"\n")
    return digest.hexdigest()


def file_quads(path: Path, data: bytes, graph: str) -> list[ox.Quad]:
    """The quads of one file: its triples in graph ``graph``; a dataset file's named graphs keep their names."""
    name = ox.NamedNode(graph)
    return [
        t if isinstance(t, ox.Quad) and not isinstance(t.graph_name, ox.DefaultGraph)
        else ox.Quad(t.subject, t.predicate, t.object, name)
        for t in parse_file(path, data)
    ]


def _load_file(store: ox.Store, path: Path, data: bytes, graph: str, *, bulk: bool) -> None:
    """Load ``data``, the bytes of one file, in Rust (no Python object per triple); triples go to ``graph``.
    The bytes, not the path: the file was read once, by :func:`kg.files.read_bytes`, which reads regular files
    only and caps the size (``KG_MAX_FILE_BYTES``).

    Dataset files (N-Quads, TriG) go through :func:`file_quads` so their default-graph triples land in the
    file's graph too, as every other file's do."""
    name = format_of(path)
    if name in ("nquads", "trig"):
        quads = file_quads(path, data, graph)
        (store.bulk_extend if bulk else store.extend)(quads)
        return
    loader = store.bulk_load if bulk else store.load
    try:
        loader(input=data, format=OX_FORMATS[name], base_iri=path.resolve().as_uri(), to_graph=ox.NamedNode(graph))
    except (SyntaxError, ValueError, UnicodeDecodeError) as err:
        raise rdf_syntax_error(err, path) from None
    except MemoryError as err:  # a token longer than the engine's buffer
        raise engine_limit_error(err, path, data) from None


def fill(store: ox.Store, paths: Iterable[Path], settings: Settings, *, bulk: bool = False,
         progress: Callable[[str], None] | None = None) -> list[SourceFile]:
    """Parse every file into ``store``; returns the files read, in order. ``progress`` gets one line per file.

    ``bulk`` uses pyoxigraph's non-transactional bulk loader (for a new on-disk store) on several files at once:
    it releases the GIL, so the files load in parallel threads, as ``oxigraph load`` does."""
    files = list(paths)
    done_bytes = 0
    lock = threading.Lock()

    def one(item: tuple[int, Path]) -> SourceFile:
        nonlocal done_bytes
        number, path = item
        data = read_bytes(path, limit=settings.max_file_bytes)
        name = graph_iri(path, settings)
        _load_file(store, path, data, name, bulk=bulk)
        with lock:
            done_bytes += len(data)
            if progress is not None:
                progress(f"loaded {path} ({number}/{len(files)} files, {done_bytes / 1e6:,.1f} MB)")
        return SourceFile(path=path, graph=name, sha256=hashlib.sha256(data).hexdigest(), size=len(data))

    items = list(enumerate(files, 1))
    if not bulk or len(files) < 2:
        return [one(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor  # here: 7 ms of imports only bulk loads need

    with ThreadPoolExecutor(max_workers=min(len(files), os.cpu_count() or 2)) as pool:
        return list(pool.map(one, items))


def load(paths: Iterable[Path | str] | None = None, *, settings: Settings | None = None,
         progress: Callable[[str], None] | None = None, reasoning: str = "none") -> KnowledgeGraph:
    """Load RDF files (default: ``ontology/`` and ``data/``) into a new in-memory store, one graph per file
    (a dataset file's named graphs keep their names). ``reasoning`` ("none", "rdfs", "owlrl") adds the triples
    it infers in the graph ``INFERRED_GRAPH`` (:mod:`kg.reasoning`, cached per data version); the default is
    the graph exactly as written, and the shells pass ``settings.reasoning`` (``KG_REASONING``).

    Raises :class:`InputError` for a missing or unreadable path and :class:`RdfSyntaxError` for a file that
    does not parse; nothing is half-loaded, the store is only returned once every file has been read.
    """
    settings = settings or Settings()
    store = ox.Store()
    sources = fill(store, resolve_paths(paths, settings), settings, progress=progress)
    return _infer(KnowledgeGraph(store=store, sources=sources, settings=settings), reasoning)


def asserted_quads(kg: KnowledgeGraph) -> Iterator[ox.Quad]:
    """Every quad of the store except those of the inferred graph: what the files say."""
    inferred = ox.NamedNode(INFERRED_GRAPH)
    return (q for q in kg.store.quads_for_pattern(None, None, None, None) if q.graph_name != inferred)


def union_triples(kg: KnowledgeGraph, *, inferred: bool = True) -> Iterator[ox.Triple]:
    """Every distinct triple of the union graph (a triple stated in two files is written once); without the
    inferred graph unless ``inferred``."""
    seen: set[ox.Triple] = set()
    for quad in kg.store.quads_for_pattern(None, None, None, None) if inferred else asserted_quads(kg):
        triple = quad.triple
        if triple not in seen:
            seen.add(triple)
            yield triple


def dump(kg: KnowledgeGraph, out: BinaryIO | None = None, *, format: str | Format = "turtle",
         inferred: bool = True) -> bytes | None:
    """Serialise the graph. Dataset formats (N-Quads, TriG) keep one named graph per source file, and the
    inferred triples in the graph ``INFERRED_GRAPH``; graph formats write the union. ``inferred=False`` leaves
    the inferred graph out (what the files say). Returns the bytes when ``out`` is None."""
    fmt = by_name(format) if isinstance(format, str) else format
    if fmt.name not in OX_FORMATS:
        raise UsageError(f"cannot dump as {fmt.name}; choose one of: {', '.join(OX_FORMATS)}")
    ox_format = OX_FORMATS[fmt.name]
    items: Iterable[ox.Triple | ox.Quad]
    if "dataset" in fmt.kinds and fmt.name != "jsonld":
        items = kg.store.quads_for_pattern(None, None, None, None) if inferred else asserted_quads(kg)
    else:
        items = union_triples(kg, inferred=inferred)
    return ox.serialize(items, out, ox_format, prefixes=PREFIXES)


QuadPattern = Callable[[Any, Any, Any, Any], Iterable[ox.Quad]]


def closure(quads: QuadPattern, start: ox.NamedNode, link: str, *, down: bool = False) -> set[ox.NamedNode]:
    """``start`` and every IRI it reaches through the ``rdfs:<link>`` axioms, following every parent (a class
    may have several): its super-classes for ``link="subClassOf"``, its super-properties for
    ``"subPropertyOf"``; with ``down``, the other way (its sub-classes). ``quads`` answers a quad pattern:
    ``store.quads_for_pattern`` or a check workspace's ``quads``."""
    predicate = ox.NamedNode(RDFS + link)
    found, todo = {start}, [start]
    while todo:
        node = todo.pop()
        matches = quads(None, predicate, node, None) if down else quads(node, predicate, None, None)
        for q in matches:
            nxt = q.subject if down else q.object
            if isinstance(nxt, ox.NamedNode) and nxt not in found:
                found.add(nxt)
                todo.append(nxt)
    return found
