"""Settings: safe defaults, KG_* environment variables, clear errors for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.errors import UsageError
from kg.settings import Settings


def test_safe_defaults():
    s = Settings()
    assert s.host == "127.0.0.1"
    assert s.query_timeout_s == 10.0
    assert s.max_rows > 0
    assert s.service_allowlist == ()


def test_environment_overrides():
    s = Settings.from_env({"KG_QUERY_TIMEOUT_S": "2.5", "KG_MAX_ROWS": "7", "KG_PORT": "9000",
                           "KG_ROOT": "/tmp", "KG_SERVICE_ALLOWLIST": "http://a/sparql,http://b/sparql"})
    assert (s.query_timeout_s, s.max_rows, s.port, s.root) == (2.5, 7, 9000, Path("/tmp"))
    assert s.service_allowlist == ("http://a/sparql", "http://b/sparql")


def test_flags_override_environment_and_none_keeps_value():
    s = Settings.from_env({"KG_MAX_ROWS": "7"}).replace(max_rows=None, port=1234)
    assert (s.max_rows, s.port) == (7, 1234)


@pytest.mark.parametrize(("name", "value"), [("KG_QUERY_TIMEOUT_S", "soon"), ("KG_QUERY_TIMEOUT_S", "0"),
                                              ("KG_MAX_ROWS", "-1"), ("KG_PORT", "http")])
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(UsageError, match=name):
        Settings.from_env({name: value})


def test_documented_lists_every_setting_with_help():
    rows = Settings().documented()
    assert {r["env"] for r in rows} >= {"KG_HOST", "KG_QUERY_TIMEOUT_S", "KG_MAX_ROWS"}
    assert all(r["help"] for r in rows)


@pytest.mark.parametrize(("field", "value", "name"), [("workers", -1, "KG_WORKERS"), ("max_rows", -5, "KG_MAX_ROWS"),
                                                      ("query_timeout_s", 0, "KG_QUERY_TIMEOUT_S")])
def test_flag_values_are_validated_too(field, value, name):
    with pytest.raises(UsageError, match=name):
        Settings().replace(**{field: value})


def test_file_limits_come_from_the_environment_and_are_validated():
    s = Settings.from_env({"KG_MAX_FILE_BYTES": "1000", "KG_CHECK_MAX_BYTES": "500"})
    assert (s.max_file_bytes, s.check_max_bytes) == (1000, 500)
    assert Settings().max_file_bytes >= 256 * 1024 * 1024 > Settings().check_max_bytes > 0
    for name in ("KG_MAX_FILE_BYTES", "KG_CHECK_MAX_BYTES"):
        with pytest.raises(UsageError, match=name):
            Settings.from_env({name: "0"})
def test_store_settings_come_from_the_environment_and_the_password_is_never_shown():
    s = Settings.from_env({"KG_STORE_URL": "http://127.0.0.1:7878/query", "KG_STORE_USER": "dba",
                           "KG_STORE_PASSWORD": "s3cret", "KG_STORE_AUTH": "basic"})
    assert (s.store_url, s.store_user, s.store_password, s.store_auth) == (
        "http://127.0.0.1:7878/query", "dba", "s3cret", "basic")
    shown = {r["env"]: r["value"] for r in s.documented()}
    assert shown["KG_STORE_PASSWORD"] == "(set)" and "s3cret" not in repr(s) + str(s.documented())
    assert {r["env"]: r["value"] for r in Settings().documented()}["KG_STORE_PASSWORD"] is None


@pytest.mark.parametrize(("name", "value"), [("KG_STORE_URL", "127.0.0.1:7878/query"),
                                              ("KG_GRAPH_STORE_URL", "ftp://host/store"),
                                              ("KG_STORE_AUTH", "kerberos")])
def test_bad_store_settings_name_the_variable(name, value):
    with pytest.raises(UsageError, match=name):
        Settings.from_env({name: value})
