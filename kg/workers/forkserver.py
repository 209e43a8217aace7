"""A fork server for in-memory query workers: the graph is loaded once, and workers are forked from it.

Why: an in-memory pyoxigraph store of 100,000 claims takes about 15 s to parse and 1.2 GB of memory. Spawned
workers would each parse and hold their own copy; forked ones share the loaded store's pages copy-on-write
(queries only read them), so N workers cost about one store, and a worker killed at the query timeout is
replaced in milliseconds instead of by a full reload. multiprocessing's own "forkserver" start method only
preloads modules (it cannot hold our data, and there is one per interpreter), hence this small one.

The fork server is a spawned process: single-threaded (no event loop, no uvicorn threads), so ``fork()`` is
safe in it. Protocol on its control pipe, one request at a time:

* ``("fork",)`` -> ``("forked", pid)`` followed by the worker's end of a new socket pair (``SCM_RIGHTS``), or
  an ``error`` message of :mod:`kg.workers.protocol`;
* ``("kill", pid)`` -> ``("killed", status)``: the server reaps its child and answers its wait status (None
  when unknown), so the pool can tell a worker that died for lack of memory from one it killed. The server
  process itself has killed it already through a pidfd taken when the worker was forked, so a worker outlives
  neither a kill nor a fork server that died or was replaced meanwhile;
* ``None`` or end of file -> kill every child and exit.

Only for the in-memory store: RocksDB runs background threads that do not survive ``fork()``, so workers of
a persisted store open it read-only themselves (which is cheap) - see :mod:`kg.workers.pool`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import socket
import threading
from collections.abc import Sequence
from multiprocessing import reduction
from multiprocessing.connection import Connection
from typing import Any

from kg.errors import KgError
from kg.settings import Settings
from kg.workers import memory, operations
from kg.workers.protocol import Kind, error_message, raise_error, recv


class ForkedWorker:
    """The server side of one forked worker: its pipe, and a pidfd to kill it by (a pid could be reused once
    the worker has been reaped; a pidfd always names this process)."""

    def __init__(self, conn: Connection, pid: int, pidfd: int | None, server: ForkServer) -> None:
        self.conn, self.pid, self.pidfd, self.server = conn, pid, pidfd, server
        self.status: int | None = None  # the wait status once killed and reaped (None: unknown)

    def kill(self) -> None:
        """Kill and have it reaped (again: a no-op)."""
        if self.conn.closed:
            return
        if self.pidfd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.close(self.pidfd)
            self.pidfd = None
        self.status = self.server.reap(self.pid)
        with contextlib.suppress(Exception):
            self.conn.close()


class ForkServer:
    """Loads the graph in a spawned process once, then forks ready workers from it on request."""

    def __init__(self, ctx: Any, settings: Settings, paths: Sequence[str] | None, snapshot: Any) -> None:
        self._ctx, self._args = ctx, (settings, paths, snapshot)
        self._lock = threading.Lock()  # one request/answer exchange at a time on the control pipe
        self._starting: asyncio.Lock | None = None  # one (re)start or fork at a time, whoever asks
        self.control: Connection | None = None
        self.process: Any = None
        self.ready = False

    @property
    def alive(self) -> bool:
        """Loaded and still running (a process still loading is not alive yet)."""
        return self.ready and self.process is not None and self.process.is_alive()

    async def start(self) -> None:
        """Start the process and wait until it has loaded the graph (without blocking the event loop); raise its
        load error."""
        self.stop()
        self.control, child = self._ctx.Pipe(duplex=True)
        self.process = self._ctx.Process(target=_server_main, args=(child, *self._args), daemon=True)
        self.process.start()
        child.close()
        try:
            message = await recv(self.control, timeout=3600)
        except (EOFError, OSError):
            self.process.join(timeout=5)
            code = self.process.exitcode
            self.stop()
            raise KgError(f"the process loading the graph stopped before it finished ({_how(code)})") from None
        except BaseException:  # interrupted while loading: do not wait for a load that ignores SIGINT
            self.kill_now()
            raise
        if message[0] != Kind.READY:
            self.stop()
            raise raise_error(message)
        self.ready = True

    def fork(self) -> ForkedWorker:
        """A new worker (blocking for the few milliseconds a fork takes; call it from a thread)."""
        if self.control is None:
            raise OSError("the fork server is not running")
        with self._lock:
            self.control.send(("fork",))
            message = self.control.recv()
            if message[0] != "forked":
                raise raise_error(message)
            fd = reduction.recv_handle(self.control)
            pid = message[1]
            try:  # before anything else reaches the fork server: until then it cannot have reaped the worker
                pidfd: int | None = os.pidfd_open(pid)
            except (OSError, AttributeError):  # exited already, or no pidfds (Linux < 5.3): kill by pid
                pidfd = None
        return ForkedWorker(Connection(fd), pid, pidfd, self)

    def reap(self, pid: int) -> int | None:
        """Have the fork server kill (if it is still running) and reap a worker it forked; its wait status, or
        None when unknown (the fork server is gone: the worker, killed through its pidfd, is reaped by init)."""
        try:
            if self.control is None:
                raise OSError
            with self._lock:
                self.control.send(("kill", pid))
                if not self.control.poll(5.0):  # it answers at once unless it is gone or hung
                    raise OSError
                message = self.control.recv()
        except (OSError, ValueError, EOFError):
            return None
        return message[1] if message[0] == "killed" else None

    def stop(self) -> None:
        """Stop the fork server and (through it) every worker it forked."""
        self.ready = False
        if self.control is not None:
            with contextlib.suppress(Exception), self._lock:
                self.control.send(None)
            with contextlib.suppress(Exception):
                self.control.close()
            self.control = None
        if self.process is not None:
            if self.process.is_alive():
                self.process.join(timeout=5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(timeout=5)
            self.process = None

    def kill_now(self) -> None:
        """Stop at once (a process still loading ignores SIGINT and does not read its pipe yet)."""
        if self.process is not None and self.process.is_alive():
            self.process.kill()
        self.stop()

    async def new_worker(self) -> ForkedWorker:
        """Fork a worker, restarting the fork server first when it has died. Callers are serialised: two
        replacements asked for at once must not both restart it, nor read each other's answers."""
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if not self.alive:
                await self.start()
            return await asyncio.to_thread(self.fork)


def _how(code: int | None) -> str:
    if code is None:
        return "it did not say why"
    if code < 0:
        return f"killed by signal {-code}{', perhaps for lack of memory' if -code == signal.SIGKILL else ''}"
    return f"exit code {code}"


def settle() -> None:
    """Make the loaded heap cheap to fork: give the memory the load freed back to the system
    (:func:`kg.workers.memory.release_free_memory`), then freeze every Python object left (``gc.freeze``), so
    a worker's garbage collections never write to the inherited objects' headers, which would copy each page
    they sit on into that worker. Workers only add objects of their own; nothing frozen is ever collected."""
    memory.release_free_memory()
    gc.freeze()


def _server_main(control: Connection, settings: Settings, paths: Sequence[str] | None, snapshot: Any) -> None:
    """Entry point of the fork server process: load the graph, then fork and kill workers on request."""
    # Ctrl-C in a terminal reaches the whole process group; the server decides when to stop (it closes the
    # control pipe), and a worker must not die mid-answer with a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        try:
            state = operations.open_state(settings, paths, None, snapshot)
            settle()
        except BaseException as err:
            control.send(error_message(err, "loading the graph"))
            return
        control.send((Kind.READY, os.getpid()))
    except OSError:  # the server went away while the graph was loading
        return
    children: set[int] = set()
    ended: dict[int, int] = {}  # wait statuses of workers reaped before the server asked for them
    try:
        while True:
            try:
                while not control.poll(1.0):
                    _reap(children, ended)  # workers that ended on their own do not linger as zombies
                message = control.recv()
            except (EOFError, OSError):
                return
            _reap(children, ended)
            if message is None:
                return
            if message[0] == "kill":
                status = ended.pop(message[1], None)
                if message[1] in children:
                    with contextlib.suppress(OSError):
                        os.kill(message[1], signal.SIGKILL)
                        status = os.waitpid(message[1], 0)[1]
                    children.discard(message[1])
                try:
                    control.send(("killed", status))
                except OSError:
                    return
                continue
            ours, theirs = socket.socketpair()
            try:
                pid = os.fork()
            except OSError as err:
                ours.close()
                theirs.close()
                try:
                    control.send(error_message(err, "forking a query worker"))
                except OSError:
                    return
                continue
            if pid == 0:  # the worker: answer tasks on its socket until the server closes it
                code = 0
                try:
                    control.close()
                    ours.close()
                    memory.bound_memory(settings.worker_memory_mb)
                    operations.serve(Connection(theirs.detach()), state)
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)  # never run the fork server's clean-up (atexit, finalizers) in a worker
            children.add(pid)
            theirs.close()
            try:
                control.send(("forked", pid))
                reduction.send_handle(control, ours.fileno(), os.getppid())
            except OSError:  # the server went away
                return
            finally:
                ours.close()
    finally:
        for pid in children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)


def _reap(children: set[int], ended: dict[int, int]) -> None:
    """Collect workers that ended on their own (without blocking), so none lingers as a zombie; their wait
    statuses are kept in ``ended`` until the server asks (a bounded number: it asks for every worker it had)."""
    for pid in list(children):
        with contextlib.suppress(ChildProcessError):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                children.discard(pid)
                ended[pid] = status
    while len(ended) > 1000:
        del ended[next(iter(ended))]
