"""A query worker's memory: its bound (``KG_WORKER_MEMORY_MB``, ``RLIMIT_AS``), the error of a task past it, how a
worker that died of it is recognised, what a worker keeps of its own (for ``KG_WORKER_RECYCLE_MB``), and the fork
server's heap given back before it forks."""

from __future__ import annotations

import ctypes
import gc
import os
import resource
import signal

from kg.errors import WorkerMemoryExceeded
from kg.settings import Settings

#: Tasks that kept their worker busy this long in all since it was last measured may have grown its memory: the
#: worker is measured before it takes the next one (so a light request pays nothing, but many of them are
#: measured as one long one).
RECYCLE_CHECK_AFTER_S = 0.2


def private_kib(pid: int) -> int:
    """Memory a process does not share (its private pages, from ``/proc/PID/smaps_rollup``), in KiB; 0 when
    unknown. A forked worker's shared pages are the fork server's loaded graph; private ones are its own."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return sum(int(line.split()[1]) for line in f if line.startswith(("Private_Clean:", "Private_Dirty:")))
    except (OSError, ValueError, IndexError):
        return 0


def release_free_memory() -> int:
    """Give the memory this process has freed back to the system, and return what it holds afterwards
    (:func:`private_kib`). Python's objects go first (a collection), then the C allocator's free pages
    (glibc's ``malloc_trim``; a no-op elsewhere).

    Why: loading the graph allocates and frees hundreds of megabytes (a closure computed or read from its cache
    goes through Python objects), and glibc keeps freed pages inside its heap. In a fork server those pages would
    be inherited by every worker: counted once more in the server's memory, and copied into a worker as soon as
    its allocator reuses them."""
    gc.collect()
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # the C library's symbols are the process's own
    if trim is not None:
        trim(0)
    return private_kib(os.getpid())


def died_of_memory(status: int | None) -> bool:
    """Whether a worker's wait status says it hit its memory bound: the engine (Rust) aborts (SIGABRT) when an
    allocation fails. The kernel's out-of-memory killer sends SIGKILL, which cannot be told from the pool's own."""
    return status is not None and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGABRT


def memory_error(settings: Settings) -> WorkerMemoryExceeded:
    """The error of a task that needed more memory than ``KG_WORKER_MEMORY_MB`` allows."""
    return WorkerMemoryExceeded(f"query needed more memory than KG_WORKER_MEMORY_MB={settings.worker_memory_mb} "
                                "allows; its worker has been replaced", setting="KG_WORKER_MEMORY_MB")


def bound_memory(megabytes: int) -> None:
    """Bound this worker's address space (``RLIMIT_AS``) to what it has now, the loaded graph included, plus
    ``megabytes``; 0 leaves it unbounded. A query past the bound fails in this worker alone: Python raises
    MemoryError, the engine (Rust) aborts the process, and the pool tells the client either way."""
    if megabytes <= 0:
        return
    # a worker that aborts at the bound must not write a core file of the whole graph
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    with open("/proc/self/status") as f:
        size_kib = next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = size_kib * 1024 + megabytes * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
