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
priority (niceness 19) and keeps its place until it ends, so at most ``KG_WORKERS + KG_LIGHT_WORKERS`` threads
compute at once, abandoned ones included (:class:`Places`). A light request past ``KG_LIGHT_BUDGET_S`` raises
:class:`kg.workers.scheduling.BudgetExceeded` as with processes, so :mod:`kg.service` learns its shape is heavy,
but its thread goes on and the heavy run the service asks for next takes it over instead of starting again
(nothing could stop the first run); it moves to a heavy place as soon as one is free, before any waiting heavy
request, so a runaway leaves the light lane. Same interface as :class:`kg.workers.pool.QueryPool`; only
:mod:`kg.service` chooses between them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from kg import timings
from kg.errors import KgError
from kg.settings import Settings
from kg.workers import memory, operations
from kg.workers.protocol import Answer, Kind, Stopped, Task, raise_error, settled
from kg.workers.scheduling import LOW_NICENESS, BudgetExceeded, Lane, timeout_error

#: The niceness of an abandoned query's thread: it only gets what nothing else wants.
ABANDONED_NICENESS = 19
#: Messages a thread may have sent ahead of the reader (64 KiB each): the stream's backpressure.
AHEAD = 4
#: How often a thread blocked on a full stream checks whether it was abandoned (seconds).
POLL_S = 0.2
#: A place got with less time than this left is given back unused: the query could not answer in time.
MIN_START_S = 0.05
#: How long a task past its light budget waits for the heavy run that takes it over before it is abandoned.
CLAIM_S = 1.0


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
        :class:`Stopped` once the caller gave up, or the event loop is gone."""
        if self.abandoned.is_set() or self.loop.is_closed():
            raise Stopped
        try:
            future = asyncio.run_coroutine_threadsafe(self.messages.put(message), self.loop)
        except RuntimeError:  # the loop closed meanwhile
            raise Stopped from None
        while True:
            if self.abandoned.is_set() or self.loop.is_closed():
                future.cancel()
                raise Stopped
            try:
                future.result(POLL_S)
                return
            except concurrent.futures.TimeoutError:
                continue
            except concurrent.futures.CancelledError:  # the loop shut down with the message pending
                raise Stopped from None

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


class Places:
    """The places of the two lanes; a task computes only while it holds one, so no more threads compute than
    there are places. Waiters are served first come, first served; a light task asked to move to the heavy lane
    takes the next free heavy place before them. Used in the event loop only (threads report through it)."""

    def __init__(self, light: int, heavy: int) -> None:
        self.limit = {Lane.LIGHT: light, Lane.HEAVY: heavy}
        self.busy = {Lane.LIGHT: 0, Lane.HEAVY: 0}
        self._waiters: dict[Lane, deque[asyncio.Future[None]]] = {lane: deque() for lane in Lane}
        self._moving: deque[Running] = deque()

    async def take(self, lane: Lane, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds, else TimeoutError) for a place in ``lane`` and take it."""
        if self.busy[lane] < self.limit[lane] and not self._waiters[lane]:
            self.busy[lane] += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters[lane].append(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)  # resolved by free(): the place is handed over, still busy
        except BaseException:
            if waiter.done() and not waiter.cancelled():  # handed over just as the wait ended: pass it on
                self.free(lane)
            with contextlib.suppress(ValueError):
                self._waiters[lane].remove(waiter)
            raise

    def move(self, running: Running) -> None:
        """Count a light task in the heavy lane: now when a heavy place is free, else at the next one."""
        if running.lane == Lane.HEAVY or running.ended or running in self._moving:
            return
        if self.busy[Lane.HEAVY] < self.limit[Lane.HEAVY]:
            self.busy[Lane.HEAVY] += 1
            running.lane = Lane.HEAVY
            self.free(Lane.LIGHT)
        else:
            self._moving.append(running)

    def finish(self, running: Running) -> None:
        """A task's thread has ended: its place is free."""
        running.ended = True
        with contextlib.suppress(ValueError):
            self._moving.remove(running)
        self.free(running.lane)

    def free(self, lane: Lane) -> None:
        """A place of ``lane`` is free: to a light task moving over (heavy), else the first waiter, else none."""
        if lane == Lane.HEAVY and self._moving:
            running = self._moving.popleft()
            running.lane = Lane.HEAVY
            self.free(Lane.LIGHT)
            return
        while self._waiters[lane]:
            waiter = self._waiters[lane].popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.busy[lane] -= 1


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
        self._places: Places | None = None
        self._threads: set[threading.Thread] = set()
        self._live: set[Running] = set()
        # tasks past their light budget, still computing, until the heavy run of the same task takes them over
        self._unclaimed: dict[int, tuple[Task, Running, asyncio.TimerHandle]] = {}

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
        self._places = Places(self.light_size, self.size)

    async def close(self) -> None:
        """Abandon whatever still runs: each thread stops at its next message (a daemon, it ends with the
        process at the latest)."""
        for running in list(self._live):
            running.abandoned.set()
        for _task, _running, timer in self._unclaimed.values():
            timer.cancel()
        self._unclaimed.clear()
        self._state = None

    def _start(self, task: Task, running: Running, places: Places) -> None:
        """Start the task's thread; it gives its place back when it ends, however it ends."""
        state = self._state

        def ended() -> None:
            self._live.discard(running)
            places.finish(running)

        def work() -> None:
            try:
                running.started()
                operations.run(state, task, running.send)
            except Stopped:
                pass
            finally:
                with contextlib.suppress(BaseException):  # the loop has closed: nobody counts any more
                    running.loop.call_soon_threadsafe(ended)

        thread = threading.Thread(target=work, name=f"kg-{running.lane}-query", daemon=True)
        self._threads = {t for t in self._threads if t.is_alive()} | {thread}
        self._live.add(running)
        try:
            thread.start()
        except RuntimeError:  # the system refused a new thread
            ended()
            raise KgError("could not start a thread for the query; try again later") from None

    def _abandon(self, running: Running, places: Places) -> None:
        """Give up on a task still computing: it keeps its place (a heavy one as soon as one is free) until its
        thread ends, at the lowest priority, and stops at its next message."""
        if not running.abandoned.is_set() and not running.ended:
            running.abandoned.set()
            running.renice(ABANDONED_NICENESS)
            places.move(running)
            self.abandoned += 1

    def _heavy_niceness(self) -> int:
        return {"normal": 0, "low": LOW_NICENESS}.get(self.settings.heavy_priority, ABANDONED_NICENESS)

    def _unclaim(self, key: int) -> None:
        """Nobody took over a task past its light budget in time: abandon it."""
        entry = self._unclaimed.pop(key, None)
        if entry is not None and self._places is not None:
            self._abandon(entry[1], self._places)

    async def run(self, task: Task, *, timeout: float | None = None, lane: Lane = Lane.HEAVY,
                  budget: float | None = None, computed: Callable[[float], None] | None = None) -> object:
        """Run a task in ``lane``; returns its value, or an :class:`Answer` whose chunks must be consumed (or
        closed). As :meth:`kg.workers.pool.QueryPool.run`; the differences: a task past its deadline is abandoned
        (see the module's docstring), and one past ``budget`` goes on computing after
        :class:`BudgetExceeded`, for the next run of the same task object (the heavy one) to take over."""
        if self._places is None or self._state is None:
            raise KgError("the query threads are not running")
        places = self._places
        limit = self.settings.query_timeout_s if timeout is None else timeout
        asked = time.monotonic()
        deadline = asked + limit
        claimed = self._unclaimed.pop(id(task), None)
        if claimed is not None and claimed[0] is task:
            claimed[2].cancel()
            running, busy_since = claimed[1], asked
            timings.add("wait", 0.0)
        else:
            if lane == Lane.LIGHT and not self.light_size:
                lane = Lane.HEAVY
            try:
                await places.take(lane, limit)
            except TimeoutError:
                timings.add("wait", limit)
                raise timeout_error(self.settings) from None
            busy_since = time.monotonic()
            timings.add("wait", busy_since - asked)
            if deadline - busy_since < MIN_START_S:
                places.free(lane)
                raise timeout_error(self.settings)
            running = Running(asyncio.get_running_loop(), lane,
                              self._heavy_niceness() if lane == Lane.HEAVY else 0)
            self._start(task, running, places)
        moves_at = busy_since + budget if budget is not None and claimed is None else None
        try:
            message = await self._first(running, deadline, moves_at)
        except BudgetExceeded:
            timings.add("compute", time.monotonic() - busy_since)
            places.move(running)
            running.renice(self._heavy_niceness())
            timer = asyncio.get_running_loop().call_later(CLAIM_S, self._unclaim, id(task))
            self._unclaimed[id(task)] = (task, running, timer)
            raise
        except BaseException:  # the deadline, or the caller cancelled (client gone, shutdown)
            timings.add("compute", time.monotonic() - busy_since)
            self._abandon(running, places)
            raise
        took = time.monotonic() - busy_since
        timings.add("compute", took)
        if computed is not None:
            computed(took)
        if message[0] != Kind.HEAD:
            return settled(message)
        return self._answer(running, places, message[1], deadline)

    async def _first(self, running: Running, deadline: float, moves_at: float | None) -> Any:
        """The task's first message by the deadline (else :class:`QueryTimeout`), or :class:`BudgetExceeded`
        at ``moves_at``."""
        if moves_at is not None and moves_at < deadline:
            try:
                return await asyncio.wait_for(running.messages.get(), max(0.0, moves_at - time.monotonic()))
            except TimeoutError:
                raise BudgetExceeded() from None
        try:
            return await asyncio.wait_for(running.messages.get(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise timeout_error(self.settings) from None

    def _answer(self, running: Running, places: Places, meta: dict[str, Any], deadline: float) -> Answer:
        """A streamed answer: its chunks until ``end``, cut at the deadline whatever the reader does."""
        done = False

        def release(finished: bool) -> None:
            nonlocal done
            if not done:
                done = True
                watchdog.cancel()
                if not finished:
                    self._abandon(running, places)

        loop = asyncio.get_running_loop()
        watchdog = loop.call_at(loop.time() + max(0.0, deadline - time.monotonic()), release, False)

        async def chunks() -> AsyncIterator[bytes]:
            try:
                while True:
                    if running.abandoned.is_set():
                        raise timeout_error(self.settings)
                    try:
                        message = await asyncio.wait_for(running.messages.get(),
                                                         max(0.0, deadline - time.monotonic()))
                    except TimeoutError:
                        raise timeout_error(self.settings) from None
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
