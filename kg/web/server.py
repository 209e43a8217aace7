"""Running the application: ``serve`` (uvicorn on a port) and ``serve_get`` (one request, in-process)."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from kg.errors import UsageError
from kg.settings import Settings


def serve(settings: Settings, *, data: Sequence[Path | str] | None = None) -> int:
    """Serve until interrupted; returns the exit code. Binds ``settings.host`` (loopback by default).

    The port is bound and listening first, so a port in use fails at once. Then the graph is loaded (or the
    persisted store built) before any request is answered, by the same state the application then serves from:
    data that does not parse fails here with the CLI's one-line message naming the file and line, and is read
    once, not once to check and once to serve."""
    # Tracebacks of unexpected errors (the server's and its workers', which share its stderr) go to stderr.
    logging.basicConfig(level=logging.WARNING, format="kg: %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return asyncio.run(_serve(settings, data))


async def _serve(settings: Settings, data: Sequence[Path | str] | None) -> int:
    import uvicorn

    from kg.web.app import create_app
    from kg.web.connection import connection_class
    from kg.web.state import ServerState

    sock = bind(settings.host, settings.port)  # first: a port in use fails at once, not after a long load
    state = ServerState(settings, [Path(p) for p in data] if data is not None else None)
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    try:
        # SIGTERM while loading stops the load and cleans up (uvicorn handles it once serving)
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            await state.start()
        except asyncio.CancelledError:
            print("kg serve: stopped while loading", file=sys.stderr)
            return 128 + signal.SIGTERM
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
        app = create_app(settings, data=data, state=state)
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        print(f"kg: serving http://{shown}:{port}/ from root {settings.root} (SPARQL endpoint /sparql; Ctrl+C "
              "stops)", file=sys.stderr)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                               http=connection_class(settings)))
        await server.serve(sockets=[sock])
    finally:
        await state.close()  # also when serving fails: no worker outlives the command
        sock.close()
    return 0


def bind(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` (connections wait in its backlog until the graph is loaded), or
    :class:`UsageError` naming the settings."""
    sock: socket.socket | None = None
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                      flags=socket.AI_PASSIVE)[0]
        # IPPROTO_TCP, not protocol 0: asyncio sets TCP_NODELAY on accepted connections only for a socket whose
        # proto says TCP, and without it a small answer on a kept-alive connection waits ~40 ms for a delayed ACK
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        # listening now claims the port: with SO_REUSEADDR a second server could bind it until one listens
        sock.listen(2048)
    except OSError as err:
        if sock is not None:
            sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {err.strerror or err} (KG_HOST, KG_PORT)") from None
    return sock


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
