"""The query pool: in memory, workers are forked from one loaded copy of the graph (kg.workers.forkserver); they are
replaced at the timeout without loading again, survive the fork server's death, and end with the pool."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from kg.errors import QueryTimeout
from kg.workers.pool import QueryPool
from kg.workers.protocol import Answer, QueryTask

STATE_ASK = QueryTask(sparql="ASK { ?s a <https://w3id.org/ua-children-kg/ontology#State> }",
                      result_format="json", graph_format="turtle")
SLOW = QueryTask(sparql="SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
                 result_format="json", graph_format="turtle")


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def running(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def gone_soon(pids: list[int], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(running(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


async def ask(pool: QueryPool) -> bytes:
    answer = await pool.run(STATE_ASK, timeout=30)
    assert isinstance(answer, Answer)
    return b"".join([chunk async for chunk in answer.chunks])


def test_in_memory_workers_are_forked_from_one_loaded_graph(settings):
    async def scenario() -> tuple[list[int], int | None]:
        pool = QueryPool(settings.replace(workers=2, light_workers=0))
        await pool.start()
        try:
            server = pool.forkserver_pid
            workers = pool.worker_pids
            assert server is not None and len(workers) == 2
            assert all(parent_of(pid) == server for pid in workers)
            assert parent_of(server) == os.getpid()
            for _ in range(4):  # every worker answers from the graph the fork server loaded
                assert b'"boolean": true' in await ask(pool)
            return workers, server
        finally:
            await pool.close()

    workers, server = asyncio.run(scenario())
    assert gone_soon([*workers, server]), "workers or the fork server outlived the pool"


def test_a_worker_stopped_at_the_timeout_is_forked_again_without_reloading(settings):
    async def scenario() -> list[int]:
        pool = QueryPool(settings.replace(workers=1, light_workers=0, query_timeout_s=1))
        await pool.start()
        try:
            server, (first,) = pool.forkserver_pid, pool.worker_pids
            with pytest.raises(QueryTimeout):
                await pool.run(SLOW)
            assert gone_soon([first])
            assert b'"boolean": true' in await ask(pool)  # waits for the replacement
            (second,) = pool.worker_pids
            assert second != first and pool.restarts == 1
            # the same fork server (no second load of the graph) forked the replacement
            assert pool.forkserver_pid == server and parent_of(second) == server
            return [first, second]
        finally:
            await pool.close()

    assert gone_soon(asyncio.run(scenario()))


def test_the_pool_recovers_when_the_fork_server_dies(settings):
    async def scenario() -> list[int]:
        pool = QueryPool(settings.replace(workers=1, light_workers=0, query_timeout_s=1))
        await pool.start()
        try:
            server, (orphan,) = pool.forkserver_pid, pool.worker_pids
            assert server is not None
            os.kill(server, signal.SIGKILL)
            assert gone_soon([server])
            assert b'"boolean": true' in await ask(pool)  # the orphaned worker still serves
            with pytest.raises(QueryTimeout):
                await pool.run(SLOW)  # ... until it is stopped at the timeout: killed directly now
            assert gone_soon([orphan])
            assert b'"boolean": true' in await ask(pool)  # a new fork server forked the replacement
            new_server, (replacement,) = pool.forkserver_pid, pool.worker_pids
            assert new_server not in (None, server) and parent_of(replacement) == new_server
            return [orphan, replacement, new_server]
        finally:
            await pool.close()

    assert gone_soon(asyncio.run(scenario()))


def test_replacements_asked_for_at_once_restart_the_fork_server_once(settings):
    """The fork server and both workers die; both failed queries ask for a replacement at the same time: one
    new fork server is started and both workers come back (found by review: two restarts read each other's
    answers on the control pipe and the pool stayed empty)."""

    async def scenario() -> list[int]:
        pool = QueryPool(settings.replace(workers=2, light_workers=0, query_timeout_s=5))
        await pool.start()
        try:
            server, workers = pool.forkserver_pid, pool.worker_pids
            assert server is not None
            for pid in (server, *workers):
                os.kill(pid, signal.SIGKILL)
            assert gone_soon([server, *workers])
            await asyncio.gather(ask(pool), ask(pool), return_exceptions=True)  # both fail: workers are gone
            answers = await asyncio.gather(ask(pool), ask(pool))  # ... and are replaced
            assert all(b'"boolean": true' in a for a in answers)
            # replacements start in the background: one may answer both queries while the other still starts
            deadline = time.monotonic() + 60
            while len(pool.worker_pids) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            new_server, new_workers = pool.forkserver_pid, pool.worker_pids
            assert len(new_workers) == 2 and all(parent_of(p) == new_server for p in new_workers)
            return [*new_workers, new_server] if new_server else new_workers
        finally:
            await pool.close()

    assert gone_soon(asyncio.run(scenario()))


def test_a_worker_of_a_replaced_fork_server_is_still_killed_at_the_timeout(settings):
    """A worker forked by a fork server that has since died and been replaced is killed through its pidfd,
    not through a fork server that never knew it."""

    async def scenario() -> list[int]:
        pool = QueryPool(settings.replace(workers=2, light_workers=0, query_timeout_s=1))
        await pool.start()
        try:
            server, originals = pool.forkserver_pid, pool.worker_pids
            assert server is not None
            os.kill(server, signal.SIGKILL)
            with pytest.raises(QueryTimeout):
                await pool.run(SLOW)  # one orphan killed; its replacement starts a new fork server
            assert b'"boolean": true' in await ask(pool)
            deadline = time.monotonic() + 10
            while len(pool.worker_pids) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            (orphan,) = [p for p in pool.worker_pids if p in originals]
            with pytest.raises(QueryTimeout):
                # the orphan is the idle worker that the next query gets, unless the replacement is: try both
                await asyncio.gather(pool.run(SLOW), pool.run(SLOW))
            assert gone_soon([orphan]), "a worker of the old fork server outlived its kill"
            return originals
        finally:
            await pool.close()

    assert gone_soon(asyncio.run(scenario()))
