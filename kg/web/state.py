"""What the server keeps between requests: the service, the data version and views prepared per version.

The graph is read-only between data versions, so anything derived from it alone (the figures table, dumps,
the VoID counts, the ontology documentation) is computed once per version and served from memory or disk;
with ``--store-dir`` the figures view and the dumps live next to the store and survive restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from kg.graph import SourceFile, snapshot, version_of
from kg.service import Service
from kg.settings import Settings
from kg.views import FiguresView

#: The ontology as the graph holds it (the graph of the file ``ontology/kg.ttl``).
ONTOLOGY_QUERY = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRENDS(STR(?g), '/ontology/kg.ttl')) }"


@dataclass
class ServerState:
    settings: Settings
    data: Sequence[Path] | None = None
    sources: list[SourceFile] = field(default_factory=list)
    version: str = ""
    #: The inferred triples the served graph holds: KG_REASONING, or over an external store the mode
    #: ``kg publish`` recorded in its manifest (the server's own setting does not change what was published).
    reasoning: str = "none"
    last_modified: datetime = field(default_factory=lambda: datetime.now(UTC))
    service: Service | None = None
    figures: FiguresView | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    dump_dir: Path | None = None
    _tmp: tempfile.TemporaryDirectory[str] | None = None
    _store_lock: int | None = None
    _figures_task: asyncio.Task[FiguresView] | None = None
    _figures_dir: Path = Path()

    async def start(self) -> None:
        """Hash the sources (the version), build or reuse the persisted store, start the workers, and prepare
        the figures view (or reuse the one prepared for this version). With an external store
        (``KG_STORE_URL``) the sources and version come from its manifest instead, and no local file is read."""
        store_path = None
        files = None
        newest: float | None = None
        self.reasoning = self.settings.reasoning
        if self.settings.store_url is not None:
            from kg.remote.store import published

            # the store's manifest names the files and their hashes: no local file is read (the checkout may
            # be on another machine); the data version is the one an embedded store of those files would have
            manifest = await asyncio.to_thread(published, self.settings)
            self.sources, self.reasoning = manifest.sources, manifest.reasoning
            self.version = version_of(self.sources)
            self._tmp = tempfile.TemporaryDirectory(prefix="kg-server-")
            work_dir = Path(self._tmp.name)
            newest = datetime.now(UTC).timestamp()  # the manifest keeps no times: when this server learned them
        elif self.settings.store_dir is not None:
            from kg.store import cached_sources, ensure_store, hold, views_path

            self.sources = await asyncio.to_thread(cached_sources, self.settings, self.data)
            store_path = await asyncio.to_thread(ensure_store, self.settings, self.data, sources=self.sources)
            self._store_lock = hold(store_path)  # while serving it, no other kg command prunes this version
            self.version = version_of(self.sources)
            work_dir = views_path(self.settings, self.version)
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="kg-server-")
            work_dir = Path(self._tmp.name)
            copying = asyncio.ensure_future(asyncio.to_thread(snapshot, self.data, self.settings,
                                                              work_dir / "snapshot"))
            try:
                self.sources, pairs = await asyncio.shield(copying)
            except asyncio.CancelledError:  # stopped meanwhile: let the copy end, so close() removes all of it
                with contextlib.suppress(BaseException):
                    await copying
                raise
            self.version = version_of(self.sources)
            files = (self.sources, pairs)
        if newest is None:
            newest = max((s.path.stat().st_mtime for s in self.sources), default=0.0)
        self.last_modified = datetime.fromtimestamp(int(newest), UTC)
        self.dump_dir = work_dir / "dumps"
        self.dump_dir.mkdir(parents=True, exist_ok=True)
        self.service = Service(self.settings, self.data, store_path=store_path, snapshot=files)
        await self.service.start()
        self._figures_dir = work_dir / "figures"
        self._figures_task = asyncio.get_running_loop().create_task(self._prepare_figures(self._figures_dir))

    async def _prepare_figures(self, directory: Path) -> FiguresView:
        """The prepared view of this version: reused when it exists, else computed by a worker. Runs in the
        background so the endpoint answers while a large view is being prepared."""
        view = FiguresView.open(directory)
        if view is None:
            await self.graph.prepare_figures(directory)
            view = FiguresView.open(directory)
        assert view is not None
        self.figures = view
        return view

    async def figures_view(self) -> FiguresView:
        """The prepared figures view, waiting for it when it is still being prepared; a failed preparation is
        started again by the next request rather than remembered forever."""
        if self._figures_task is None or (self._figures_task.done() and self._figures_task.exception()):
            self._figures_task = asyncio.get_running_loop().create_task(self._prepare_figures(self._figures_dir))
        return await asyncio.shield(self._figures_task)

    async def close(self) -> None:
        """Stop the workers and remove the server's temporary directory. A figures view still being prepared is
        cancelled; without worker processes (``KG_WORKERS=0``) its thread may still be writing into that
        directory, so its removal tolerates files appearing meanwhile rather than failing the shutdown."""
        if self._figures_task is not None and not self._figures_task.done():
            self._figures_task.cancel()
        if self.service is not None:
            await self.service.close()
        if self._tmp is not None:
            try:
                self._tmp.cleanup()
            except OSError:  # a file written while it was being removed: remove what is left
                shutil.rmtree(self._tmp.name, ignore_errors=True)
            self._tmp = None
        if self._store_lock is not None:
            os.close(self._store_lock)
            self._store_lock = None

    async def ontology_file(self) -> Path:
        """The Turtle file the ontology's documentation is made from: the checkout's, or with an external store
        (whose server reads no local file) the ontology graph as the store holds it, written once per version
        into the server's directory."""
        if self.settings.store_url is None:
            return self.settings.ontology_dir / "kg.ttl"

        async def fetch() -> Path:
            body, _meta = await self.graph.query_bytes(ONTOLOGY_QUERY, result_format="json", graph_format="turtle",
                                                       max_rows=0)
            path = self._figures_dir.parent / "ontology.ttl"
            await asyncio.to_thread(path.write_bytes, body)
            return path

        return await self.once("ontology-file", fetch)  # type: ignore[no-any-return]

    @property
    def graph(self) -> Service:
        """The service answering from the graph (the state is started before any request is served)."""
        if self.service is None:
            raise RuntimeError("the server state has not been started")
        return self.service

    @property
    def http_last_modified(self) -> str:
        return format_datetime(self.last_modified, usegmt=True)

    async def once(self, key: str, compute: Callable[[], Awaitable[Any]]) -> Any:
        """``compute()``'s value, computed once per data version: concurrent callers wait for the first, and a
        failure is not remembered (the next caller computes again)."""
        if key in self.cache:
            return self.cache[key]
        async with self.locks.setdefault(key, asyncio.Lock()):
            if key not in self.cache:
                self.cache[key] = await compute()
        return self.cache[key]
