"""The fork server's heap before it forks (kg.workers.forkserver.settle, kg.workers.memory.release_free_memory):
memory the load freed goes back to the system, and the Python objects left are frozen, so a worker's garbage
collections do not copy the pages they sit on. Each scenario runs in a forked child, so the test process's own
heap is never frozen or trimmed."""

from __future__ import annotations

import ctypes
import gc
import os
from collections.abc import Callable

from kg.workers import forkserver, memory


def in_child(body: Callable[[], int]) -> int:
    """``body()``'s number, computed in a forked child of this process."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.write(write, str(body()).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    try:
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        return int(os.read(read, 64))
    finally:
        os.close(read)


def test_memory_freed_inside_the_heap_is_given_back():
    def freed_kib() -> int:
        # 200 MB in blocks the C allocator serves from its heap (too big for Python's own allocator, too small
        # for a mapping of their own); the last one stays, so the freed ones cannot be returned by shrinking
        # the heap from its top, as glibc does on its own
        blocks = [ctypes.create_string_buffer(1000) for _ in range(200_000)]
        for block in blocks:
            ctypes.memset(block, 1, 1000)
        keep = blocks[-1]
        del blocks[:-1]
        gc.collect()
        before = memory.private_kib(os.getpid())
        after = memory.release_free_memory()
        assert keep.raw[:1] == b"\x01"
        return before - after

    assert in_child(freed_kib) > 100 * 1024


def worker_private_kib_after_collecting(settled: bool) -> int:
    """A stand-in fork server (this process's heap: pytest and kg imported), settled or not, forks a worker
    that runs a full garbage collection; the worker's private memory after it."""
    def server() -> int:
        if settled:
            forkserver.settle()
            assert gc.get_freeze_count() > 0
        return in_child(lambda: (gc.collect(), memory.private_kib(os.getpid()))[1])

    return in_child(server)


def test_a_worker_of_a_settled_fork_server_does_not_copy_the_heap_when_it_collects():
    plain = worker_private_kib_after_collecting(settled=False)
    settled = worker_private_kib_after_collecting(settled=True)
    assert settled < plain / 2, (settled, plain)
