"""KG_WORKER_MODE=threads: queries run in threads of the server over its one store; a query past the deadline
answers 503 at once and is abandoned (lowest priority, holding a heavy place until it ends); a light query past its
budget is taken over by its heavy run instead of running twice; no more threads compute than there are places;
streams keep their backpressure and stop when the reader goes."""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from kg.errors import QueryTimeout, UsageError
from kg.settings import Settings
from kg.workers.protocol import Answer, QueryTask
from kg.workers.scheduling import BudgetExceeded, Lane
from kg.workers.threaded import ABANDONED_NICENESS, CLAIM_S, ThreadPool
from tests.live import live_server


def task(sparql: str, result_format: str = "json") -> QueryTask:
    return QueryTask(sparql=sparql, result_format=result_format, graph_format="turtle")


ASK = task("ASK { ?s a <https://w3id.org/ua-children-kg/ontology#State> }")
#: A product of every triple with itself, counted: a few seconds on the repository's graph, then it ends.
SLOWISH = task("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }")
ALL = task("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", "csv")


def threads(settings: Settings, **changes: object) -> ThreadPool:
    """A thread pool in this test process, whose address space it must not bound (``worker_memory_mb=0``)."""
    return ThreadPool(settings.replace(worker_mode="threads", worker_memory_mb=0, **changes))


def children() -> set[int]:
    with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children") as f:
        return {int(p) for p in f.read().split()}


def niceness(tid: int) -> int:
    with open(f"/proc/{os.getpid()}/task/{tid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[16])


async def settle(pool: ThreadPool, seconds: float = 60) -> None:
    """Wait until every query thread of ``pool`` has ended."""
    deadline = time.monotonic() + seconds
    while pool.running and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert pool.running == 0


def test_the_mode_is_validated():
    with pytest.raises(UsageError, match="KG_WORKER_MODE"):
        Settings(worker_mode="fibres")
    assert Settings.from_env({"KG_WORKER_MODE": "threads"}).worker_mode == "threads"
    assert Settings().worker_mode == "processes"


def test_queries_run_in_threads_of_this_process_over_one_store(settings):
    async def scenario() -> None:
        before = children()
        pool = threads(settings, workers=2, light_workers=1)
        await pool.start()
        answer = await pool.run(ASK, timeout=30)
        assert isinstance(answer, Answer)
        assert json.loads(await answer.read())["boolean"] is True
        light = await pool.run(ASK, timeout=30, lane=Lane.LIGHT, budget=5)
        assert isinstance(light, Answer) and json.loads(await light.read())["boolean"] is True
        assert children() == before  # no worker process, no fork server
        assert pool.worker_pids == [] and pool.forkserver_pid is None
        await pool.close()

    asyncio.run(scenario())


def test_heavy_queries_run_at_once_and_one_past_the_deadline_is_abandoned(settings):
    async def scenario() -> None:
        pool = threads(settings, workers=2, light_workers=1)
        await pool.start()
        started = time.monotonic()
        outcomes = await asyncio.gather(*(pool.run(SLOWISH, timeout=0.5) for _ in range(2)), return_exceptions=True)
        took = time.monotonic() - started
        assert all(isinstance(o, QueryTimeout) for o in outcomes), outcomes
        assert took < 1.5, took  # both at their own deadline, side by side: the client is not kept waiting
        assert pool.abandoned == 2 and pool.running == 2
        abandoned = pool.thread_ids
        assert len(abandoned) == 2 and all(niceness(t) == ABANDONED_NICENESS for t in abandoned)
        # the abandoned computations still hold both heavy places: a third heavy query waits for one
        with pytest.raises(QueryTimeout):
            await pool.run(ASK, timeout=0.3)
        # the light lane is its own
        light = await pool.run(ASK, timeout=5, lane=Lane.LIGHT, budget=1)
        assert isinstance(light, Answer) and json.loads(await light.read())["boolean"] is True
        await settle(pool)
        answer = await pool.run(ASK, timeout=5)  # the places are back once they ended
        assert isinstance(answer, Answer)
        await answer.read()
        await pool.close()

    asyncio.run(scenario())


def test_a_light_query_past_its_budget_is_taken_over_by_its_heavy_run_not_run_twice(settings):
    async def scenario() -> None:
        pool = threads(settings, workers=1, light_workers=1)
        await pool.start()
        took: list[float] = []
        with pytest.raises(BudgetExceeded):  # as with processes: the service learns the shape is heavy
            await pool.run(SLOWISH, timeout=60, lane=Lane.LIGHT, budget=0.2, computed=took.append)
        places = pool._places
        assert places is not None and places.busy == {Lane.LIGHT: 0, Lane.HEAVY: 1}  # moved, still computing
        first = pool.thread_ids
        assert len(first) == 1
        light = await pool.run(ASK, timeout=5, lane=Lane.LIGHT, budget=1)  # the light place is free again
        assert isinstance(light, Answer)
        await light.read()
        answer = await pool.run(SLOWISH, timeout=60)  # the heavy run of the same task takes the thread over
        assert isinstance(answer, Answer)
        assert pool.thread_ids in ([], first) and pool.abandoned == 0  # no second computation was started
        counted = await pool.run(task("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c }"), timeout=5)
        assert isinstance(counted, Answer)
        triples = int(json.loads(await counted.read())["results"]["bindings"][0]["n"]["value"])
        assert json.loads(await answer.read())["results"]["bindings"][0]["n"]["value"] == str(triples ** 2)
        assert took == []  # the light run never answered
        await settle(pool)
        assert places.busy == {Lane.LIGHT: 0, Lane.HEAVY: 0}
        await pool.close()

    asyncio.run(scenario())


def test_a_task_past_its_budget_nobody_takes_over_is_abandoned(settings):
    async def scenario() -> None:
        pool = threads(settings, workers=1, light_workers=1)
        await pool.start()
        with pytest.raises(BudgetExceeded):
            await pool.run(SLOWISH, timeout=60, lane=Lane.LIGHT, budget=0.1)
        await asyncio.sleep(CLAIM_S + 0.3)
        assert pool.abandoned == 1
        abandoned = pool.thread_ids
        assert len(abandoned) == 1 and niceness(abandoned[0]) == ABANDONED_NICENESS
        await settle(pool)
        await pool.close()

    asyncio.run(scenario())


def test_no_more_threads_compute_than_there_are_places(settings):
    """Abandoned work keeps its place: with the heavy place held, a light task abandoned cannot move and keeps
    its light one, so a third request waits (and gets its 503) instead of starting a third computation."""
    async def scenario() -> None:
        pool = threads(settings, workers=1, light_workers=1)
        await pool.start()
        with pytest.raises(QueryTimeout):
            await pool.run(SLOWISH, timeout=0.3)  # abandoned, holding the heavy place
        with pytest.raises(QueryTimeout):
            await pool.run(SLOWISH, timeout=0.3, lane=Lane.LIGHT, budget=5)  # abandoned, nowhere to move
        places = pool._places
        assert places is not None and places.busy == {Lane.LIGHT: 1, Lane.HEAVY: 1}
        with pytest.raises(QueryTimeout):
            await pool.run(ASK, timeout=0.3, lane=Lane.LIGHT, budget=5)
        assert pool.running == 2
        await settle(pool)
        assert places.busy == {Lane.LIGHT: 0, Lane.HEAVY: 0}
        await pool.close()

    asyncio.run(scenario())


def test_a_stream_is_whole_and_stops_its_thread_when_the_reader_goes(settings, repo_store):
    async def scenario() -> None:
        pool = threads(settings, workers=1, light_workers=0)
        await pool.start()
        answer = await pool.run(ALL, timeout=30)
        assert isinstance(answer, Answer) and answer.body is None  # streamed, in more than one message
        body = await answer.read()
        assert body.count(b"\n") - 1 >= len(repo_store)
        answer = await pool.run(ALL, timeout=30)
        assert isinstance(answer, Answer)
        first = await answer.chunks.__anext__()
        assert first
        answer.close()  # the reader went away after one chunk
        await settle(pool, 5)  # the thread stopped at its next message instead of rendering the rest
        assert pool.abandoned == 1
        await pool.close()

    asyncio.run(scenario())


def test_a_stream_past_the_deadline_is_cut(settings):
    async def scenario() -> None:
        pool = threads(settings, workers=1, light_workers=0)
        await pool.start()
        answer = await pool.run(ALL, timeout=1)
        assert isinstance(answer, Answer)
        await answer.chunks.__anext__()
        await asyncio.sleep(1.2)  # a reader slower than the deadline
        with pytest.raises(QueryTimeout):
            async for _ in answer.chunks:
                pass
        await settle(pool, 5)
        await pool.close()

    asyncio.run(scenario())


def test_a_real_server_in_threads_mode_answers_and_reports_no_worker_process():
    with live_server(env={"KG_WORKER_MODE": "threads", "KG_QUERY_TIMEOUT_S": "0.5"}) as base:
        with urllib.request.urlopen(base + "/-/version.json", timeout=10) as r:
            version = json.load(r)
        assert version["workers"] == 2 and version["worker_mode"] == "threads" and version["queries_abandoned"] == 0
        url = base + "/sparql?" + urllib.parse.urlencode({"query": SLOWISH.sparql})
        started = time.monotonic()
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"}),
                                   timeout=30)
        assert err.value.code == 503 and time.monotonic() - started < 3
        assert "KG_QUERY_TIMEOUT_S" in json.loads(err.value.read())["error"]
        with urllib.request.urlopen(base + "/sparql?" + urllib.parse.urlencode({"query": ASK.sparql}),
                                    timeout=10) as r:
            assert r.status == 200
        with urllib.request.urlopen(base + "/-/version.json", timeout=10) as r:
            assert json.load(r)["queries_abandoned"] == 1


def test_a_query_past_the_memory_bound_ends_the_server_not_the_machine():
    """No query can be bounded alone in threads, so the server's address space is: an ordered product of every
    triple with itself (unbounded memory) aborts the server at the bound instead of growing until the kernel's
    out-of-memory killer picks a process."""
    hungry = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"
    env = {"KG_WORKER_MODE": "threads", "KG_WORKER_MEMORY_MB": "64", "KG_QUERY_TIMEOUT_S": "60"}
    with live_server(env=env) as base:
        pid = _server_pid(base)
        url = base + "/sparql?" + urllib.parse.urlencode({"query": hungry})
        with pytest.raises(OSError), urllib.request.urlopen(url, timeout=60) as r:  # the connection ends with it
            r.read()
        deadline = time.monotonic() + 30
        while os.path.exists(f"/proc/{pid}") and _state(pid) != "Z" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not os.path.exists(f"/proc/{pid}") or _state(pid) == "Z"


def _server_pid(base: str) -> int:
    """The pid of the ``kg serve`` process listening at ``base`` (the child of this test process)."""
    port = base.rsplit(":", 1)[1]
    for pid in children():
        with open(f"/proc/{pid}/cmdline") as f:
            if port in f.read().split("\0"):
                return pid
    raise AssertionError("no kg serve child process")


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"


def test_a_place_got_with_almost_no_time_left_is_given_back_unused(settings):
    async def scenario() -> None:
        pool = threads(settings, workers=1, light_workers=0)
        await pool.start()
        with pytest.raises(QueryTimeout):
            await pool.run(SLOWISH, timeout=0.01)  # under MIN_START_S: it could not answer in time
        places = pool._places
        assert places is not None and places.busy == {Lane.LIGHT: 0, Lane.HEAVY: 0}
        assert pool.running == 0 and pool.abandoned == 0  # no thread was started for it
        await pool.close()

    asyncio.run(scenario())


def test_a_task_whose_reader_went_stops_without_logging_an_error(settings, caplog):
    async def scenario() -> None:
        pool = threads(settings, workers=1, light_workers=0)
        await pool.start()
        answer = await pool.run(ALL, timeout=30)
        assert isinstance(answer, Answer)
        await answer.chunks.__anext__()
        answer.close()
        await settle(pool, 5)
        await pool.close()

    with caplog.at_level("DEBUG"):
        asyncio.run(scenario())
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


def test_close_stops_every_thread(settings):
    async def scenario() -> None:
        pool = threads(settings, workers=1, light_workers=0)
        await pool.start()
        answer = await pool.run(ALL, timeout=30)
        assert isinstance(answer, Answer)
        await answer.chunks.__anext__()  # the thread is blocked on a stream nobody reads further
        await pool.close()
        deadline = time.monotonic() + 5
        while pool.running and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert pool.running == 0

    asyncio.run(scenario())
