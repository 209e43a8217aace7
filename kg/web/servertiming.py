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

from starlette.types import Receive, Scope, Send

from kg import timings
from kg.web.middleware import HttpMiddleware, RawHeaders, adding_headers


class ServerTiming(HttpMiddleware):
    """Adds ``Server-Timing`` to the head of every HTTP answer, timed from when this middleware is called."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        with timings.collecting() as recorded:

            def header(_present: RawHeaders) -> RawHeaders:
                return [(b"server-timing", timings.header_value(recorded, time.perf_counter() - start).encode())]

            await self.app(scope, receive, adding_headers(send, header))
