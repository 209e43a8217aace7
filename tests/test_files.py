"""The file helpers: atomic writes keep the umask and an existing file's mode, and leave nothing behind; a dump
whose gzip copy went missing is written again rather than answered with a 500."""

from __future__ import annotations

import os

from fastapi.testclient import TestClient

from kg.files import write_atomic
from kg.settings import Settings
from kg.web.app import create_app

from .conftest import ROOT


def test_atomic_writes_honour_the_umask_and_keep_an_existing_mode(tmp_path):
    old = os.umask(0o077)
    try:
        write_atomic(tmp_path / "new.txt", "private")
    finally:
        os.umask(old)
    assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o600
    kept = tmp_path / "kept.txt"
    kept.write_text("x")
    kept.chmod(0o640)
    write_atomic(kept, b"y")
    assert kept.read_bytes() == b"y" and kept.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt", "new.txt"]  # no temporary file left


def test_a_dump_whose_gzip_copy_is_gone_is_written_again():
    with TestClient(create_app(Settings(root=ROOT, workers=0))) as client:
        first = client.get("/dump.ttl", headers={"accept-encoding": "gzip"})
        assert first.status_code == 200
        state = client.app.state.kg
        for gz in state.dump_dir.glob("*.gz"):
            gz.unlink()
        state.cache.clear()  # as after a restart over a persisted dump directory
        again = client.get("/dump.ttl", headers={"accept-encoding": "gzip"})
        assert again.status_code == 200 and again.content == first.content
