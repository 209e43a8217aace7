"""The file helpers: atomic writes keep the umask and an existing file's mode, leave nothing behind and refuse
to replace a file that changed; only regular files are read, capped; folders expand without skipping what is
not a regular file; a dump whose gzip copy went missing is written again rather than answered with a 500."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient

from kg.errors import FileChanged, InputError
from kg.files import expand, kind_of, read_bytes, write_atomic
from kg.settings import Settings
from kg.turtle.lexer import Pos, oversized_token
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


def test_expand_reports_what_a_folder_entry_is_and_does_not_follow_folder_links(tmp_path):
    (tmp_path / "a.ttl").write_text("")
    (tmp_path / "notes.txt").symlink_to("gone")  # not an RDF file: not looked at
    (tmp_path / "up").symlink_to(tmp_path)  # a link to a folder: not entered (it would loop)
    assert expand([tmp_path], {".ttl"}) == [tmp_path / "a.ttl"]
    (tmp_path / "loop.ttl").symlink_to("loop.ttl")
    with pytest.raises(InputError, match=r"loop\.ttl: a symbolic link loop, not a regular file"):
        expand([tmp_path], {".ttl"})


@pytest.mark.parametrize(("make", "kind"), [(lambda p: p.write_text("x"), None),
                                            (lambda p: p.mkdir(), "a directory"),
                                            (lambda p: os.mkfifo(p), "a FIFO"),
                                            (lambda p: p.symlink_to("/dev/null"), "a device"),
                                            (lambda p: p.symlink_to(p.name), "a symbolic link loop"),
                                            (lambda p: p.symlink_to("gone"), "a dangling symbolic link"),
                                            (lambda p: None, "no such file or directory")])
def test_kind_of_names_every_kind_of_path(tmp_path, make, kind):
    path = tmp_path / "x.ttl"
    make(path)
    assert kind_of(path) == kind


def test_read_bytes_is_capped(tmp_path):
    path = tmp_path / "x.ttl"
    path.write_bytes(b"0123456789")
    assert read_bytes(path, limit=10) == b"0123456789"
    with pytest.raises(InputError, match=r"10 bytes, larger than KG_MAX_FILE_BYTES=9; raise the setting"):
        read_bytes(path, limit=9)


def test_a_write_guarded_by_the_old_bytes_refuses_a_changed_file(tmp_path):
    path = tmp_path / "x.ttl"
    path.write_bytes(b"old")
    write_atomic(path, b"new", unchanged=b"old")
    assert path.read_bytes() == b"new"
    with pytest.raises(FileChanged, match=r"x\.ttl: changed while it was being rewritten"):
        write_atomic(path, b"newer", unchanged=b"old")
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["x.ttl"]


def test_oversized_token_finds_literals_iris_and_comments():
    text = ('<http://e/s> <http://e/p>\n  "0123456789abc" .\n# a long comment here\n'
            "<http://e/0123456789> <http://e/p> 1 .\n")
    assert oversized_token(text, limit=14) == (Pos(2, 3), "literal", 15)
    assert oversized_token(text.replace("0123456789abc", "x"), limit=14) == (Pos(3, 1), "comment", 21)
    assert oversized_token(text.replace("0123456789abc", "x").replace("long ", ""), limit=19) == (
        Pos(4, 1), "IRI", 21)
    assert oversized_token(text, limit=100) is None
