"""Query lanes of threads over the server's one loaded graph (``KG_WORKER_MODE=threads``).

Why: pyoxigraph's in-memory store writes to the pages it reads (reference counts and locks in its nodes), so a
forked worker that scans it copies most of it; with processes, memory at 100,000 claims peaks at about the
store once per scanning worker plus the fork server's copy. Threads read the one store without copying it, so
the peak is the store plus what the running queries hold. The price, which is why processes stay the default:
pyoxigraph 0.5 cannot stop a query (its Python API has no timeout or cancellation), so a thread cannot be
stopped at ``KG_QUERY_TIMEOUT_S`` either, and ``KG_WORKER_MEMORY_MB`` cannot bound one query alone: the
server's whole address space is bounded instead (the loaded graph plus ``KG_WORKER_MEMORY_MB`` for each of
``KG_WORKERS + KG_LIGHT_WORKERS``), and a query past it aborts the server (measured: the load bench's ordered
product of every triple with itself grew an unbounded server to 24 GB before the kernel killed it).

What is kept: the client gets its 503 at the deadline (the answer is never waited for longer); a streamed
answer stops at its next message; a query that goes on computing is *abandoned*: its thread drops to the lowest
priority (niceness 19) and keeps a place of the heavy lane until it ends, so at most ``KG_WORKERS`` heavy
computations run at once, abandoned ones included. Light requests keep their own places (``KG_LIGHT_WORKERS``):
one that computes past ``KG_LIGHT_BUDGET_S`` is not run again (nothing could stop the first run) but moves, as it
runs, to the heavy lane (its thread to the heavy priority, its place to the heavy lane's count, which it may
exceed by the light lane's size), so a runaway never shrinks the light lane. Same interface as
:class:`kg.workers.pool.QueryPool`; only :mod:`kg.service` chooses between them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from kg import timings
from kg.errors import KgError, QueryTimeout
from kg.settings import Settings
from kg.workers import memory, operations
from kg.workers.protocol import Answer, Kind, Task, one_chunk, raise_error
from kg.workers.scheduling import LOW_NICENESS, Lane

#: The niceness of an abandoned query's thread: it only gets what nothing else wants.
ABANDONED_NICENESS = 19
#: Messages a thread may have sent ahead of the reader (64 KiB each): the stream's backpressure.
AHEAD = 4
#: How often a thread blocked on a full stream checks whether it was abandoned (seconds).
POLL_S = 0.2


class Abandoned(Exception):
    """Raised in a query's thread when it tries to send after its caller gave up on it; never reaches a client."""


class Lanes:
    """How many tasks run in each lane; used in the event loop only (threads report through it)."""

    def __init__(self, light: int, heavy: int) -> None:
        self.limit = {Lane.LIGHT: light, Lane.HEAVY: heavy}
        self.busy = {Lane.LIGHT: 0, Lane.HEAVY: 0}
        self._waiters: list[asyncio.Future[None]] = []

    async def take(self, lane: Lane, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds, else TimeoutError) for a free place in ``lane`` and take it."""
        deadline = time.monotonic() + timeout
        while self.busy[lane] >= self.limit[lane]:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await asyncio.wait_for(waiter, max(0.0, deadline - time.monotonic()))
        self.busy[lane] += 1

    def move(self, running: Running, target: Lane) -> None:
        """Count a running task in ``target`` from now on (it may exceed ``target``'s limit)."""
        if running.lane != target and not running.ended:
            self.busy[running.lane] -= 1
            self.busy[target] += 1
            running.lane = target
            self._wake()

    def finish(self, running: Running) -> None:
        """A task's thread has ended: its place is free."""
        running.ended = True
        self.busy[running.lane] -= 1
        self._wake()

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()


class Running:
    """One task in its thread: where it counts, what it sent, and whether its caller gave up on it."""

    def __init__(self, loop: asyncio.AbstractEventLoop, lane: Lane, niceness: int) -> None:
        self.loop, self.lane = loop, lane
        self.ended = False  # its thread has ended (set in the event loop)
        self.messages: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue(AHEAD)
        self.abandoned = threading.Event()
        self._tid: int | None = None
        self._niceness = niceness
        self._lock = threading.Lock()

    def send(self, message: tuple[Any, ...]) -> None:
        """Hand a message to the reader, blocking while it is :data:`AHEAD` messages behind (in the thread);
        :class:`Abandoned` once the caller gave up, or the event loop is gone."""
        try:
            future = asyncio.run_coroutine_threadsafe(self.messages.put(message), self.loop)
        except RuntimeError:  # the loop has closed
            raise Abandoned from None
        while True:
            if self.abandoned.is_set():
                future.cancel()
                raise Abandoned
            try:
                future.result(POLL_S)
                return
            except concurrent.futures.TimeoutError:
                continue

    def started(self) -> None:
        """Called first in the thread: apply the niceness asked for so far."""
        with self._lock:
            self._tid = threading.get_native_id()
            self._apply()

    def renice(self, niceness: int) -> None:
        """Lower the thread's priority to ``niceness`` (Linux schedules threads one by one; an unprivileged
        process may only lower a priority, so it never goes back up)."""
        with self._lock:
            if niceness > self._niceness:
                self._niceness = niceness
                self._apply()

    def _apply(self) -> None:
        if self._tid is not None and self._niceness:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, self._tid, self._niceness)


class ThreadPool:
    """Tasks in threads of this process, in two lanes, over one graph loaded in this process."""

    def __init__(self, settings: Settings, paths: Sequence[Path | str] | None = None, *,
                 store_path: Path | None = None, snapshot: Any = None) -> None:
        self.settings = settings
        self.paths = [str(p) for p in paths] if paths is not None else None
        self.store_path = str(store_path) if store_path is not None else None
        self.snapshot = snapshot
        self.size = max(1, settings.workers)
        self.light_size = settings.light_workers
        self.restarts = 0  # nothing is ever replaced; kept for the status page
        self.recycled = 0
        self.abandoned = 0  # tasks whose callers gave up while they computed
        self.worker_pids: list[int] = []
        self.forkserver_pid: int | None = None
        self.inline = False
        self._state: Any = None
        self._lanes: Lanes | None = None
        self._threads: set[threading.Thread] = set()

    def lane_pids(self, _lane: Lane) -> list[int]:
        """No worker processes: every lane is threads of this one."""
        return []

    @property
    def running(self) -> int:
        """Threads still computing, abandoned ones included."""
        return len(self.thread_ids)

    @property
    def thread_ids(self) -> list[int]:
        """The operating system's ids of the threads still computing (for status pages and tests)."""
        return sorted(t.native_id for t in self._threads if t.is_alive() and t.native_id is not None)

    async def start(self) -> None:
        """Load the graph into this process (in a thread, so the event loop stays free)."""
        def load() -> Any:
            state = operations.open_state(self.settings, self.paths, self.store_path, self.snapshot)
            memory.release_free_memory()  # what loading freed, back to the system (as the fork server does)
            # No query can be bounded alone, so the process is: past the bound the engine aborts the server,
            # which a supervisor restarts, instead of the machine's out-of-memory killer choosing a victim.
            memory.bound_memory((self.size + self.light_size) * self.settings.worker_memory_mb)
            return state

        self._state = await asyncio.to_thread(load)
        self._lanes = Lanes(self.light_size, self.size)

    async def close(self) -> None:
        """Abandon whatever still runs: its threads are daemons and end with the process."""
        self._state = None

    def _timeout_error(self) -> QueryTimeout:
        return QueryTimeout(f"query exceeded KG_QUERY_TIMEOUT_S={self.settings.query_timeout_s:g} seconds",
                            setting="KG_QUERY_TIMEOUT_S")

    def _thread(self, task: Task, running: Running, lanes: Lanes) -> threading.Thread:
        state = self._state

        def work() -> None:
            running.started()
            try:
                operations.run(state, task, running.send)
            except Abandoned:
                pass
            finally:
                with contextlib.suppress(RuntimeError):  # the loop has closed: nobody counts any more
                    running.loop.call_soon_threadsafe(lanes.finish, running)

        thread = threading.Thread(target=work, name=f"kg-{running.lane}-query", daemon=True)
        self._threads = {t for t in self._threads if t.is_alive()} | {thread}
        return thread

    def _abandon(self, running: Running, lanes: Lanes) -> None:
        """Give up on a task still computing: it counts in the heavy lane until its thread ends, at the lowest
        priority, and stops at its next message."""
        if not running.abandoned.is_set() and not running.ended:
            running.abandoned.set()
            running.renice(ABANDONED_NICENESS)
            lanes.move(running, Lane.HEAVY)
            self.abandoned += 1

    def _heavy_niceness(self) -> int:
        return {"normal": 0, "low": LOW_NICENESS}.get(self.settings.heavy_priority, ABANDONED_NICENESS)

    async def run(self, task: Task, *, timeout: float | None = None, lane: Lane = Lane.HEAVY,
                  budget: float | None = None, computed: Callable[[float], None] | None = None) -> object:
        """Run a task in ``lane``; returns its value, or an :class:`Answer` whose chunks must be consumed (or
        closed). As :meth:`kg.workers.pool.QueryPool.run`, but a task past ``budget`` moves to the heavy lane as
        it runs instead of raising :class:`kg.workers.pool.BudgetExceeded`, and one past the deadline is
        abandoned (see the module's docstring)."""
        if self._lanes is None or self._state is None:
            raise KgError("the query threads are not running")
        lanes = self._lanes
        limit = self.settings.query_timeout_s if timeout is None else timeout
        asked = time.monotonic()
        deadline = asked + limit
        if lane == Lane.LIGHT and not self.light_size:
            lane = Lane.HEAVY
        try:
            await lanes.take(lane, limit)
        except TimeoutError:
            timings.add("wait", limit)
            raise self._timeout_error() from None
        busy_since = time.monotonic()
        timings.add("wait", busy_since - asked)
        running = Running(asyncio.get_running_loop(), lane, self._heavy_niceness() if lane == Lane.HEAVY else 0)
        try:
            self._thread(task, running, lanes).start()
        except RuntimeError:  # the system refused a new thread
            lanes.finish(running)
            raise KgError("could not start a thread for the query; try again later") from None
        try:
            message = await self._first(running, lanes, deadline, busy_since + budget if budget else None)
        except BaseException:  # the deadline, or the caller cancelled (client gone, shutdown)
            timings.add("compute", time.monotonic() - busy_since)
            self._abandon(running, lanes)
            raise
        took = time.monotonic() - busy_since
        timings.add("compute", took)
        if computed is not None:
            computed(took)
        kind = message[0]
        if kind == Kind.VALUE:
            return message[1]
        if kind == Kind.WHOLE:
            return Answer(meta=message[1], chunks=one_chunk(message[2]), body=message[2])
        if kind == Kind.ERROR:
            raise raise_error(message)
        return self._answer(running, lanes, message[1], deadline)

    async def _first(self, running: Running, lanes: Lanes, deadline: float, moves_at: float | None) -> Any:
        """The task's first message by the deadline (else :class:`QueryTimeout`); at ``moves_at`` a light task
        still computing moves to the heavy lane."""
        if moves_at is not None and moves_at < deadline:
            try:
                return await asyncio.wait_for(running.messages.get(), max(0.0, moves_at - time.monotonic()))
            except TimeoutError:
                lanes.move(running, Lane.HEAVY)
                running.renice(self._heavy_niceness())
        try:
            return await asyncio.wait_for(running.messages.get(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise self._timeout_error() from None

    def _answer(self, running: Running, lanes: Lanes, meta: dict[str, Any], deadline: float) -> Answer:
        """A streamed answer: its chunks until ``end``, cut at the deadline whatever the reader does."""
        done = False

        def release(finished: bool) -> None:
            nonlocal done
            if not done:
                done = True
                watchdog.cancel()
                if not finished:
                    self._abandon(running, lanes)

        loop = asyncio.get_running_loop()
        watchdog = loop.call_at(loop.time() + max(0.0, deadline - time.monotonic()), release, False)

        async def chunks() -> AsyncIterator[bytes]:
            try:
                while True:
                    if running.abandoned.is_set():
                        raise self._timeout_error()
                    try:
                        message = await asyncio.wait_for(running.messages.get(),
                                                         max(0.0, deadline - time.monotonic()))
                    except TimeoutError:
                        raise self._timeout_error() from None
                    if message[0] == Kind.CHUNK:
                        yield message[1]
                    elif message[0] == Kind.END:
                        if message[1]:
                            meta.update(message[1])
                        release(True)
                        return
                    else:  # an error after the head
                        release(True)
                        raise raise_error(message)
            finally:
                release(False)  # no-op when already released

        return Answer(meta=meta, chunks=chunks(), release=release, deadline=deadline)
