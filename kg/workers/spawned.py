"""A query worker spawned on its own (with a persisted store, which each worker opens read-only, sharing the
operating system's page cache); in memory, workers are forked instead (:mod:`kg.workers.forkserver`). Only
:mod:`kg.workers.pool` starts them.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from kg.settings import Settings
from kg.workers import memory, operations
from kg.workers.protocol import error_message


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
    memory.bound_memory(settings.worker_memory_mb)
    operations.serve(conn, state)


class SpawnedWorker:
    """The server side of one spawned worker process: its pipe and its process."""

    def __init__(self, ctx: Any, settings: Any, paths: Sequence[str] | None, store_path: str | None,
                 snapshot: Any) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_worker_main, args=(child, settings, paths, store_path, snapshot),
                                   daemon=True)
        self.process.start()
        child.close()

    @property
    def pid(self) -> int:
        return int(self.process.pid)

    @property
    def status(self) -> int | None:
        """The wait status once it has ended (multiprocessing's exit code turned back into one)."""
        code = self.process.exitcode
        if code is None:
            return None
        return (-code) & 0x7F if code < 0 else (code & 0xFF) << 8

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.join(timeout=5)
        with contextlib.suppress(Exception):
            self.conn.close()
