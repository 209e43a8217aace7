"""Where a request's time went, for the ``Server-Timing`` header (W3C Server Timing): the web shell opens a
record per request (:func:`collecting`), the query pool adds to it (:func:`add`), and the shell writes it out
(:func:`header_value`).

Why a context variable: the pool is called several layers below the request (router, service, lane choice, a
rerun in the heavy lane) and must not take a request object; a context variable follows the request's task,
and its threads, without any of those layers passing it on. Outside a request nothing is recorded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

#: What each name of the header means (its ``desc``): the metrics a request can carry besides ``total``.
METRICS: dict[str, str] = {
    "wait": "waiting for a free query worker",
    "compute": "a query worker computing until its first message",
}

_current: ContextVar[dict[str, float] | None] = ContextVar("kg_timings", default=None)


@contextlib.contextmanager
def collecting() -> Iterator[dict[str, float]]:
    """Record the timings added while the block runs (in seconds, summed per name) in the dict it yields."""
    timings: dict[str, float] = {}
    token = _current.set(timings)
    try:
        yield timings
    finally:
        _current.reset(token)


def add(name: str, seconds: float) -> None:
    """Add ``seconds`` to metric ``name`` (one of :data:`METRICS`) of the current request; a no-op outside one.
    A request that runs twice (a light try, then the heavy lane) adds both runs."""
    timings = _current.get()
    if timings is not None:
        timings[name] = timings.get(name, 0.0) + seconds


def header_value(timings: dict[str, float], total: float) -> str:
    """The ``Server-Timing`` value: ``total`` (the server's time until the head of the answer, in ms) and each
    recorded metric, e.g. ``total;dur=12.3, wait;dur=0.1;desc="..."``."""
    parts = [f"total;dur={total * 1000:.1f}"]
    parts += [f'{name};dur={seconds * 1000:.1f};desc="{METRICS[name]}"' for name, seconds in timings.items()]
    return ", ".join(parts)
