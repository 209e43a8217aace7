"""What the server keeps between requests: the worker pool, the data version and views prepared per version.

The graph is read-only between data versions, so anything derived from it alone (the figures table, dumps,
the VoID counts, the ontology documentation) is computed once per version and served from memory or disk.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from kg.figures import COLUMNS
from kg.graph import SourceFile, source_files, version_of
from kg.pool import QueryPool, Task
from kg.render import records
from kg.settings import Settings


@dataclass
class PreparedFigures:
    """The headline view, prepared once per data version: records plus their CSV and JSON bytes."""

    rows: list[dict[str, str]]
    csv: bytes
    json: bytes


@dataclass
class ServerState:
    settings: Settings
    data: Sequence[Path] | None = None
    sources: list[SourceFile] = field(default_factory=list)
    version: str = ""
    last_modified: datetime = field(default_factory=lambda: datetime.now(UTC))
    pool: QueryPool | None = None
    figures: PreparedFigures | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    dump_dir: Path | None = None
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    async def start(self) -> None:
        """Hash the sources (the version), start the workers, prepare the figures view."""
        self.sources = source_files(self.data, self.settings)
        self.version = version_of(self.sources)
        newest = max((s.path.stat().st_mtime for s in self.sources), default=0.0)
        self.last_modified = datetime.fromtimestamp(int(newest), UTC)
        if self.settings.store_dir is not None:
            self.dump_dir = Path(self.settings.store_dir) / "dumps" / self.version[:16]
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="kg-dumps-")
            self.dump_dir = Path(self._tmp.name)
        self.dump_dir.mkdir(parents=True, exist_ok=True)
        self.pool = QueryPool(self.settings, self.data)
        await self.pool.start()
        rows = await self.pool.call(Task("figures"), timeout=max(600.0, self.settings.query_timeout_s))
        self.figures = PreparedFigures(
            rows=rows,
            csv=records(rows, COLUMNS, "csv").encode("utf-8"),
            json=json.dumps([{c: r[c] for c in COLUMNS} for r in rows], ensure_ascii=False).encode("utf-8"),
        )

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def lock(self, name: str) -> asyncio.Lock:
        return self.locks.setdefault(name, asyncio.Lock())

    @property
    def http_last_modified(self) -> str:
        return format_datetime(self.last_modified, usegmt=True)

    async def cached(self, key: str, task: Task, *, timeout: float | None = None) -> Any:
        """A task's value, computed once per data version (concurrent callers wait for the first)."""
        if key in self.cache:
            return self.cache[key]
        async with self.lock(key):
            if key not in self.cache:
                assert self.pool is not None
                self.cache[key] = await self.pool.call(task, timeout=timeout)
        return self.cache[key]
