"""Typed errors cross process boundaries whole, and unexpected failures are logged, never shown to clients."""

from __future__ import annotations

import asyncio
import inspect
import logging
import pickle

import pytest
from fastapi.testclient import TestClient

from kg import errors
from kg.errors import InternalError, KgError, RdfSyntaxError
from kg.settings import Settings
from kg.web.app import create_app
from kg.workers.pool import QueryPool
from kg.workers.protocol import DumpTask, QueryTask

from .conftest import ROOT

ERROR_CLASSES = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, KgError)]


def test_rdf_syntax_error_pickles_with_its_position():
    err = RdfSyntaxError("unexpected end of file", path="data/x.ttl", line=3, column=7)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is RdfSyntaxError
    assert (back.path, back.line, back.column, back.reason) == ("data/x.ttl", 3, 7, "unexpected end of file")
    assert str(back) == "data/x.ttl:3:7: unexpected end of file" and back.to_json() == err.to_json()


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_every_error_class_pickles_with_its_details(cls):
    err = (cls() if cls is InternalError else
           cls("m", path="p", line=1, column=2) if cls is RdfSyntaxError else cls("a message", setting="KG_X"))
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls and back.__dict__ == err.__dict__ and back.args == err.args
    assert (back.http_status, back.exit_code) == (err.http_status, err.exit_code)


@pytest.mark.parametrize("workers", [0, 1])
def test_a_worker_error_keeps_its_attributes_across_the_pipe(workers, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n")

    async def start() -> None:
        pool = QueryPool(Settings(root=ROOT), [bad], size=workers)
        try:
            await pool.start()
        finally:
            await pool.close()

    with pytest.raises(RdfSyntaxError) as caught:
        asyncio.run(start())
    assert caught.value.path == str(bad) and caught.value.line == 2


@pytest.mark.parametrize("workers", [0, 1])
def test_an_unexpected_worker_error_is_logged_and_answered_generically(workers, tmp_path, caplog, capfd):
    missing = tmp_path / "no-such-folder" / "dump.ttl"  # the write fails with an OSError: a server-side fault

    async def run() -> None:
        pool = QueryPool(Settings(root=ROOT), size=workers)
        await pool.start()
        try:
            with pytest.raises(InternalError) as caught:
                await pool.run(DumpTask(path=str(missing), format="turtle"))
            assert "no-such-folder" not in str(caught.value)  # the client never sees the failure's text
            answer = await pool.run(QueryTask(sparql="ASK {}", result_format="json", graph_format="turtle"))
            assert b"true" in await answer.read()  # the worker still serves
        finally:
            await pool.close()

    with caplog.at_level(logging.ERROR, logger="kg.workers"):
        asyncio.run(run())
    logged = caplog.text + capfd.readouterr().err  # in a worker process the log goes to the inherited stderr
    assert "unexpected error while running DumpTask" in logged
    assert "Traceback" in logged and "FileNotFoundError" in logged and "no-such-folder" in logged


def test_an_unexpected_server_error_is_a_generic_500_with_the_traceback_logged(caplog, monkeypatch):
    from kg.service import Service

    async def broken(self: Service, *args: object, **kwargs: object) -> None:
        raise RuntimeError("secret detail /etc/kg")

    monkeypatch.setattr(Service, "query", broken)
    with TestClient(create_app(Settings(root=ROOT, workers=0)), raise_server_exceptions=False) as client, \
            caplog.at_level(logging.ERROR, logger="kg.web"):
        response = client.get("/sparql", params={"query": "ASK {}"})
    assert response.status_code == 500
    assert response.json() == {"error": InternalError().message, "status": 500}
    assert "secret" not in response.text
    assert "unexpected error answering GET /sparql" in caplog.text and "secret detail" in caplog.text
    assert any(r.exc_info for r in caplog.records if r.name == "kg.web")

