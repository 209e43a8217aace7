"""The persisted store: loading is done once per data version.

``ensure_store`` builds an on-disk pyoxigraph (RocksDB) store for the current files under
``<store_dir>/store-<version>`` the first time, in a temporary directory renamed into place only when complete
(so a crash never leaves a half-loaded store that looks finished). A restart over unchanged data finds the
directory and reuses it without parsing anything; any change to ontology or data changes the version, hence
the directory. Query workers open it read-only, several processes at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pyoxigraph as ox

from kg.errors import UsageError
from kg.files import read_bytes, write_atomic
from kg.graph import KnowledgeGraph, SourceFile, fill, graph_iri, resolve_paths, version_of
from kg.settings import Settings
from kg.views import FiguresView, prepare_figures

MANIFEST = "kg-sources.json"
LOCK = "in-use.lock"
HASHES = "kg-hashes.json"
# A file changed within this long before its hash was recorded may change again within the same timestamp
# tick ("racily clean" in git's words), so its recorded hash is not trusted.
RACY_NS = 2_000_000_000
PROGRESS_BYTES = 5_000_000  # report per-file progress when the data is at least this large


def _mode(settings: Settings) -> str:
    """The part of a store's name that says which inferred graph it holds: none for the graph as written."""
    return "" if settings.reasoning == "none" else f"-{settings.reasoning}"


def store_path(settings: Settings, version: str) -> Path:
    """Where the store of a data version lives; one per reasoning mode, since the inferred graph is in it."""
    assert settings.store_dir is not None
    return Path(settings.store_dir) / f"store-{version[:16]}{_mode(settings)}"


def views_path(settings: Settings, version: str) -> Path:
    """Where the prepared views of a data version live (next to its store; pruned with it)."""
    assert settings.store_dir is not None
    return Path(settings.store_dir) / f"views-{version[:16]}{_mode(settings)}"


def cached_sources(settings: Settings, paths: Sequence[Path | str] | None = None) -> list[SourceFile]:
    """The files :func:`kg.graph.load` would read, with their graph names and hashes, without parsing them,
    remembering each file's hash in the store directory by its size,
    modification and change times, inode and device, as git's index does: at 100k claims hashing 150 MB costs
    more than the rest of a restart. A file whose metadata is unchanged is read again only when it was modified
    too close to the moment its hash was recorded to be sure."""
    assert settings.store_dir is not None
    cache_file = Path(settings.store_dir) / HASHES
    try:
        cache = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        cache = {}
    now = time.time_ns()
    sources, fresh, changed = [], {}, False
    for path in resolve_paths(paths, settings):
        key = os.path.abspath(path)  # no resolve(): the stat fields identify the file
        try:
            st = path.stat()
        except OSError:
            st = None
        known = cache.get(key)
        if (st is not None and isinstance(known, dict) and known.get("stat") == _stat_key(st)
                and st.st_mtime_ns + RACY_NS < known.get("recorded", 0)):
            digest, size = known["sha256"], st.st_size
            fresh[key] = known
        else:
            data = read_bytes(path)  # raises the CLI's InputError for a missing or unreadable file
            digest, size = hashlib.sha256(data).hexdigest(), len(data)
            changed = True
            if st is not None:
                fresh[key] = {"stat": _stat_key(st), "sha256": digest, "recorded": now}
        sources.append(SourceFile(path=path, graph=graph_iri(path, settings), sha256=digest, size=size))
    if changed or fresh.keys() != cache.keys():
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs the next start a re-hash
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(cache_file, json.dumps(fresh))
    return sources


def _stat_key(st: os.stat_result) -> list[int]:
    """What must not change for a recorded hash to be trusted: git's index compares the same fields (the
    change time catches an edit whose modification time was put back, as ``touch -r`` or ``rsync -t`` do)."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _stderr(line: str) -> None:
    print(f"kg: {line}", file=sys.stderr, flush=True)


def ensure_store(settings: Settings, paths: Sequence[Path | str] | None = None, *,
                 progress: Callable[[str], None] | None = _stderr, sources: list[SourceFile] | None = None) -> Path:
    """The directory of the store for the current data, building it if needed; returns its path. ``sources``
    are the files as :func:`cached_sources` found them, when the caller has them already."""
    sources = cached_sources(settings, paths) if sources is None else sources
    version = version_of(sources)
    final = store_path(settings, version)
    if (final / MANIFEST).exists():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    building = final.parent / f".building-{version[:16]}-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    started = time.monotonic()
    total = sum(s.size for s in sources)
    report = progress if (progress is not None and total >= PROGRESS_BYTES) else None
    if progress is not None:
        progress(f"building the store for data version {version[:12]} in {final} ({total / 1e6:.1f} MB of RDF)")
    store = ox.Store(str(building))
    try:
        fill(store, resolve_paths(paths, settings), settings, bulk=True, progress=report)
        store.flush()
        if settings.reasoning != "none":
            from kg.reasoning import add_inferred  # rdflib and owlrl only when a closure must be computed

            if progress is not None:
                progress(f"inferring ({settings.reasoning}; once per data version, cached)")
            add_inferred(store, version, settings, settings.reasoning, bulk=True)
            store.flush()
        store.optimize()
    except BaseException:
        del store
        shutil.rmtree(building, ignore_errors=True)
        raise
    del store  # close RocksDB before the directory is renamed
    (building / MANIFEST).write_text(json.dumps({
        "version": version,
        "reasoning": settings.reasoning,
        "root": str(settings.root.resolve()),  # relative IRIs in the files resolve against their paths
        "sources": [{"path": str(s.path), "graph": s.graph, "sha256": s.sha256, "size": s.size} for s in sources],
    }, indent=1))
    try:
        building.rename(final)
    except OSError:  # another process finished the same version first; theirs is as good as ours
        shutil.rmtree(building, ignore_errors=True)
    _prune(final)
    if progress is not None:
        progress(f"store ready in {time.monotonic() - started:.1f} s")
    return final


def hold(store: Path) -> int:
    """Mark a version's store as in use for as long as the returned file descriptor stays open (a shared
    ``flock``; the operating system drops it if the holder dies): :func:`_prune` leaves it alone, so a
    ``kg figures --store-dir`` over changed data never removes the store a running server still serves."""
    fd = os.open(store / LOCK, os.O_RDONLY | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


def _unused(store: Path) -> int | None:
    """An exclusive lock on a store nobody holds (kept until the caller closes it), or None when in use."""
    try:
        fd = os.open(store / LOCK, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _prune(keep: Path) -> None:
    """Remove the stores and prepared views of older data versions (this data can never use them again),
    except those a running server holds (:func:`hold`)."""
    for other in keep.parent.glob("store-*"):
        # the same version's store of another reasoning mode is as current as this one
        if other.name[:22] == keep.name[:22] or not (other / MANIFEST).exists():
            continue
        fd = _unused(other)
        if fd is None:
            continue
        try:
            shutil.rmtree(keep.parent / other.name.replace("store-", "views-", 1), ignore_errors=True)
            shutil.rmtree(other, ignore_errors=True)
        finally:
            os.close(fd)
    for views in keep.parent.glob("views-*"):  # views whose store is gone (removed by hand, say)
        if not (keep.parent / views.name.replace("views-", "store-", 1)).exists():
            shutil.rmtree(views, ignore_errors=True)
    for inferred in keep.parent.glob("inferred-*"):  # kg.reasoning's cache of a version no store is left of
        if not any(keep.parent.glob(f"store-{inferred.name.split('-')[1]}*")):
            inferred.unlink(missing_ok=True)


def closest_store(settings: Settings, sources: Sequence[SourceFile]) -> tuple[Path, dict[str, str]] | None:
    """The complete store in the store directory, built from the same repository root, that shares the most
    files (same graph, same content) with ``sources``, with its manifest's ``{graph: sha256}``; None when there
    is none. ``kg check`` reads the files they share from it and parses only the others. A store of another root
    is never taken: the same bytes there mean other triples (relative IRIs resolve against the file's path)."""
    assert settings.store_dir is not None
    wanted = {(s.graph, s.sha256) for s in sources}
    root = str(settings.root.resolve())
    best: tuple[int, Path, dict[str, str]] | None = None
    for candidate in sorted(Path(settings.store_dir).glob("store-*")):
        try:
            manifest = json.loads((candidate / MANIFEST).read_text())
            recorded = {s["graph"]: s["sha256"] for s in manifest["sources"]}
        except (OSError, ValueError, KeyError, TypeError):  # building, damaged or foreign: not a candidate
            continue
        if manifest.get("root") != root:
            continue
        shared = len(wanted & set(recorded.items()))
        if best is None or shared > best[0]:
            best = (shared, candidate, recorded)
    return None if best is None else (best[1], best[2])


def open_persisted(settings: Settings, paths: Sequence[Path | str] | None = None) -> KnowledgeGraph:
    """Open the current version's store read-only (building it first if it does not exist yet)."""
    return open_store(settings, ensure_store(settings, paths))


def open_store(settings: Settings, path: Path) -> KnowledgeGraph:
    """Open a store built by :func:`ensure_store` read-only (several processes may do so at once)."""
    manifest = json.loads((path / MANIFEST).read_text())
    sources = [SourceFile(path=Path(s["path"]), graph=s["graph"], sha256=s["sha256"], size=s["size"])
               for s in manifest["sources"]]
    return KnowledgeGraph(store=ox.Store.read_only(str(path)), sources=sources, settings=settings,
                          reasoning=manifest.get("reasoning", "none"))


def figures_view(settings: Settings, paths: Sequence[Path | str] | None = None, *,
                 progress: Callable[[str], None] | None = _stderr) -> FiguresView:
    """The prepared figures view of the current data version (the one ``kg serve --store-dir`` serves),
    building the store and the view first when this version has none yet. Once prepared, a page costs a stat
    of every file and two seeks, however large the graph."""
    try:
        return _figures_view(settings, paths, progress)
    except OSError as err:
        raise UsageError(f"{settings.store_dir}: cannot use as the store directory ({err.strerror or err}; "
                         "KG_STORE_DIR, --store-dir)", path=str(settings.store_dir)) from None


def _figures_view(settings: Settings, paths: Sequence[Path | str] | None,
                  progress: Callable[[str], None] | None) -> FiguresView:
    sources = cached_sources(settings, paths)
    directory = views_path(settings, version_of(sources)) / "figures"
    view = FiguresView.open(directory)
    if view is not None:
        return view
    store = open_store(settings, ensure_store(settings, paths, progress=progress, sources=sources))
    if progress is not None:
        progress("preparing the figures view (once per data version)")
    prepare_figures(store, directory)
    view = FiguresView.open(directory)
    assert view is not None
    return view
