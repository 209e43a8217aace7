"""The Server-Timing header: every answer says how long the server took until its head, and an answer that used
the query pool how long it waited for a worker and how long the worker computed."""

from __future__ import annotations

import asyncio
import re
import urllib.parse
import urllib.request

import pytest
from fastapi.testclient import TestClient

from kg import timings
from kg.settings import Settings
from kg.web.app import create_app
from kg.workers.pool import QueryPool
from kg.workers.protocol import QueryTask

from .conftest import ROOT
from .live import live_server

ASK = "ASK { ?s a <https://w3id.org/ua-children-kg/ontology#State> }"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
# W3C Server Timing §3: metric *( OWS ";" OWS param ), params dur=<number> and desc=<quoted string>
METRIC = re.compile(r'(?P<name>[a-z]+);dur=(?P<dur>\d+(?:\.\d+)?)(?:;desc="[^"]*")?')


def parse(header: str) -> dict[str, float]:
    """The header's metrics in ms, each checked against the grammar."""
    metrics: dict[str, float] = {}
    for part in header.split(", "):
        match = METRIC.fullmatch(part)
        assert match, f"not a Server-Timing metric: {part!r}"
        metrics[match["name"]] = float(match["dur"])
    return metrics


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(root=ROOT, workers=1))) as c:
        yield c


@pytest.mark.parametrize("path,status", [("/-/version.json", 200), ("/id/no-such-entity", 404),
                                         ("/sparql?query=SELEC", 400), ("/static/no-such-file.css", 404)])
def test_every_answer_says_the_servers_time_until_its_head(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    metrics = parse(response.headers["server-timing"])
    assert "total" in metrics and metrics["total"] >= 0


def test_a_query_says_its_wait_and_compute_within_the_total(client):
    response = client.get("/sparql", params={"query": ASK}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200
    metrics = parse(response.headers["server-timing"])
    assert {"total", "wait", "compute"} <= metrics.keys()
    assert metrics["wait"] + metrics["compute"] <= metrics["total"] + 0.2  # each is rounded to 0.1 ms


def test_a_request_that_queued_behind_a_busy_worker_says_it_waited(settings):
    async def scenario() -> tuple[dict[str, float], dict[str, float]]:
        pool = QueryPool(settings.replace(workers=1, light_workers=0))
        await pool.start()
        try:
            async def timed(sparql: str, timeout: float) -> dict[str, float]:
                with timings.collecting() as recorded:
                    try:
                        answer = await pool.run(QueryTask(sparql=sparql, result_format="json",
                                                          graph_format="turtle"), timeout=timeout)
                        await answer.read()
                    except Exception:  # the slow one ends at its deadline; its timings are what is tested
                        pass
                return recorded

            slow = asyncio.ensure_future(timed(SLOW, 1.0))
            await asyncio.sleep(0.1)  # the slow query holds the only worker
            quick = await timed(ASK, 30.0)
            return await slow, quick
        finally:
            await pool.close()

    slow, quick = asyncio.run(scenario())
    assert slow["wait"] < 0.5 and slow["compute"] >= 0.9  # computed until its deadline
    assert quick["wait"] >= 0.5  # waited for the slow query's worker to be stopped and replaced
    assert quick["compute"] < quick["wait"]


def test_a_real_server_sends_it_and_exposes_it_to_scripts_of_other_origins():
    with live_server(env={"KG_REASONING": "none"}) as base:
        url = base + "/sparql?" + urllib.parse.urlencode({"query": ASK})
        request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json",
                                                       "Origin": "https://example.org"})
        with urllib.request.urlopen(request, timeout=30) as response:
            metrics = parse(response.headers["Server-Timing"])
            exposed = response.headers["Access-Control-Expose-Headers"]
    assert {"total", "wait", "compute"} <= metrics.keys()
    assert "Server-Timing" in exposed.split(", ")


def test_outside_a_request_nothing_is_recorded():
    timings.add("wait", 1.0)  # no record open: must neither fail nor leak into the next request's
    with timings.collecting() as recorded:
        timings.add("compute", 0.25)
        timings.add("compute", 0.25)
    assert recorded == {"compute": 0.5}
