"""The query pool: every query of the server runs in a worker process that can be stopped at the timeout.

Why processes: pyoxigraph releases the GIL while it evaluates, so a thread would keep the event loop free, but
a thread cannot be stopped; a query past ``KG_QUERY_TIMEOUT_S`` would keep burning a core. A worker process
is killed at the deadline and replaced, so one slow query never delays others for longer than the timeout.

In memory, workers are forked from one loaded copy of the graph (:mod:`kg.workers.forkserver`); with a
persisted store each worker is spawned and opens it read-only. Workers answer the tasks of
:mod:`kg.workers.protocol` over a pipe, so large results reach the client without being held whole.
``workers=0`` runs tasks in threads of the calling process instead (no hard stop; for tests and
``kg serve --get``). Only :mod:`kg.service` uses the pool.

Bounds: the deadline is kept by a timer, not by the reader, so a client that stops reading a streamed answer
loses its worker at the deadline all the same; each worker's address space is bounded (``KG_WORKER_MEMORY_MB``,
``RLIMIT_AS``), and a worker that died of it is reported as :class:`kg.errors.WorkerMemoryExceeded`; a worker that
kept more than ``KG_WORKER_RECYCLE_MB`` of private memory after its tasks kept it busy a while (one long task, or
many short ones) is replaced by a fresh fork. Workers
are in two lanes (:class:`Lane`): a few light ones beside ``KG_WORKERS`` heavy ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from kg import timings
from kg.errors import KgError, WorkerMemoryExceeded
from kg.settings import Settings
from kg.workers import memory, operations
from kg.workers.forkserver import ForkedWorker, ForkServer
from kg.workers.protocol import Answer, Kind, Task, raise_error, recv, settled
from kg.workers.scheduling import BudgetExceeded, Lane, lower_priority, timeout_error
from kg.workers.spawned import SpawnedWorker


class QueryPool:
    """A fixed number of worker processes in two lanes (:class:`Lane`), answering tasks with a deadline."""

    def __init__(self, settings: Settings, paths: Sequence[Path | str] | None = None, *, size: int | None = None,
                 store_path: Path | None = None, snapshot: Any = None) -> None:
        self.settings = settings
        self.paths = [str(p) for p in paths] if paths is not None else None
        self.store_path = str(store_path) if store_path is not None else None
        self.snapshot = snapshot  # (sources, [(copy, graph)]) from kg.graph.snapshot, or None
        self.size = settings.workers if size is None else size
        self.light_size = settings.light_workers if self.size > 0 else 0
        self._ctx = multiprocessing.get_context("spawn")
        # In memory, workers are forked from one loaded copy of the graph (see kg.workers.forkserver); a persisted
        # store is opened read-only by each spawned worker, sharing the operating system's page cache.
        self._forkserver = (ForkServer(self._ctx, settings, self.paths, snapshot)
                            if self.store_path is None and self.size > 0 else None)
        self._idle: dict[Lane, asyncio.Queue[SpawnedWorker | ForkedWorker]] = {lane: asyncio.Queue() for lane in Lane}
        self._workers: dict[SpawnedWorker | ForkedWorker, Lane] = {}
        self._respawns: set[asyncio.Task[None]] = set()
        self._inline_state: Any = None
        self._inline_lock = threading.Lock()
        self.restarts = 0
        self.recycled = 0  # workers replaced for the memory they kept after a task (not counted in restarts)
        self.abandoned = 0  # never: a task past its deadline loses its worker (kept beside the threads' count)
        # Seconds each worker has been busy since it was last measured (see _give_back).
        self._unmeasured: dict[SpawnedWorker | ForkedWorker, float] = {}
        self._closed = False

    @property
    def worker_pids(self) -> list[int]:
        """The process ids of the running workers of both lanes (for status pages and tests)."""
        return sorted(w.pid for w in self._workers)

    def lane_pids(self, lane: Lane) -> list[int]:
        """The process ids of one lane's running workers."""
        return sorted(w.pid for w, its in self._workers.items() if its == lane)

    @property
    def forkserver_pid(self) -> int | None:
        """The fork server's process id while it runs (in-memory pools only)."""
        fs = self._forkserver
        return fs.process.pid if fs is not None and fs.process is not None else None

    @property
    def inline(self) -> bool:
        return self.size == 0

    async def start(self) -> None:
        """Start every worker and wait until each has loaded the graph; raise the first load error."""
        if self.inline:
            self._inline_state = await asyncio.to_thread(operations.open_state, self.settings, self.paths,
                                                         self.store_path, self.snapshot)
            return
        if self._forkserver is not None:
            await self._forkserver.start()
        await asyncio.gather(*(self._spawn(Lane.HEAVY) for _ in range(self.size)),
                             *(self._spawn(Lane.LIGHT) for _ in range(self.light_size)))

    async def _spawn(self, lane: Lane) -> None:
        worker: SpawnedWorker | ForkedWorker
        if self._forkserver is not None:
            worker = await self._forkserver.new_worker()
        else:
            worker = SpawnedWorker(self._ctx, self.settings, self.paths, self.store_path, self.snapshot)
        self._workers[worker] = lane
        try:
            message = await recv(worker.conn, timeout=3600)
        except (EOFError, OSError):
            worker.kill()
            self._workers.pop(worker, None)
            raise KgError("a query worker stopped before it was ready (see the messages above)") from None
        except BaseException:
            worker.kill()
            self._workers.pop(worker, None)
            raise
        if message[0] != Kind.READY:
            worker.kill()
            self._workers.pop(worker, None)
            raise raise_error(message)
        if self._closed:
            worker.kill()
            self._workers.pop(worker, None)
            return
        if lane == Lane.HEAVY:
            lower_priority(worker.pid, self.settings.heavy_priority)
        await self._idle[lane].put(worker)

    async def _respawn(self, lane: Lane) -> None:
        """Start a replacement worker, retrying with back-off: a failed start (the data no longer parses, say)
        must not shrink the pool for good."""
        delay = 1.0
        while not self._closed:
            try:
                await self._spawn(lane)
                return
            except Exception as err:  # reported and retried; the pool keeps serving with the other workers
                print(f"kg: could not start a query worker ({err}); retrying in {delay:g} s", file=sys.stderr)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    def _replace(self, worker: SpawnedWorker | ForkedWorker, *, recycled: bool = False) -> None:
        """Kill ``worker`` and take it out of its lane at once; reap it and start its replacement in the
        background (see :meth:`_retire`)."""
        lane = self._retire(worker, recycled=recycled)
        if lane is not None:
            self._background(self._reap_then_respawn(worker, lane))

    def _retire(self, worker: SpawnedWorker | ForkedWorker, *, recycled: bool = False) -> Lane | None:
        """Signal ``worker`` to die and take it out of its lane; its lane, or None when it was retired already
        (a stream's release and its failure both ask) or the pool is closing.

        Only the signal is sent here, so the worker stops computing now (its pid is its own until it is reaped,
        and a retired worker is never signalled again). Reaping waits: the fork server reaps the worker (the exit
        of a process that mapped the whole graph takes tens of milliseconds) under a lock it also holds while it
        forks (hundreds of milliseconds for a large graph); done in the event loop, that stalled every request,
        so it is done in a thread."""
        lane = self._workers.pop(worker, None)
        self._unmeasured.pop(worker, None)
        if lane is None:
            return None
        with contextlib.suppress(OSError):
            os.kill(worker.pid, signal.SIGKILL)
        if self._closed:
            self._background(asyncio.to_thread(worker.kill))
            return None
        if recycled:
            self.recycled += 1
        else:
            self.restarts += 1
        return lane

    async def _reap_then_respawn(self, worker: SpawnedWorker | ForkedWorker, lane: Lane) -> None:
        await asyncio.to_thread(worker.kill)
        await self._respawn(lane)

    def _background(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._respawns.add(task)
        task.add_done_callback(self._respawns.discard)

    def _give_back(self, worker: SpawnedWorker | ForkedWorker, busy_since: float) -> None:
        """Return a worker that finished its task to its lane; one whose tasks since it was last measured kept it
        busy long enough to have grown is measured first (in a thread: reading smaps walks its page tables) and
        replaced by a fresh fork when it keeps more than ``KG_WORKER_RECYCLE_MB`` of private memory, so each
        worker costs about the shared graph. Busy time adds up over tasks: reading the in-memory store copies the
        pages it reads into the reader, so many short light tasks grow a light worker as one long task would."""
        lane = self._workers.get(worker)
        if lane is None:
            return
        limit_kib = self.settings.worker_recycle_mb * 1024
        busy = self._unmeasured.get(worker, 0.0) + time.monotonic() - busy_since
        if not limit_kib or busy < memory.RECYCLE_CHECK_AFTER_S:
            self._unmeasured[worker] = busy
            self._idle[lane].put_nowait(worker)
            return
        self._unmeasured[worker] = 0.0

        async def check() -> None:
            if await asyncio.to_thread(memory.private_kib, worker.pid) > limit_kib:
                self._replace(worker, recycled=True)
            elif worker in self._workers:
                self._idle[lane].put_nowait(worker)

        self._background(check())

    async def _failure(self, worker: SpawnedWorker | ForkedWorker, what: str) -> KgError:
        """Replace a worker that stopped during a task, and the error for the client: the memory bound's when
        that is how it died (its wait status, so it is reaped first, in a thread)."""
        lane = self._retire(worker)
        await asyncio.to_thread(worker.kill)
        if lane is not None:
            self._background(self._respawn(lane))
        if self.settings.worker_memory_mb and memory.died_of_memory(worker.status):
            return memory.memory_error(self.settings)
        return KgError(what)

    async def close(self) -> None:
        self._closed = True
        for task in list(self._respawns):
            task.cancel()
        for worker in list(self._workers):
            with contextlib.suppress(Exception):
                worker.conn.send(None)
            worker.kill()
        self._workers.clear()
        if self._forkserver is not None:
            await asyncio.to_thread(self._forkserver.stop)

    async def run(self, task: Task, *, timeout: float | None = None, lane: Lane = Lane.HEAVY,
                  budget: float | None = None, computed: Callable[[float], None] | None = None) -> object:
        """Run a task in ``lane``; returns its value, or an :class:`Answer` whose chunks must be consumed (or
        closed).

        The deadline covers waiting for a free worker, the query and the stream, whatever the reader does: at
        the deadline the worker is killed (and replaced) even while the stream waits for a slow client, and
        :class:`QueryTimeout` is raised, or the stream ends early. ``budget``: seconds a worker may compute until
        its first message (waiting for a free one is bounded by the deadline only: light requests queue behind
        light ones, never behind the heavy lane); past it the worker is replaced and :class:`BudgetExceeded`
        raised. ``computed``: called with the seconds the worker took until its first message (not counting the
        wait for a free worker), when it answered. A lane without workers runs its tasks in the heavy lane."""
        limit = self.settings.query_timeout_s if timeout is None else timeout
        asked = time.monotonic()
        deadline = asked + limit
        if self.inline:
            return await self._run_inline(task, deadline)
        if lane == Lane.LIGHT and not self.light_size:
            lane = Lane.HEAVY
        try:
            worker = await asyncio.wait_for(self._idle[lane].get(), limit)
        except TimeoutError:
            timings.add("wait", limit)
            raise timeout_error(self.settings) from None
        busy_since = time.monotonic()
        timings.add("wait", busy_since - asked)
        first = min(deadline, busy_since + budget) if budget is not None else deadline

        def late() -> KgError | BudgetExceeded:
            return BudgetExceeded() if first < deadline else timeout_error(self.settings)

        try:
            worker.conn.send(task)
            message = await recv(worker.conn, max(0.0, first - time.monotonic()))
        except TimeoutError:
            timings.add("compute", time.monotonic() - busy_since)
            self._replace(worker)
            raise late() from None
        except (EOFError, OSError):
            raise await self._failure(worker, "the query worker stopped unexpectedly; it has been restarted") from None
        except BaseException:  # cancelled (client gone, shutdown): the worker may still be answering
            self._replace(worker)
            raise
        took = time.monotonic() - busy_since
        timings.add("compute", took)
        if computed is not None:
            computed(took)
        if message[0] != Kind.HEAD:
            try:
                value = settled(message)
            except WorkerMemoryExceeded:  # its heap may be left fragmented: start afresh
                self._replace(worker)
                raise
            except KgError:
                self._give_back(worker, busy_since)
                raise
            self._give_back(worker, busy_since)
            return value
        released = False
        expired = False

        def release(finished: bool) -> None:
            nonlocal released
            if released:
                return
            released = True
            watchdog.cancel()
            if finished:
                self._give_back(worker, busy_since)
            else:  # abandoned mid-stream (timeout, client gone): the worker may still be writing
                self._replace(worker)

        def expire() -> None:
            nonlocal expired
            expired = True
            release(False)

        # The stream's consumer may be stuck sending to a client that does not read: the deadline cannot wait
        # for it to ask for the next chunk, so a timer frees the worker.
        loop = asyncio.get_running_loop()
        watchdog = loop.call_at(loop.time() + max(0.0, deadline - time.monotonic()), expire)
        meta = message[1]
        return Answer(meta=meta, chunks=self._stream(worker, deadline, meta, release, lambda: expired),
                      release=release, deadline=deadline)

    async def _stream(self, worker: SpawnedWorker | ForkedWorker, deadline: float, meta: dict[str, Any],
                      release: Callable[[bool], None], expired: Callable[[], bool]) -> AsyncIterator[bytes]:
        """The body chunks; ``meta`` is updated from the ``end`` message. A stream cut short raises, so the
        server aborts the response instead of ending it normally: a client must not take half a CSV for the
        whole."""
        try:
            while True:
                if expired():
                    raise timeout_error(self.settings)
                try:
                    message = await recv(worker.conn, max(0.0, deadline - time.monotonic()))
                except TimeoutError:
                    release(False)
                    raise timeout_error(self.settings) from None
                except (EOFError, OSError):
                    if expired():
                        raise timeout_error(self.settings) from None
                    raise await self._failure(worker, "the query worker stopped in the middle of the answer") from None
                if message[0] == Kind.CHUNK:
                    yield message[1]
                elif message[0] == Kind.END:
                    if message[1]:
                        meta.update(message[1])
                    release(True)
                    return
                else:  # an error after the head (e.g. the deadline checked in the worker)
                    err = raise_error(message)
                    release(not isinstance(err, WorkerMemoryExceeded))
                    raise err
        finally:
            release(False)  # no-op when already released

    async def _run_inline(self, task: Task, deadline: float) -> object:
        messages: list[Any] = []

        def work() -> None:
            with self._inline_lock:
                operations.run(self._inline_state, task, messages.append)

        try:
            await asyncio.wait_for(asyncio.to_thread(work), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise timeout_error(self.settings) from None
        first = messages[0]
        if first[0] != Kind.HEAD:
            return settled(first)

        if messages[-1][0] == Kind.END and messages[-1][1]:
            first[1].update(messages[-1][1])

        async def chunks() -> AsyncIterator[bytes]:
            for message in messages[1:]:
                if message[0] == Kind.CHUNK:
                    yield message[1]

        return Answer(meta=first[1], chunks=chunks())
