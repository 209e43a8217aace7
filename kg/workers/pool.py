"""The query pool: every query of the server runs in a worker process that can be stopped at the timeout.

Why processes: pyoxigraph releases the GIL while it evaluates, so a thread would keep the event loop free, but
a thread cannot be stopped; a query past ``KG_QUERY_TIMEOUT_S`` would keep burning a core. A worker process
is killed at the deadline and replaced, so one slow query never delays others for longer than the timeout.

In memory, workers are forked from one loaded copy of the graph (:mod:`kg.workers.forkserver`); with a
persisted store each worker is spawned and opens it read-only. Workers answer the tasks of
:mod:`kg.workers.protocol` over a pipe, so large results reach the client without being held whole.
``workers=0`` runs tasks in threads of the calling process instead (no hard stop; for tests and
``kg serve --get``). Only :mod:`kg.service` uses the pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kg.errors import KgError, QueryTimeout
from kg.settings import Settings
from kg.workers import operations
from kg.workers.forkserver import ForkedWorker, ForkServer
from kg.workers.protocol import Answer, Kind, Task, error_message, one_chunk, raise_error, recv


def _worker_main(conn: Connection, settings: Settings, paths: Sequence[str] | None, store_path: str | None,
                 snapshot: Any) -> None:
    """Entry point of a spawned worker process (persisted store): open the graph, then serve."""
    # Ctrl-C reaches the whole process group; the server stops its workers itself (as the fork server's are).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        state = operations.open_state(settings, paths, store_path, snapshot)
    except BaseException as err:
        conn.send(error_message(err, "opening the graph"))
        return
    operations.serve(conn, state)


class _Worker:
    def __init__(self, ctx: Any, settings: Any, paths: Sequence[str] | None, store_path: str | None,
                 snapshot: Any) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_worker_main, args=(child, settings, paths, store_path, snapshot),
                                   daemon=True)
        self.process.start()
        child.close()

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.join(timeout=5)
        with contextlib.suppress(Exception):
            self.conn.close()


class QueryPool:
    """A fixed number of worker processes answering tasks with a deadline."""

    def __init__(self, settings: Settings, paths: Sequence[Path | str] | None = None, *, size: int | None = None,
                 store_path: Path | None = None, snapshot: Any = None) -> None:
        self.settings = settings
        self.paths = [str(p) for p in paths] if paths is not None else None
        self.store_path = str(store_path) if store_path is not None else None
        self.snapshot = snapshot  # (sources, [(copy, graph)]) from kg.graph.snapshot, or None
        self.size = settings.workers if size is None else size
        self._ctx = multiprocessing.get_context("spawn")
        # In memory, workers are forked from one loaded copy of the graph (see kg.workers.forkserver); a persisted
        # store is opened read-only by each spawned worker, sharing the operating system's page cache.
        self._forkserver = (ForkServer(self._ctx, settings, self.paths, snapshot)
                            if self.store_path is None and self.size > 0 else None)
        self._idle: asyncio.Queue[_Worker | ForkedWorker] = asyncio.Queue()
        self._workers: set[_Worker | ForkedWorker] = set()
        self._respawns: set[asyncio.Task[None]] = set()
        self._inline_state: Any = None
        self._inline_lock = threading.Lock()
        self.restarts = 0
        self._closed = False

    @property
    def worker_pids(self) -> list[int]:
        """The process ids of the running workers (for status pages and tests)."""
        return sorted(w.pid if isinstance(w, ForkedWorker) else w.process.pid for w in self._workers)

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
        await asyncio.gather(*(self._spawn() for _ in range(self.size)))

    async def _spawn(self) -> None:
        worker: _Worker | ForkedWorker
        if self._forkserver is not None:
            worker = await self._forkserver.new_worker()
        else:
            worker = _Worker(self._ctx, self.settings, self.paths, self.store_path, self.snapshot)
        self._workers.add(worker)
        try:
            message = await recv(worker.conn, timeout=3600)
        except (EOFError, OSError):
            worker.kill()
            self._workers.discard(worker)
            raise KgError("a query worker stopped before it was ready (see the messages above)") from None
        except BaseException:
            worker.kill()
            self._workers.discard(worker)
            raise
        if message[0] != Kind.READY:
            worker.kill()
            self._workers.discard(worker)
            raise raise_error(message)
        if self._closed:
            worker.kill()
            self._workers.discard(worker)
            return
        await self._idle.put(worker)

    async def _respawn(self) -> None:
        """Start a replacement worker, retrying with back-off: a failed start (the data no longer parses, say)
        must not shrink the pool for good."""
        delay = 1.0
        while not self._closed:
            try:
                await self._spawn()
                return
            except Exception as err:  # reported and retried; the pool keeps serving with the other workers
                print(f"kg: could not start a query worker ({err}); retrying in {delay:g} s", file=sys.stderr)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    def _replace(self, worker: _Worker | ForkedWorker) -> None:
        worker.kill()
        self._workers.discard(worker)
        if self._closed:
            return
        self.restarts += 1
        task = asyncio.get_running_loop().create_task(self._respawn())
        self._respawns.add(task)
        task.add_done_callback(self._respawns.discard)

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

    def _timeout_error(self) -> QueryTimeout:
        return QueryTimeout(f"query exceeded KG_QUERY_TIMEOUT_S={self.settings.query_timeout_s:g} seconds",
                            setting="KG_QUERY_TIMEOUT_S")

    async def run(self, task: Task, *, timeout: float | None = None) -> object:
        """Run a task; returns its value, or an :class:`Answer` whose chunks must be consumed (or closed).

        The deadline covers waiting for a free worker, the query and the stream. Past it the worker is
        killed (and replaced) and :class:`QueryTimeout` is raised, or the stream ends early.
        """
        limit = self.settings.query_timeout_s if timeout is None else timeout
        deadline = time.monotonic() + limit
        if self.inline:
            return await self._run_inline(task, deadline)
        try:
            worker = await asyncio.wait_for(self._idle.get(), limit)
        except TimeoutError:
            raise self._timeout_error() from None
        try:
            worker.conn.send(task)
            message = await recv(worker.conn, max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            self._replace(worker)
            raise self._timeout_error() from None
        except (EOFError, OSError):
            self._replace(worker)
            raise KgError("the query worker stopped unexpectedly; it has been restarted") from None
        except BaseException:  # cancelled (client gone, shutdown): the worker may still be answering
            self._replace(worker)
            raise
        kind = message[0]
        if kind == Kind.VALUE:
            self._idle.put_nowait(worker)
            return message[1]
        if kind == Kind.WHOLE:
            self._idle.put_nowait(worker)
            return Answer(meta=message[1], chunks=one_chunk(message[2]), body=message[2])
        if kind == Kind.ERROR:
            self._idle.put_nowait(worker)
            raise raise_error(message)
        released = False

        def release(finished: bool) -> None:
            nonlocal released
            if released:
                return
            released = True
            if finished:
                self._idle.put_nowait(worker)
            else:  # abandoned mid-stream (timeout, client gone): the worker may still be writing
                self._replace(worker)

        return Answer(meta=message[1], chunks=self._stream(worker, deadline, release), release=release)

    async def _stream(self, worker: _Worker | ForkedWorker, deadline: float,
                      release: Callable[[bool], None]) -> AsyncIterator[bytes]:
        """The body chunks. A stream cut short raises, so the server aborts the response instead of ending it
        normally: a client must not take half a CSV for the whole."""
        try:
            while True:
                try:
                    message = await recv(worker.conn, max(0.0, deadline - time.monotonic()))
                except TimeoutError:
                    release(False)
                    raise self._timeout_error() from None
                except (EOFError, OSError):
                    release(False)
                    raise KgError("the query worker stopped in the middle of the answer") from None
                if message[0] == Kind.CHUNK:
                    yield message[1]
                elif message[0] == Kind.END:
                    release(True)
                    return
                else:  # an error after the head (e.g. the deadline checked in the worker)
                    release(True)
                    raise raise_error(message)
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
            raise self._timeout_error() from None
        first = messages[0]
        if first[0] == Kind.VALUE:
            return first[1]
        if first[0] == Kind.WHOLE:
            return Answer(meta=first[1], chunks=one_chunk(first[2]), body=first[2])
        if first[0] == Kind.ERROR:
            raise raise_error(first)

        async def chunks() -> AsyncIterator[bytes]:
            for message in messages[1:]:
                if message[0] == Kind.CHUNK:
                    yield message[1]

        return Answer(meta=first[1], chunks=chunks())
