"""The service layer: the only module that talks to the query workers.

Routers call typed methods (:meth:`Service.query`, :meth:`Service.describe`, :meth:`Service.dump_file`,
:meth:`Service.stats` ...) and get typed results; each method builds its task of :mod:`kg.workers.protocol`,
so no router names a worker operation and a reader can follow a request from the router to the engine by names
alone. Limits live here too: a request's query is bounded by ``KG_QUERY_TIMEOUT_S``; work done once per data
version (dumps, counts, the figures view) gets at least an hour.

Lanes (:class:`kg.workers.pool.Lane`): requests start in the light lane (``KG_LIGHT_WORKERS``) with a budget of
``KG_LIGHT_BUDGET_S`` to compute; one that needs longer is moved to the heavy lane (``KG_WORKERS``) and its
query's shape (the text with names and constants blanked) is remembered, so the next query of that shape goes
to the heavy lane at once; so is the shape of a query whose runs took on average more than a share of the budget
(:data:`QUERY_SLOW_SHARE`; half of it for an entity page, :data:`SLOW_SHARE`), which held a light worker long
enough to queue the light requests behind it. A light
worker's streamed answer is read at once into memory (up to
:data:`LIGHT_ANSWER_BYTES`), so the worker is free again whatever the client's reading speed; a longer answer is
streamed from the worker and its shape remembered as heavy: large answers belong to the heavy lane, where a slow
reader holds a heavy worker, not a light one. A request waiting for a light worker waits there (within its
deadline), never in the heavy lane. Heavy queries filling the heavy lane thus never make an entity page, an ASK
or a selective lookup wait; the cost of a new heavy shape is at most the budget of one light worker (or, for a
large answer read slowly, its deadline).

Trials: a query of a shape not yet seen to answer light is on trial, and at most ``KG_LIGHT_WORKERS - 1`` trials
run at once, so one light worker always serves the shapes known to be light: a burst of new heavy shapes (a
server's first minute under load) can otherwise hold every light worker for up to the budget each. (It was added
for the first run of ``bench/bench_load.py``, light p99 246 ms against 58-77 ms once the shapes were known, and
did not move that run with the default settings: the wait is not only this one.) Entity pages and descriptions
are never on trial: their key is the entity, new for each page, and their cost is bounded by what it holds.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
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
    Task,
    one_chunk,
)
from kg.workers.scheduling import BudgetExceeded, Lane
from kg.workers.threaded import ThreadPool

log = logging.getLogger("kg.service")
T = TypeVar("T")

#: Seconds allowed to work done once per data version, whatever KG_QUERY_TIMEOUT_S says.
ONCE_PER_VERSION_S = 3600.0
#: An entity page or description whose light run took more than this share of ``KG_LIGHT_BUDGET_S`` goes to the
#: heavy lane from then on: it answered, but it held one of the few light workers long enough to make the light
#: requests behind it wait, while those take a few milliseconds.
SLOW_SHARE = 0.5
#: The same for a query's shape, weighed by the running mean of its runs (:meth:`Service._light_run`): at half
#: the budget, example queries of 60-150 ms stayed light and kept entity pages and ASKs waiting behind them up to
#: 150 ms under ``bench/bench_load.py``; a shape stays light up to about 45 ms (at the default budget). The mean
#: keeps one run slowed by a busy machine from sending a shape of a few milliseconds to the heavy lane for good.
QUERY_SLOW_SHARE = 0.15
#: How many heavy, and how many light, shapes are remembered (least recently seen forgotten first).
SHAPES_KEPT = 1000
#: A light worker's answer up to this size is read whole at once, freeing the worker before the client reads it.
LIGHT_ANSWER_BYTES = 4 * 1024 * 1024
#: What :meth:`Service._light_run` returns for a task it moved out of the light lane.
_MOVED = object()
# What varies between queries of one shape: strings, IRIs, prefixed names, variables, numbers; and whitespace.
_CONSTANTS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|<[^<>\s]*>|[?$]\w+|\b\w*:\w*|\b\d[\d.eE+-]*')
_SPACE = re.compile(r"\s+")


def shape(sparql: str) -> str:
    """The query with its constants and names blanked: queries that differ only in those cost about the same."""
    return _SPACE.sub(" ", _CONSTANTS.sub("_", sparql)).strip()


async def _chain(first: list[bytes], answer: Answer) -> AsyncIterator[bytes]:
    """The chunks already read, then the rest of ``answer``'s."""
    for chunk in first:
        yield chunk
    async for chunk in answer.chunks:
        yield chunk


def _touch(shapes: OrderedDict[str, float], key: str, weight: float = 0.0) -> None:
    """Put ``key`` last in ``shapes`` (most recently seen) with ``weight``, forgetting the oldest past
    :data:`SHAPES_KEPT`."""
    shapes[key] = weight
    shapes.move_to_end(key)
    while len(shapes) > SHAPES_KEPT:
        shapes.popitem(last=False)


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
        pool = ThreadPool if settings.worker_mode == "threads" and settings.workers else QueryPool
        self._pool: QueryPool | ThreadPool = pool(settings, data, store_path=store_path, snapshot=snapshot)
        self._heavy: OrderedDict[str, float] = OrderedDict()
        self._light: OrderedDict[str, float] = OrderedDict()  # shape: the running mean of its light runs (s)
        # One light worker is kept from trials (see the module's docstring); with a single one, trials take it.
        self._trials = asyncio.Semaphore(max(1, settings.light_workers - 1))

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

    @property
    def recycled(self) -> int:
        """How many workers have been replaced for the memory they kept after their tasks
        (``KG_WORKER_RECYCLE_MB``)."""
        return self._pool.recycled

    @property
    def abandoned(self) -> int:
        """How many queries went on computing after their deadline (``KG_WORKER_MODE=threads`` only: a worker
        process is killed instead)."""
        return self._pool.abandoned

    @property
    def pool(self) -> QueryPool | ThreadPool:
        """The worker pool (for status, benchmarks and tests)."""
        return self._pool

    def _long(self) -> float:
        return max(ONCE_PER_VERSION_S, self.settings.query_timeout_s)

    async def _request(self, task: Task, key: str, *, trial: bool = True) -> object:
        """Run a request's task: in the light lane within its budget unless ``key`` (its shape) is known to be
        heavy, else (or then) in the heavy lane until the request's deadline, which counts from the call.
        ``trial``: a ``key`` not yet known to be light first waits for one of the trial places (entity pages pass
        False); the place is given back before the heavy lane."""
        started = time.monotonic()
        if self._pool.light_size and key not in self._heavy:
            share = QUERY_SLOW_SHARE if trial else SLOW_SHARE
            if not trial or key in self._light:
                value = await self._light_run(task, key, share)
            else:
                async with self._trials:
                    # a query of the same shape may have been weighed while this one waited
                    value = _MOVED if key in self._heavy else await self._light_run(task, key, share)
            if value is not _MOVED:
                return value
            remaining = self.settings.query_timeout_s - (time.monotonic() - started)
            return await self._pool.run(task, timeout=max(remaining, 0.001))
        if key in self._heavy:
            self._heavy.move_to_end(key)
        return await self._pool.run(task)

    async def _light_run(self, task: Task, key: str, share: float) -> object:
        """Run ``task`` in the light lane within the budget, weighing ``key`` by how long it computed: its value,
        or :data:`_MOVED` when it needed longer (``key`` is then remembered as heavy). A key whose mean time
        (this run and the mean before it, halved) is over ``share`` of the budget is remembered as heavy too."""
        budget = self.settings.light_budget_s

        def weigh(seconds: float) -> None:
            weight = (self._light.get(key, seconds) + seconds) / 2
            if weight > budget * share:
                self._remember(key)
            else:
                _touch(self._light, key, weight)

        try:
            value = await self._pool.run(task, lane=Lane.LIGHT, budget=budget, computed=weigh)
        except BudgetExceeded:
            self._remember(key)
            return _MOVED
        if isinstance(value, Answer) and value.body is None:
            return await self._drain(value, key)
        return value

    async def _drain(self, answer: Answer, key: str) -> Answer:
        """A light worker's streamed answer, read whole when it is at most :data:`LIGHT_ANSWER_BYTES` (the worker
        is free then); else its shape is remembered as heavy and the rest streams from the worker."""
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in answer.chunks:
                chunks.append(chunk)
                size += len(chunk)
                if size > LIGHT_ANSWER_BYTES:
                    self._remember(key)
                    return Answer(meta=answer.meta, chunks=_chain(chunks, answer), release=answer.release,
                                  deadline=answer.deadline)
        except BaseException:  # failed or cancelled (client gone): the worker is replaced, not left writing
            answer.close()
            raise
        body = b"".join(chunks)
        return Answer(meta=answer.meta, chunks=one_chunk(body), body=body)

    def _remember(self, key: str) -> None:
        """From now on, ``key`` goes to the heavy lane at once."""
        self._light.pop(key, None)
        _touch(self._heavy, key)

    async def query(self, sparql: str, *, result_format: str, graph_format: str,
                    default_graph_uris: Sequence[str] = (), named_graph_uris: Sequence[str] = (),
                    base_iri: str | None = None, max_rows: int | None = None,
                    max_bytes: int | None = None) -> Answer:
        """Run a query; the answer is rendered in ``result_format`` (SELECT/ASK) or ``graph_format`` (graphs) and
        must be read or closed. ``max_rows`` None is ``KG_MAX_ROWS``, 0 no cap; ``max_bytes`` (pages) cuts long
        literals and stops the rows past that many characters (``truncated``, and ``cut`` when a term was cut).
        Raises the typed query errors (syntax 400, refused 403, timeout or memory 503 ...)."""
        task = QueryTask(sparql=sparql, result_format=result_format, graph_format=graph_format,
                         default_graph_uris=tuple(default_graph_uris), named_graph_uris=tuple(named_graph_uris),
                         base_iri=base_iri, max_rows=max_rows, max_bytes=max_bytes)
        return _expect(await self._request(task, shape(sparql)), Answer)

    async def query_bytes(self, sparql: str, *, result_format: str, graph_format: str,
                          max_rows: int | None = None, max_bytes: int | None = None) -> tuple[bytes, dict[str, Any]]:
        """:meth:`query`, read whole (for pages): the body and the answer's metadata (form, format, truncated)."""
        answer = await self.query(sparql, result_format=result_format, graph_format=graph_format, max_rows=max_rows,
                                  max_bytes=max_bytes)
        return await answer.read(), answer.meta

    async def describe(self, iri: str, *, graph_format: str) -> bytes | None:
        """The Concise Bounded Description of ``iri`` in ``graph_format``; None when nothing describes it."""
        value = await self._request(DescribeTask(iri=iri, graph_format=graph_format), "describe " + iri,
                                   trial=False)
        return None if value is None else await _expect(value, Answer).read()

    async def entity(self, iri: str, *, page: int = 1) -> EntityView | None:
        """Page ``page`` of what the entity page shows; None when nothing describes ``iri``."""
        value = await self._request(EntityTask(iri=iri, page=page), "entity " + iri, trial=False)
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
