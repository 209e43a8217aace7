"""Bounded cost per query: the deadline holds against a client that does not read, a query past the memory bound
fails alone, light requests have their own lane, and what pages and /sparql hold in the event loop is bounded.
Each hostile case also checks that a normal request is still answered."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from kg.errors import UsageError, WorkerMemoryExceeded
from kg.service import Service, shape
from kg.settings import Settings
from kg.web.querypage import PAGE_CHARS, PAGE_ROWS
from kg.workers.operations import PAGE_TERM_CHARS
from kg.workers.pool import QueryPool
from kg.workers.protocol import CHUNK_BYTES, Answer, EntityTask, Kind, QueryTask, Stream, send_result
from kg.workers.scheduling import Lane

from .conftest import ROOT
from .live import live_server

ASK = "ASK { ?s a <https://w3id.org/ua-children-kg/ontology#State> }"
#: Every pair of triples: millions of rows, streamed without a row cap.
PAIRS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"
#: A string doubled 30 times: 1 GiB, built by the engine.
CONCAT = ("SELECT (STRLEN(?s30) AS ?n) WHERE { BIND(\"x\" AS ?s0) "
          + " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(30)) + " }")
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def task(sparql: str, fmt: str = "json") -> QueryTask:
    return QueryTask(sparql=sparql, result_format=fmt, graph_format="turtle")


def get(url: str, timeout: float = 30) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def sparql_url(base: str, query: str) -> str:
    return f"{base}/sparql?{urllib.parse.urlencode({'query': query})}"


@pytest.fixture(scope="module")
def server():
    """One heavy and one light worker, a 3 s deadline, no row cap (so a result can be as large as we like),
    and a memory bound well below what the hostile queries need."""
    env = {"KG_QUERY_TIMEOUT_S": "3", "KG_WORKERS": "1", "KG_LIGHT_WORKERS": "1", "KG_MAX_ROWS": "0",
           "KG_REASONING": "none", "KG_WORKER_MEMORY_MB": "100"}
    with live_server(env=env) as base:
        yield base


def restarts(base: str) -> int:
    status, body = get(base + "/-/version.json")
    assert status == 200
    return json.loads(body)["worker_restarts"]


def test_a_client_that_never_reads_is_cut_off_at_the_deadline_and_its_worker_freed(server):
    host, port = server.removeprefix("http://").split(":")
    before = restarts(server)
    attackers = []
    for _ in range(2):  # as many as there are workers: each takes one while its answer streams
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fill up at once, then stall the server
        sock.connect((host, int(port)))
        target = "/sparql?" + urllib.parse.urlencode({"query": PAIRS})
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nAccept: text/csv\r\n\r\n".encode())
        attackers.append(sock)
        time.sleep(0.5)  # the first answer, too large for the light lane, sends its query's shape to the heavy one
    time.sleep(3.0)  # past the first one's 3 s deadline; neither attacker has read a byte
    status, body = get(sparql_url(server, ASK), timeout=20)
    assert status == 200 and json.loads(body)["boolean"] is True
    time.sleep(0.6)  # past the second one's deadline
    assert restarts(server) >= before + 2  # both workers were killed at the deadline and replaced
    for sock in attackers:  # each response was aborted: what the client finally reads ends without the last chunk
        sock.settimeout(20)
        received = b""
        while chunk := sock.recv(1 << 16):
            received += chunk
        sock.close()
        assert received.startswith(b"HTTP/1.1 200") and not received.endswith(b"\r\n0\r\n\r\n")


def test_a_query_past_the_memory_bound_fails_alone_with_503_and_its_worker_is_replaced(server):
    before = restarts(server)
    status, body = get(sparql_url(server, CONCAT))
    error = json.loads(body)
    assert status == 503 and error["status"] == 503
    assert error["setting"] == "KG_WORKER_MEMORY_MB" and "KG_WORKER_MEMORY_MB=100" in error["error"]
    assert restarts(server) > before
    status, body = get(sparql_url(server, ASK))
    assert status == 200 and json.loads(body)["boolean"] is True


def test_an_order_by_over_a_product_is_stopped_by_the_memory_bound(settings):
    async def scenario() -> None:
        pool = QueryPool(settings.replace(workers=2, light_workers=0, query_timeout_s=60, worker_memory_mb=200,
                                          reasoning="none"))
        await pool.start()
        try:
            heavy = asyncio.ensure_future(pool.run(task(PAIRS + " ORDER BY ?c ?f")))
            answers = []
            while not heavy.done():  # the other worker keeps answering meanwhile
                answer = await pool.run(task(ASK), timeout=30)
                assert isinstance(answer, Answer)
                answers.append(await answer.read())
            with pytest.raises(WorkerMemoryExceeded):
                await heavy
            assert answers and all(b'"boolean": true' in a for a in answers)
            assert pool.restarts == 1
        finally:
            await pool.close()

    asyncio.run(scenario())


@pytest.mark.parametrize(("priority", "niceness", "idle"), [("low", 10, False), ("idle", 19, True),
                                                            ("normal", 0, False)])
def test_heavy_priority_setting_chooses_how_heavy_workers_are_scheduled(settings, priority, niceness, idle):
    async def scenario() -> None:
        pool = QueryPool(settings.replace(workers=1, light_workers=1, heavy_priority=priority))
        await pool.start()
        try:
            (heavy,), (light,) = pool.lane_pids(Lane.HEAVY), pool.lane_pids(Lane.LIGHT)
            assert os.getpriority(os.PRIO_PROCESS, heavy) - os.getpriority(os.PRIO_PROCESS, light) == niceness
            if hasattr(os, "SCHED_IDLE"):  # idle: the heavy worker runs only on a core nothing else wants
                assert (os.sched_getscheduler(heavy) == os.SCHED_IDLE) is idle
                assert os.sched_getscheduler(light) == os.SCHED_OTHER
        finally:
            await pool.close()

    asyncio.run(scenario())


def test_heavy_priority_outside_its_choices_is_refused_naming_the_setting():
    with pytest.raises(UsageError, match="KG_HEAVY_PRIORITY must be one of idle, low, normal"):
        Settings.from_env({"KG_HEAVY_PRIORITY": "realtime"})


def test_light_requests_are_answered_while_heavy_queries_fill_the_heavy_lane(settings):
    async def scenario() -> None:
        pool = QueryPool(settings.replace(workers=2, light_workers=1, query_timeout_s=3))
        await pool.start()
        try:
            light = pool.lane_pids(Lane.LIGHT)
            assert len(light) == 1 and len(pool.lane_pids(Lane.HEAVY)) == 2
            # the heavy lane yields the processor to the light one
            assert all(os.getpriority(os.PRIO_PROCESS, p) > os.getpriority(os.PRIO_PROCESS, light[0])
                       for p in pool.lane_pids(Lane.HEAVY))
            heavy = [asyncio.ensure_future(pool.run(task(SLOW))) for _ in range(3)]  # more than the lane holds
            await asyncio.sleep(0.2)
            for _ in range(5):
                answer = await pool.run(task(ASK), lane=Lane.LIGHT)
                assert isinstance(answer, Answer) and b'"boolean": true' in await answer.read()
            assert not any(h.done() for h in heavy)  # every ASK was answered while the heavy lane was full
            await asyncio.gather(*heavy, return_exceptions=True)
            assert pool.lane_pids(Lane.LIGHT) == light  # the light worker was never stopped
        finally:
            await pool.close()

    asyncio.run(scenario())


def test_a_query_over_the_light_budget_moves_to_the_heavy_lane_and_its_shape_is_remembered(settings):
    async def scenario() -> None:
        service = Service(settings.replace(workers=1, light_workers=1, query_timeout_s=3, light_budget_s=0.2))
        await service.start()
        try:
            # the texts differ in their variables' names: the second query is of the first one's shape
            first = SLOW.replace("?n", "?count")
            second = SLOW.replace("?a", "?x")
            assert first != second
            assert shape(first) == shape(second)
            with pytest.raises(Exception, match="KG_QUERY_TIMEOUT_S"):
                await service.query(first, result_format="json", graph_format="turtle")
            # the light worker was stopped at the budget, the heavy one at the deadline
            assert service.restarts == 2
            light = service.pool.lane_pids(Lane.LIGHT)
            with pytest.raises(Exception, match="KG_QUERY_TIMEOUT_S"):
                await service.query(second, result_format="json", graph_format="turtle")
            assert service.restarts == 3 and service.pool.lane_pids(Lane.LIGHT) == light
            answer = await service.query(ASK, result_format="json", graph_format="turtle")
            assert b'"boolean": true' in await answer.read()
        finally:
            await service.close()

    asyncio.run(scenario())


def test_a_shape_slow_on_average_goes_to_the_heavy_lane_and_one_slow_run_does_not_send_it(settings, monkeypatch):
    """A query shape whose runs took on average over QUERY_SLOW_SHARE of the light budget held a light worker long
    enough to queue light requests: its next query runs heavy. A fast shape slowed once (a busy machine) stays
    light; an entity page is held to the larger SLOW_SHARE. The pool is replaced by one that reports how long the
    worker computed, so no timing is involved."""
    from kg.service import QUERY_SLOW_SHARE, SLOW_SHARE

    budget = 0.3
    service = Service(settings.replace(workers=1, light_workers=1, light_budget_s=budget))
    lanes: list[tuple[str, Lane]] = []
    took = {"slow": budget * QUERY_SLOW_SHARE * 1.2, "fast": budget * QUERY_SLOW_SHARE * 0.2,
            "jolt": budget * QUERY_SLOW_SHARE * 1.5, "page": budget * (QUERY_SLOW_SHARE + SLOW_SHARE) / 2}
    runs: dict[str, int] = {}

    async def run(task, *, lane=Lane.HEAVY, computed=None, **_):
        name = getattr(task, "sparql", "?page").split("?")[1].split()[0]
        lanes.append((name, lane))
        runs[name] = runs.get(name, 0) + 1
        if computed is not None:  # the fast shape's second run is slowed once
            computed(took["jolt" if name == "fast" and runs[name] == 2 else name])
        return "value"

    monkeypatch.setattr(service.pool, "run", run)

    async def scenario() -> None:
        for name in ("slow", "slow", "fast", "fast", "fast", "fast"):
            task = QueryTask(sparql=f"SELECT ?{name} {{}}", result_format="json", graph_format="turtle")
            await service._request(task, f"shape of {name}")
        for _ in range(2):
            await service._request(EntityTask(iri="https://example.org/page"), "page", trial=False)

    asyncio.run(scenario())
    assert lanes == [("slow", Lane.LIGHT), ("slow", Lane.HEAVY), *[("fast", Lane.LIGHT)] * 4,
                     ("page", Lane.LIGHT), ("page", Lane.LIGHT)]


def test_new_shapes_are_tried_one_at_a_time_so_a_light_worker_stays_free_for_known_light_ones(settings, monkeypatch):
    """With two light workers, one new shape at a time is on trial in the light lane: a second new shape waits for
    the trial place, while a shape known to be light and an entity page run at once beside it. The pool is
    replaced by one whose tasks end when the test says, so no timing is involved."""
    service = Service(settings.replace(workers=1, light_workers=2))
    started: list[str] = []
    release: dict[str, asyncio.Event] = {}

    async def run(task, *, lane=Lane.HEAVY, computed=None, **_):
        name = getattr(task, "sparql", None) or f"entity {task.iri}"
        started.append(f"{name} {lane}")
        await release.setdefault(name, asyncio.Event()).wait()
        if computed is not None:
            computed(0.001)
        return None if name.startswith("entity") else name  # None: an entity nothing describes

    monkeypatch.setattr(service.pool, "run", run)

    def query(name: str) -> asyncio.Future:
        return asyncio.ensure_future(service._request(
            QueryTask(sparql=name, result_format="json", graph_format="turtle"), f"shape {name}"))

    async def scenario() -> None:
        release["known"] = asyncio.Event()
        release["known"].set()
        assert await query("known") == "known"  # tried once: known to be light from now on
        started.clear()
        first, second = query("new1"), query("new2")
        await asyncio.sleep(0.05)
        assert started == ["new1 light"]  # the second new shape waits for the trial place
        known = query("known")
        page = asyncio.ensure_future(service.entity("https://example.org/e"))
        await asyncio.sleep(0.05)
        assert started == ["new1 light", "known light", "entity https://example.org/e light"]
        assert await known == "known" and not second.done()
        release["entity https://example.org/e"].set()
        assert await page is None
        release["new1"].set()
        assert await first == "new1"
        await asyncio.sleep(0.05)
        assert started[-1] == "new2 light"  # the trial place was given back
        release["new2"].set()
        assert await second == "new2"

    asyncio.run(scenario())


def test_a_worker_that_kept_memory_after_a_long_task_is_recycled(settings):
    async def scenario() -> None:
        # 1 MiB: any worker that has run a query keeps more than that, so the long one is recycled
        pool = QueryPool(settings.replace(workers=1, light_workers=0, worker_recycle_mb=1, query_timeout_s=60))
        await pool.start()
        try:
            (first,) = pool.worker_pids
            answer = await pool.run(task(ASK))
            assert isinstance(answer, Answer)
            await answer.read()
            assert pool.worker_pids == [first] and pool.recycled == 0  # short tasks are not measured
            long = task("SELECT (COUNT(*) AS ?n) WHERE { { SELECT * WHERE { ?a ?b ?c } LIMIT 3000 } "
                        "{ SELECT * WHERE { ?d ?e ?f } LIMIT 3000 } }")  # 9 million pairs: a second or so
            answer = await pool.run(long)
            assert isinstance(answer, Answer)
            await answer.read()
            answer = await pool.run(task(ASK))  # answered by the fresh fork
            assert isinstance(answer, Answer) and b'"boolean": true' in await answer.read()
            assert pool.recycled == 1 and pool.restarts == 0 and pool.worker_pids != [first]
        finally:
            await pool.close()

    asyncio.run(scenario())


def test_a_worker_is_measured_after_many_short_tasks_as_after_one_long_one(settings, monkeypatch):
    """Busy time adds up over tasks: light requests each too short to be measured still get their worker
    measured (and, past KG_WORKER_RECYCLE_MB, replaced) once together they kept it busy long enough."""
    from kg.workers import memory

    monkeypatch.setattr(memory, "RECYCLE_CHECK_AFTER_S", 0.05)

    async def scenario() -> None:
        # 1 MiB: any worker that has run a query keeps more than that
        pool = QueryPool(settings.replace(workers=1, light_workers=0, worker_recycle_mb=1, query_timeout_s=60))
        await pool.start()
        try:
            (first,) = pool.worker_pids
            longest, count = 0.0, 0
            while count < 2000:
                count += 1
                begun = time.monotonic()
                answer = await pool.run(task(ASK))
                assert isinstance(answer, Answer) and b'"boolean": true' in await answer.read()
                if pool.recycled:
                    break
                longest = max(longest, time.monotonic() - begun)
            assert longest < 0.05  # no task before the recycling was long enough to be measured alone
            assert count > 1 and pool.recycled == 1 and pool.restarts == 0 and pool.worker_pids != [first]
        finally:
            await pool.close()

    asyncio.run(scenario())


def test_a_huge_rendered_piece_travels_in_bounded_messages():
    messages: list[tuple[object, ...]] = []
    send_result(Stream({"form": "SELECT"}, ["a" * 100, b"x" * (5 * CHUNK_BYTES + 7), "end"]), messages.append)
    kinds = [m[0] for m in messages]
    assert kinds[0] == Kind.HEAD and kinds[-1] == Kind.END and set(kinds[1:-1]) == {Kind.CHUNK}
    chunks = [m[1] for m in messages[1:-1]]
    assert all(len(c) <= CHUNK_BYTES for c in chunks)  # type: ignore[arg-type]
    assert b"".join(chunks) == b"a" * 100 + b"x" * (5 * CHUNK_BYTES + 7) + b"end"  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def client():
    from fastapi.testclient import TestClient

    from kg.web.app import create_app

    with TestClient(create_app(Settings(root=ROOT, workers=0))) as c:
        yield c


def test_the_query_page_cuts_long_literals(client):
    long = ("SELECT ?s WHERE { VALUES ?n { 1 2 3 } BIND(\"" + "y" * 50 + "\" AS ?s0) "
            + " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(12))
            + " BIND(CONCAT(STR(?n), ?s12) AS ?s) }")
    response = client.get("/", params={"query": long})
    assert response.status_code == 200
    page = response.text
    # each value is a digit and 50 * 4096 y: the page shows its first 2,000 characters, then an ellipsis
    assert page.count("y" * (PAGE_TERM_CHARS - 1) + "…") >= 3 and "y" * PAGE_TERM_CHARS not in page
    assert len(page) < 100_000


def test_the_query_page_stops_the_rows_past_its_budget(client):
    rows = 500  # below the row cap; each value 1,900 characters (not cut), so twice the page's budget in all
    assert rows * 1900 > 1.5 * PAGE_CHARS and rows < PAGE_ROWS
    query = ("SELECT ?s WHERE { VALUES ?n { " + " ".join(map(str, range(rows))) + " } "
             "BIND(CONCAT(\"R\", STR(?n), \"R\", \"" + "z" * 1900 + "\") AS ?s) }")
    response = client.get("/", params={"query": query})
    assert response.status_code == 200
    shown = set(re.findall(r"R(\d+)R", response.text))
    assert 0 < len(shown) < rows  # cut at the page's budget, not at its row cap
