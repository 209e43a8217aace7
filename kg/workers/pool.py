"""Query workers: every query of the server runs in a worker process that can be stopped at the timeout.

Why processes: pyoxigraph releases the GIL while it evaluates, so a thread would keep the event loop free, but
a thread cannot be stopped; a query past ``KG_QUERY_TIMEOUT_S`` would keep burning a core. A worker process
is killed at the deadline and replaced, so one slow query never delays others for longer than the timeout.

Each worker loads the graph itself (from Turtle, or opens the persisted store read-only) and answers tasks
sent over a pipe. A task is a small picklable :class:`Task`; answers are either one value
(``("value", obj)``), a small body in one message (``("whole", meta, bytes)``) or a stream (``("head", meta)``,
``("chunk", bytes)``..., ``("end", None)``), so large results reach the client without being held whole.
``workers=0`` runs tasks in threads of the calling process instead (no hard stop; for tests and
``kg serve --get``).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kg import errors
from kg.errors import KgError, QueryTimeout
from kg.workers.forkserver import ForkedWorker, ForkServer

CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Task:
    """One unit of work for a worker. ``op`` names a function of :mod:`kg.tasks`; ``args`` its arguments."""

    op: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Answer:
    """A streamed answer: ``meta`` arrives first (form, truncation ...), then the body chunks. ``body`` is the
    whole body when it was small enough to arrive in one message (callers may skip streaming then).

    Whoever sends the answer must call :meth:`close` when the response ends, however it ends (a client that
    disconnects before the first chunk never runs the stream): an unfinished stream's worker is then replaced
    instead of being left blocked on a full pipe."""

    meta: dict[str, Any]
    chunks: AsyncIterator[bytes]
    body: bytes | None = None
    release: Callable[[bool], None] | None = field(default=None, repr=False)

    def close(self) -> None:
        if self.release is not None:
            self.release(False)


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _error_message(err: BaseException) -> tuple[str, str, dict[str, Any]]:
    if isinstance(err, KgError):
        return type(err).__name__, err.message, err.details
    return "KgError", f"internal error: {type(err).__name__}: {err}", {}


def _rebuild_error(name: str, message: str, details: dict[str, Any]) -> KgError:
    cls = getattr(errors, name, KgError)
    err = cls.__new__(cls)
    KgError.__init__(err, message, **details)
    return err


def _run_task(state: Any, task: Task, send: Any) -> None:
    """Run one task in a worker (or inline) and send its messages through ``send``."""
    from kg.workers import operations as tasks

    try:
        result = getattr(tasks, task.op)(state, **task.args)
        if isinstance(result, tasks.Stream):
            buffered: list[bytes] = []
            size = 0
            started = False
            for piece in result.body:
                data = piece.encode("utf-8") if isinstance(piece, str) else piece
                buffered.append(data)
                size += len(data)
                if size >= CHUNK_BYTES:
                    if not started:
                        send(("head", result.meta))
                        started = True
                    send(("chunk", b"".join(buffered)))
                    buffered, size = [], 0
            if not started:  # a small answer travels as one message: one round trip instead of three
                send(("whole", result.meta, b"".join(buffered)))
                return
            if buffered:
                send(("chunk", b"".join(buffered)))
            send(("end", None))
        else:
            send(("value", result))
    except BaseException as err:  # every failure must reach the caller as one error message, never hang it
        send(("error", *_error_message(err)))


def serve(conn: Connection, state: Any) -> None:
    """A worker's loop: say it is ready, then answer tasks until told to stop or the server goes away."""
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if task is None:
            return
        _run_task(state, task, conn.send)


def _worker_main(conn: Connection, settings: Any, paths: Sequence[str] | None, store_path: str | None,
                 snapshot: Any) -> None:
    """Entry point of a spawned worker process (persisted store): open the graph, then serve."""
    from kg.workers import operations as tasks

    try:
        state = tasks.open_state(settings, paths, store_path, snapshot)
    except BaseException as err:
        conn.send(("error", *_error_message(err)))
        return
    serve(conn, state)


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


async def _recv(conn: Connection, timeout: float) -> Any:
    """Receive one message without blocking the event loop; :class:`TimeoutError` after ``timeout``."""
    if not conn.poll():
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        fd = conn.fileno()
        loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
        try:
            await asyncio.wait_for(ready, timeout)
        finally:
            loop.remove_reader(fd)
    return conn.recv()


class QueryPool:
    """A fixed number of worker processes answering :class:`Task` s with a deadline."""

    def __init__(self, settings: Any, paths: Sequence[Path | str] | None = None, *, size: int | None = None,
                 store_path: Path | None = None, snapshot: Any = None) -> None:
        self.settings = settings
        self.paths = [str(p) for p in paths] if paths is not None else None
        self.store_path = str(store_path) if store_path is not None else None
        self.snapshot = snapshot  # (sources, [(copy, graph)]) from kg.graph.snapshot, or None
        self.size = settings.workers if size is None else size
        self._ctx = multiprocessing.get_context("spawn")
        # In memory, workers are forked from one loaded copy of the graph (see kg.forkserver); a persisted
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
            from kg.workers import operations as tasks

            self._inline_state = await asyncio.to_thread(tasks.open_state, self.settings, self.paths,
                                                         self.store_path, self.snapshot)
            return
        if self._forkserver is not None:
            await self._forkserver.start(_recv)
        await asyncio.gather(*(self._spawn() for _ in range(self.size)))

    async def _spawn(self) -> None:
        worker: _Worker | ForkedWorker
        if self._forkserver is not None:
            worker = await self._forkserver.new_worker(_recv)
        else:
            worker = _Worker(self._ctx, self.settings, self.paths, self.store_path, self.snapshot)
        self._workers.add(worker)
        try:
            message = await _recv(worker.conn, timeout=3600)
        except (EOFError, OSError):
            worker.kill()
            self._workers.discard(worker)
            raise KgError("a query worker stopped before it was ready (see the messages above)") from None
        except BaseException:
            worker.kill()
            self._workers.discard(worker)
            raise
        if message[0] != "ready":
            worker.kill()
            self._workers.discard(worker)
            raise _rebuild_error(*message[1:])
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

    async def call(self, task: Task, *, timeout: float | None = None) -> Any:
        """Run a task that answers one value."""
        answer = await self.run(task, timeout=timeout)
        if isinstance(answer, Answer):
            return b"".join([chunk async for chunk in answer.chunks])
        return answer

    async def run(self, task: Task, *, timeout: float | None = None) -> Any:
        """Run a task; returns its value, or an :class:`Answer` whose chunks must be consumed.

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
            message = await _recv(worker.conn, max(0.0, deadline - time.monotonic()))
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
        if kind == "value":
            self._idle.put_nowait(worker)
            return message[1]
        if kind == "whole":
            self._idle.put_nowait(worker)
            return Answer(meta=message[1], chunks=_one(message[2]), body=message[2])
        if kind == "error":
            self._idle.put_nowait(worker)
            raise _rebuild_error(*message[1:])
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
                    message = await _recv(worker.conn, max(0.0, deadline - time.monotonic()))
                except TimeoutError:
                    release(False)
                    raise self._timeout_error() from None
                except (EOFError, OSError):
                    release(False)
                    raise KgError("the query worker stopped in the middle of the answer") from None
                if message[0] == "chunk":
                    yield message[1]
                elif message[0] == "end":
                    release(True)
                    return
                else:  # an error after the head (e.g. the deadline checked in the worker)
                    release(True)
                    raise _rebuild_error(*message[1:])
        finally:
            release(False)  # no-op when already released

    async def _run_inline(self, task: Task, deadline: float) -> Any:
        messages: list[Any] = []

        def work() -> None:
            with self._inline_lock:
                _run_task(self._inline_state, task, messages.append)

        try:
            await asyncio.wait_for(asyncio.to_thread(work), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise self._timeout_error() from None
        first = messages[0]
        if first[0] == "value":
            return first[1]
        if first[0] == "whole":
            return Answer(meta=first[1], chunks=_one(first[2]), body=first[2])
        if first[0] == "error":
            raise _rebuild_error(*first[1:])

        async def chunks() -> AsyncIterator[bytes]:
            for message in messages[1:]:
                if message[0] == "chunk":
                    yield message[1]

        return Answer(meta=first[1], chunks=chunks())
