"""The service layer: the only module that talks to the query workers.

Routers call typed methods (:meth:`Service.query`, :meth:`Service.describe`, :meth:`Service.dump_file`,
:meth:`Service.stats` ...) and get typed results; each method builds its task of :mod:`kg.workers.protocol`,
so no router names a worker operation and a reader can follow a request from the router to the engine by names
alone. Limits live here too: a request's query is bounded by ``KG_QUERY_TIMEOUT_S``; work done once per data
version (dumps, counts, the figures view) gets at least an hour.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from kg.entities import EntityView
from kg.errors import InternalError
from kg.graph import SourceFile
from kg.settings import Settings
from kg.workers.operations import DumpInfo, Stats
from kg.workers.pool import QueryPool
from kg.workers.protocol import (
    Answer,
    CompareTask,
    DescribeTask,
    DumpTask,
    EntityTask,
    PrepareFiguresTask,
    QueryTask,
    StatsTask,
)

log = logging.getLogger("kg.service")
T = TypeVar("T")

#: Seconds allowed to work done once per data version, whatever KG_QUERY_TIMEOUT_S says.
ONCE_PER_VERSION_S = 3600.0


def _expect(value: object, kind: type[T]) -> T:
    """``value`` when it is a ``kind``; a worker that answers anything else has a bug (logged, 500)."""
    if not isinstance(value, kind):
        log.error("a query worker answered %s where %s was expected", type(value).__name__, kind.__name__)
        raise InternalError()
    return value


class Service:
    """The graph as the web shell sees it: typed calls, each answered by a query worker within a deadline."""

    def __init__(self, settings: Settings, data: Sequence[Path | str] | None = None, *,
                 store_path: Path | None = None,
                 snapshot: tuple[list[SourceFile], list[tuple[str, str]]] | None = None) -> None:
        self.settings = settings
        self._pool = QueryPool(settings, data, store_path=store_path, snapshot=snapshot)

    async def start(self) -> None:
        """Start the workers and wait until each has the graph; raises the first load error."""
        await self._pool.start()

    async def close(self) -> None:
        """Stop every worker (and the fork server)."""
        await self._pool.close()

    @property
    def workers(self) -> int:
        """The number of worker processes (0: tasks run in threads of this process)."""
        return self._pool.size

    @property
    def restarts(self) -> int:
        """How many workers have been replaced (killed at the timeout, or died)."""
        return self._pool.restarts

    def _long(self) -> float:
        return max(ONCE_PER_VERSION_S, self.settings.query_timeout_s)

    async def query(self, sparql: str, *, result_format: str, graph_format: str,
                    default_graph_uris: Sequence[str] = (), named_graph_uris: Sequence[str] = (),
                    base_iri: str | None = None, max_rows: int | None = None) -> Answer:
        """Run a query; the answer is rendered in ``result_format`` (SELECT/ASK) or ``graph_format`` (graphs) and
        must be read or closed. ``max_rows`` None is ``KG_MAX_ROWS``, 0 no cap. Raises the typed query errors
        (syntax 400, refused 403, timeout 503 ...)."""
        task = QueryTask(sparql=sparql, result_format=result_format, graph_format=graph_format,
                         default_graph_uris=tuple(default_graph_uris), named_graph_uris=tuple(named_graph_uris),
                         base_iri=base_iri, max_rows=max_rows)
        return _expect(await self._pool.run(task), Answer)

    async def query_bytes(self, sparql: str, *, result_format: str, graph_format: str,
                          max_rows: int | None = None) -> tuple[bytes, dict[str, Any]]:
        """:meth:`query`, read whole (for pages): the body and the answer's metadata (form, format, truncated)."""
        answer = await self.query(sparql, result_format=result_format, graph_format=graph_format, max_rows=max_rows)
        return await answer.read(), answer.meta

    async def describe(self, iri: str, *, graph_format: str) -> bytes | None:
        """The Concise Bounded Description of ``iri`` in ``graph_format``; None when nothing describes it."""
        value = await self._pool.run(DescribeTask(iri=iri, graph_format=graph_format))
        return None if value is None else await _expect(value, Answer).read()

    async def entity(self, iri: str) -> EntityView | None:
        """What the entity page shows; None when nothing describes ``iri``."""
        value = await self._pool.run(EntityTask(iri=iri))
        return None if value is None else _expect(value, EntityView)

    async def dump_file(self, path: Path, *, format: str, inferred: bool = True) -> DumpInfo:
        """Write the whole graph to ``path`` in ``format`` and a gzip copy beside it (``path.gz``); without the
        inferred graph unless ``inferred``."""
        task = DumpTask(path=str(path), format=format, inferred=inferred)
        return _expect(await self._pool.run(task, timeout=self._long()), DumpInfo)

    async def stats(self) -> Stats:
        """The counts of the VoID description (a scan of the whole graph: once per data version)."""
        return _expect(await self._pool.run(StatsTask(), timeout=self._long()), Stats)

    async def prepare_figures(self, directory: Path) -> int:
        """Write the prepared figures view into ``directory`` (without the request timeout: it runs once per
        data version); returns its row count."""
        return _expect(await self._pool.run(PrepareFiguresTask(directory=str(directory)), timeout=self._long()),
                       int)

    async def compare(self, *, max_rows: int) -> tuple[list[dict[str, str]], bool]:
        """The sources side by side (:func:`kg.compare.comparison`), at most ``max_rows`` records, and whether
        there were more; bounded by the request timeout."""
        value = _expect(await self._pool.run(CompareTask(max_rows=max_rows)), tuple)
        return value[0], value[1]
