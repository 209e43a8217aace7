"""The persisted store: loading is done once per data version.

``ensure_store`` builds an on-disk pyoxigraph (RocksDB) store for the current files under
``<store_dir>/store-<version>`` the first time, in a temporary directory renamed into place only when complete
(so a crash never leaves a half-loaded store that looks finished). A restart over unchanged data finds the
directory and reuses it without parsing anything; any change to ontology or data changes the version, hence
the directory. Query workers open it read-only, several processes at once.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pyoxigraph as ox

from kg.graph import KnowledgeGraph, SourceFile, fill, resolve_paths, source_files, version_of
from kg.settings import Settings

MANIFEST = "kg-sources.json"
PROGRESS_BYTES = 5_000_000  # report per-file progress when the data is at least this large


def store_path(settings: Settings, version: str) -> Path:
    assert settings.store_dir is not None
    return Path(settings.store_dir) / f"store-{version[:16]}"


def _stderr(line: str) -> None:
    print(f"kg: {line}", file=sys.stderr, flush=True)


def ensure_store(settings: Settings, paths: Sequence[Path | str] | None = None, *,
                 progress: Callable[[str], None] | None = _stderr) -> Path:
    """The directory of the store for the current data, building it if needed; returns its path."""
    sources = source_files(paths, settings)
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
        store.optimize()
    except BaseException:
        del store
        shutil.rmtree(building, ignore_errors=True)
        raise
    del store  # close RocksDB before the directory is renamed
    (building / MANIFEST).write_text(json.dumps({
        "version": version,
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


def _prune(keep: Path) -> None:
    """Remove the stores and prepared views of older data versions (this data can never use them again)."""
    version = keep.name.removeprefix("store-")
    for other in keep.parent.glob("store-*"):
        if other != keep and (other / MANIFEST).exists():
            shutil.rmtree(other, ignore_errors=True)
    for other in keep.parent.glob("views-*"):
        if other.name != f"views-{version}":
            shutil.rmtree(other, ignore_errors=True)


def open_persisted(settings: Settings, paths: Sequence[Path | str] | None = None) -> KnowledgeGraph:
    """Open the current version's store read-only (building it first if it does not exist yet)."""
    return open_store(settings, ensure_store(settings, paths))


def open_store(settings: Settings, path: Path) -> KnowledgeGraph:
    """Open a store built by :func:`ensure_store` read-only (several processes may do so at once)."""
    manifest = json.loads((path / MANIFEST).read_text())
    sources = [SourceFile(path=Path(s["path"]), graph=s["graph"], sha256=s["sha256"], size=s["size"])
               for s in manifest["sources"]]
    return KnowledgeGraph(store=ox.Store.read_only(str(path)), sources=sources, settings=settings)
