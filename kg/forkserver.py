"""A fork server for in-memory query workers: the graph is loaded once, and workers are forked from it.

Why: an in-memory pyoxigraph store of 100,000 claims takes about 15 s to parse and 1.2 GB of memory. Spawned
workers would each parse and hold their own copy; forked ones share the loaded store's pages copy-on-write
(queries only read them), so N workers cost about one store, and a worker killed at the query timeout is
replaced in milliseconds instead of by a full reload. multiprocessing's own "forkserver" start method only
preloads modules (it cannot hold our data, and there is one per interpreter), hence this small one.

The fork server is a spawned process: single-threaded (no event loop, no uvicorn threads), so ``fork()`` is
safe in it. Protocol on its control pipe, one request at a time:

* ``("fork",)`` -> ``("forked", pid)`` followed by the worker's end of a new socket pair (``SCM_RIGHTS``), or
  ``("error", name, message, details)``;
* ``("kill", pid)`` -> no answer; the server kills and reaps its child (it is the parent, so the pid cannot
  have been reused by then);
* ``None`` or end of file -> kill every child and exit.

Only for the in-memory store: RocksDB runs background threads that do not survive ``fork()``, so workers of
a persisted store open it read-only themselves (which is cheap) - see :mod:`kg.pool`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import threading
from collections.abc import Sequence
from multiprocessing import reduction
from multiprocessing.connection import Connection
from typing import Any


class ForkedWorker:
    """The server side of one forked worker: its pipe, and a kill that goes through the fork server."""

    def __init__(self, conn: Connection, pid: int, server: ForkServer) -> None:
        self.conn, self.pid, self.server = conn, pid, server

    def kill(self) -> None:
        self.server.kill(self.pid)
        with contextlib.suppress(Exception):
            self.conn.close()


class ForkServer:
    """Loads the graph in a spawned process once, then forks ready workers from it on request."""

    def __init__(self, ctx: Any, settings: Any, paths: Sequence[str] | None, snapshot: Any) -> None:
        self._ctx, self._args = ctx, (settings, paths, snapshot)
        self._lock = threading.Lock()  # one request/answer exchange at a time on the control pipe
        self.control: Connection | None = None
        self.process: Any = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    async def start(self, recv: Any) -> None:
        """Start the process and wait until it has loaded the graph; raise its load error. ``recv`` is the
        pool's non-blocking receive (so loading never blocks the event loop)."""
        from kg.pool import _rebuild_error

        self.stop()
        self.control, child = self._ctx.Pipe(duplex=True)
        self.process = self._ctx.Process(target=_server_main, args=(child, *self._args), daemon=True)
        self.process.start()
        child.close()
        try:
            message = await recv(self.control, timeout=3600)
        except BaseException:
            self.stop()
            raise
        if message[0] != "ready":
            self.stop()
            raise _rebuild_error(*message[1:])

    def fork(self) -> ForkedWorker:
        """A new worker (blocking for the few milliseconds a fork takes; call it from a thread)."""
        from kg.pool import _rebuild_error

        if self.control is None:
            raise OSError("the fork server is not running")
        with self._lock:
            self.control.send(("fork",))
            message = self.control.recv()
            if message[0] != "forked":
                raise _rebuild_error(*message[1:])
            fd = reduction.recv_handle(self.control)
        return ForkedWorker(Connection(fd), message[1], self)

    def kill(self, pid: int) -> None:
        try:
            if self.control is None:
                raise OSError
            with self._lock:
                self.control.send(("kill", pid))
        except (OSError, ValueError):
            # The fork server is gone, so the worker is an orphan reaped by init: kill it directly.
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        """Stop the fork server and (through it) every worker it forked."""
        if self.control is not None:
            with contextlib.suppress(Exception), self._lock:
                self.control.send(None)
            with contextlib.suppress(Exception):
                self.control.close()
            self.control = None
        if self.process is not None:
            self.process.join(timeout=5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(timeout=5)
            self.process = None

    async def new_worker(self, recv: Any) -> ForkedWorker:
        """Fork a worker, restarting the fork server first when it has died."""
        if not self.alive:
            await self.start(recv)
        return await asyncio.to_thread(self.fork)


def _server_main(control: Connection, settings: Any, paths: Sequence[str] | None, snapshot: Any) -> None:
    """Entry point of the fork server process: load the graph, then fork and kill workers on request."""
    from kg import tasks
    from kg.pool import _error_message, serve

    # Ctrl-C in a terminal reaches the whole process group; the server decides when to stop (it closes the
    # control pipe), and a worker must not die mid-answer with a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        state = tasks.open_state(settings, paths, None, snapshot)
    except BaseException as err:
        control.send(("error", *_error_message(err)))
        return
    control.send(("ready", os.getpid()))
    children: set[int] = set()
    try:
        while True:
            try:
                message = control.recv()
            except (EOFError, OSError):
                return
            _reap(children)
            if message is None:
                return
            if message[0] == "kill":
                if message[1] in children:
                    with contextlib.suppress(OSError):
                        os.kill(message[1], signal.SIGKILL)
                        os.waitpid(message[1], 0)
                    children.discard(message[1])
                continue
            ours, theirs = socket.socketpair()
            try:
                pid = os.fork()
            except OSError as err:
                ours.close()
                theirs.close()
                control.send(("error", *_error_message(err)))
                continue
            if pid == 0:  # the worker: answer tasks on its socket until the server closes it
                code = 0
                try:
                    control.close()
                    ours.close()
                    serve(Connection(theirs.detach()), state)
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)  # never run the fork server's clean-up (atexit, finalizers) in a worker
            children.add(pid)
            theirs.close()
            control.send(("forked", pid))
            reduction.send_handle(control, ours.fileno(), os.getppid())
            ours.close()
    finally:
        for pid in children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)


def _reap(children: set[int]) -> None:
    """Collect workers that ended on their own (without blocking), so none lingers as a zombie."""
    for pid in list(children):
        with contextlib.suppress(ChildProcessError):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                children.discard(pid)
