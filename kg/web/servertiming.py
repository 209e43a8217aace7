"""The ``Server-Timing`` header (W3C Server Timing) on every answer of the application: the server's own time
until the head of the answer (``total``) and, for a request that used the query pool, the time it waited for a
free worker (``wait``) and the worker's time until its first message (``compute``); see :mod:`kg.timings`.

Why: a client that sees a slow answer can tell the server's time from the network's and its own, and a slow
server answer queueing from computing (``bench/bench_load.py`` splits its slowest light requests so). Browsers
show the header in their developer tools. What the server did after the head (streaming a large answer) is not
in it: the header leaves before the body.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kg import timings


class ServerTiming:
    """Adds ``Server-Timing`` to the head of every HTTP answer, timed from when this middleware is called."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        with timings.collecting() as recorded:

            async def timed(message: Message) -> None:
                if message["type"] == "http.response.start":
                    value = timings.header_value(recorded, time.perf_counter() - start)
                    message = {**message, "headers": [*message.get("headers", []),
                                                      (b"server-timing", value.encode())]}
                await send(message)

            await self.app(scope, receive, timed)
