"""The persisted store (loaded once per data version) and the prepared figures view."""

from __future__ import annotations

import shutil

import pytest

import kg.store as store_module
from kg.figures import figures
from kg.query import query
from kg.settings import Settings
from kg.store import MANIFEST, ensure_store, open_persisted
from kg.views import FiguresView, prepare_figures

from .conftest import ROOT, source_files


@pytest.fixture
def copy_root(tmp_path):
    """A private copy of ontology/ and data/, so a test can change the data."""
    for name in ("ontology", "data", "seeds"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def test_store_is_built_once_per_data_version(copy_root, tmp_path, monkeypatch):
    settings = Settings(root=copy_root, store_dir=tmp_path / "store")
    first = ensure_store(settings, progress=None)
    assert (first / MANIFEST).exists()

    def must_not_load(*args, **kwargs):
        raise AssertionError("unchanged data was parsed again")

    monkeypatch.setattr(store_module, "fill", must_not_load)
    assert ensure_store(settings, progress=None) == first  # a restart reuses the store
    monkeypatch.undo()

    with (copy_root / "data" / "actors.ttl").open("a") as f:
        f.write('\n<https://w3id.org/ua-children-kg/id/state-ua> '
                '<http://www.w3.org/2004/02/skos/core#altLabel> "Ukraina"@uk .\n')
    second = ensure_store(settings, progress=None)
    assert second != first and (second / MANIFEST).exists()
    assert not first.exists()  # the old version's store was removed


def test_persisted_store_answers_like_the_memory_store(kg, tmp_path):
    settings = Settings(root=ROOT, store_dir=tmp_path / "store", reasoning="none")  # kg is as written too
    persisted = open_persisted(settings)
    assert len(persisted) == len(kg)
    assert persisted.version == kg.version
    assert figures(persisted) == figures(kg)
    q = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    assert [tuple(map(str, r)) for r in query(persisted, q).rows] == [tuple(map(str, r)) for r in query(kg, q).rows]


def test_progress_is_reported_for_large_loads(copy_root, tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "PROGRESS_BYTES", 1)
    lines: list[str] = []
    ensure_store(Settings(root=copy_root, store_dir=tmp_path / "s"), progress=lines.append)
    assert lines[0].startswith("building the store")
    n = len(source_files())
    assert any(f"({n}/{n} files" in line for line in lines)
    assert lines[-1].startswith("store ready")


def test_prepared_view_pages_equal_the_query_answer(kg, tmp_path):
    expected = figures(kg)
    assert prepare_figures(kg, tmp_path / "v") == len(expected)
    view = FiguresView.open(tmp_path / "v")
    assert view is not None and view.count == len(expected)
    assert view.records() == expected
    assert view.records(2, 3) == expected[2:5]
    assert view.records(8, 100) == expected[8:]
    assert view.records(50, 10) == []
    csv_page = view.csv(0, 2).decode().splitlines()
    assert csv_page[0].startswith("claim,value,qualifier") and len(csv_page) == 3


def test_unfinished_view_is_not_opened(tmp_path):
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "figures.csv").write_text("partial")
    assert FiguresView.open(tmp_path / "v") is None


def test_server_with_store_dir_restarts_without_reloading(tmp_path, kg):
    """`kg serve --store-dir`: the first start builds the store and the views, the second reuses both."""
    import json
    import urllib.request

    from .live import live_server

    store = tmp_path / "store"
    for attempt in range(2):
        with live_server(["--store-dir", str(store)]) as base:
            with urllib.request.urlopen(base + "/figures.json?limit=2") as response:
                assert json.load(response) == figures(kg)[:2]
            with urllib.request.urlopen(base + "/sparql?query=ASK%7Bkgr%3Astate-ua%20a%20kg%3AState%7D") as response:
                assert json.load(response)["boolean"] is True
        stores = list(store.glob("store-*"))
        assert len(stores) == 1, attempt
        views = list(store.glob("views-*/figures/complete"))
        assert len(views) == 1
        if attempt == 0:
            built = stores[0].stat().st_mtime_ns, views[0].stat().st_mtime_ns
        else:
            assert (stores[0].stat().st_mtime_ns, views[0].stat().st_mtime_ns) == built


def test_replaced_workers_serve_the_announced_version(copy_root):
    """Workers load the server's snapshot of the files: one started after the data changed on disk (here,
    the replacement of a worker stopped at the timeout) still serves the version the server announced."""
    from fastapi.testclient import TestClient

    from kg.web import create_app

    # no light lane: the slow query is then stopped once, by the heavy worker's deadline
    app = create_app(Settings(root=copy_root, workers=1, light_workers=0, query_timeout_s=1.5))
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    with TestClient(app) as client:
        before = client.get("/sparql", params={"query": count}).json()["results"]["bindings"][0]["n"]["value"]
        version = client.get("/-/version.json").json()["data_version"]
        (copy_root / "data" / "actors.ttl").write_text("")  # the files change under the running server
        cross = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        slow = client.get("/sparql", params={"query": cross})
        assert slow.status_code == 503
        after = client.get("/sparql", params={"query": count}).json()["results"]["bindings"][0]["n"]["value"]
        status = client.get("/-/version.json").json()
    assert status["worker_restarts"] == 1
    assert status["data_version"] == version and after == before


def _age(root, seconds: float = 60) -> None:
    """Backdate every file, so its hash may be trusted (a file modified just now is "racily clean")."""
    import os
    import time

    past = time.time() - seconds
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (past, past))


def test_file_hashes_are_reused_while_size_mtime_and_inode_are_unchanged(copy_root, tmp_path, monkeypatch):
    settings = Settings(root=copy_root, store_dir=tmp_path / "store")
    _age(copy_root)
    first = store_module.cached_sources(settings)
    reads: list[str] = []
    real_read = store_module.read_bytes
    monkeypatch.setattr(store_module, "read_bytes", lambda path: reads.append(str(path)) or real_read(path))
    assert store_module.cached_sources(settings) == first
    assert reads == []  # nothing was read again

    actors = copy_root / "data" / "actors.ttl"
    actors.write_text(actors.read_text().replace("Ukraine", "Ukrayina", 1))  # a new mtime (and size)
    changed = {s.path.name: s.sha256 for s in store_module.cached_sources(settings)}
    assert reads == [str(actors)]  # only the changed file was hashed again
    assert changed["actors.ttl"] != {s.path.name: s.sha256 for s in first}["actors.ttl"]


def test_a_file_changed_just_before_its_hash_was_recorded_is_hashed_again(copy_root, tmp_path, monkeypatch):
    import os

    settings = Settings(root=copy_root, store_dir=tmp_path / "store")
    for path in copy_root.rglob("*.ttl"):
        os.utime(path)  # modified now
    store_module.cached_sources(settings)  # so the hashes recorded now are not trusted yet
    reads: list[str] = []
    real_read = store_module.read_bytes
    monkeypatch.setattr(store_module, "read_bytes", lambda path: reads.append(str(path)) or real_read(path))
    store_module.cached_sources(settings)
    files = [*(copy_root / "data").glob("*.ttl"), *(copy_root / "ontology").glob("*.ttl")]
    assert sorted(reads) == sorted(map(str, files))


def test_cli_figures_from_the_prepared_view_equal_the_query_answer(tmp_path):
    """`kg figures --store-dir` pages the view prepared once per data version; every format and page equals
    the answer of the figures query run on the graph loaded in memory."""
    from .test_cli import run

    store = str(tmp_path / "store")
    for args in (["--format", "csv"], ["--format", "json"], ["--format", "table"],
                 ["--format", "csv", "--offset", "2", "--limit", "3"], ["--format", "json", "--limit", "1"],
                 ["--format", "csv", "--offset", "100"]):
        direct = run("figures", *args)
        prepared = run("figures", *args, "--store-dir", store)
        assert direct.returncode == prepared.returncode == 0, prepared.stderr
        assert prepared.stdout == direct.stdout, args
    view_files = sorted((tmp_path / "store").glob("views-*/figures/complete"))
    assert len(view_files) == 1  # built once, then reused
    again = run("figures", "--format", "csv", "--store-dir", store)
    assert again.stderr == ""  # no store build, no view preparation: the prepared view answered


def test_the_view_is_prepared_even_when_the_query_takes_longer_than_a_request_may(tmp_path):
    from kg.errors import QueryTimeout
    from kg.graph import load

    hasty = load(settings=Settings(root=ROOT, query_timeout_s=1e-9))
    with pytest.raises(QueryTimeout):
        figures(hasty)  # a request is bound by the timeout ...
    assert prepare_figures(hasty, tmp_path / "view") > 0  # ... preparing the view once per version is not
    view = FiguresView.open(tmp_path / "view")
    assert view is not None and view.records() == figures(hasty, timeout_s=60)


def test_a_same_size_edit_with_its_modification_time_put_back_is_hashed_again(copy_root, tmp_path):
    import os

    settings = Settings(root=copy_root, store_dir=tmp_path / "store")
    _age(copy_root)
    before = {s.path.name: s.sha256 for s in store_module.cached_sources(settings)}
    actors = copy_root / "data" / "actors.ttl"
    st = actors.stat()
    text = actors.read_text()
    actors.write_text(text.replace("Ukraine", "Ukrayne", 1))  # same size
    os.utime(actors, ns=(st.st_atime_ns, st.st_mtime_ns))  # as `touch -r` or `rsync -t` would
    assert actors.stat().st_size == st.st_size and actors.stat().st_mtime_ns == st.st_mtime_ns
    after = {s.path.name: s.sha256 for s in store_module.cached_sources(settings)}
    assert after["actors.ttl"] != before["actors.ttl"]  # the change time told


def test_a_damaged_view_is_prepared_again(tmp_path, kg):
    prepare_figures(kg, tmp_path / "view")
    (tmp_path / "view" / "complete").write_text("not a number")
    assert FiguresView.open(tmp_path / "view") is None


def test_cli_figures_with_a_file_as_store_dir_exits_2_in_one_line(tmp_path):
    from .test_cli import run

    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    proc = run("figures", "--store-dir", str(not_a_dir))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"kg figures: {not_a_dir}: cannot use as the store directory")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_store_in_use_is_not_pruned_by_another_command(copy_root, tmp_path):
    """A server holds its version's store (kg.store.hold); a newer version built meanwhile by another command
    (say `kg figures --store-dir` after an edit) leaves it alone, and prunes it once it is released."""
    import os

    settings = Settings(root=copy_root, store_dir=tmp_path / "store")
    served = ensure_store(settings, progress=None)
    (tmp_path / "store" / served.name.replace("store-", "views-")).mkdir()
    lock = store_module.hold(served)
    actors = copy_root / "data" / "actors.ttl"
    actors.write_text(actors.read_text() + "\n# an edit\n")
    newer = ensure_store(settings, progress=None)
    assert newer != served and (served / MANIFEST).exists()  # still there: in use
    assert (tmp_path / "store" / served.name.replace("store-", "views-")).exists()
    os.close(lock)
    actors.write_text(actors.read_text() + "\n# another edit\n")
    newest = ensure_store(settings, progress=None)
    assert not served.exists() and not newer.exists() and newest.exists()
    assert not (tmp_path / "store" / served.name.replace("store-", "views-")).exists()
