"""Running the application: ``serve`` (uvicorn on a port) and ``serve_get`` (one request, in-process)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from kg.settings import Settings


def preflight(settings: Settings, data: Sequence[Path | str] | None) -> None:
    """Fail before serving, with the CLI's one-line message and exit code, when the data cannot be loaded: a
    missing path, or a file that does not parse (the store is built here when it is persisted)."""
    import pyoxigraph as ox

    from kg.graph import OX_FORMATS, format_of, parse_file, source_files

    if settings.store_dir is not None:
        from kg.store import ensure_store

        ensure_store(settings, data)
        return
    for src in source_files(data, settings):
        if format_of(src.path) in ("nquads", "trig"):
            parse_file(src.path)
            continue
        try:  # parse without keeping the triples: memory stays flat whatever the size
            for _ in ox.parse(path=str(src.path), format=OX_FORMATS[format_of(src.path)]):
                pass
        except (SyntaxError, ValueError):
            parse_file(src.path)  # raises the located RdfSyntaxError


def serve(settings: Settings, *, data: Sequence[Path | str] | None = None) -> int:
    """Serve until interrupted; returns the exit code. Binds ``settings.host`` (loopback by default)."""
    import uvicorn

    from kg.web.app import create_app

    preflight(settings, data)
    app = create_app(settings, data=data)
    print(f"kg: serving http://{settings.host}:{settings.port}/ (SPARQL endpoint /sparql; Ctrl+C stops)",
          file=sys.stderr)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False)
    return 0


def serve_get(settings: Settings, path: str, *, data: Sequence[Path | str] | None = None,
              accept: str | None = None) -> tuple[int, bytes]:
    """Send one GET request to the application in-process (no port); returns status and body.

    Queries run in threads of this process (``workers=0``): no worker processes are started for one request.
    """
    from fastapi.testclient import TestClient

    from kg.web.app import create_app

    app = create_app(settings.replace(workers=0), data=data)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(path, headers={"accept": accept} if accept else None)
        return response.status_code, response.content
