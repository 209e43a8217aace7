"""The wire protocol between the server and its query workers: the tasks, the messages that answer them, and
the error codec. Both sides import it; it imports neither.

A task is a small frozen dataclass, one class per operation of :mod:`kg.workers.operations`, so a call is
checked where it is built (a misspelt field is a ``TypeError`` in the caller, caught by a type checker) and
never resolved by name in the worker.

Messages, each one pickled tuple on the pipe (:class:`Kind` names its first element):

* ``("ready", pid)``: the worker has loaded the graph;
* ``("value", obj)``: a task's whole answer, a plain picklable value;
* ``("whole", meta, bytes)``: a small rendered answer in one message (one round trip instead of three);
* ``("head", meta)``, then ``("chunk", bytes)`` ..., then ``("end", meta)``: a large answer, streamed, each
  chunk at most :data:`CHUNK_BYTES` (however long one rendered piece is); ``end`` repeats the metadata with
  the flags decided while the body was rendered (a page's truncation);
* ``("error", err)``: a :class:`kg.errors.KgError`, which pickles with its attributes; anything else that went
  wrong is logged with its traceback where it happened and travels as :class:`kg.errors.InternalError`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from multiprocessing.connection import Connection
from typing import Any

from kg.errors import InternalError, KgError

log = logging.getLogger("kg.workers")

#: Body pieces are gathered into messages of about this size, and a longer piece is split: large enough to
#: amortise a pipe round trip, small enough that a client sees the first bytes of a large result at once and
#: that the server's event loop never reads one huge message (a 256 MB literal) in one go.
CHUNK_BYTES = 64 * 1024


class Kind(StrEnum):
    """The first element of every message."""

    READY = "ready"
    VALUE = "value"
    WHOLE = "whole"
    HEAD = "head"
    CHUNK = "chunk"
    END = "end"
    ERROR = "error"


# --- tasks ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class QueryTask:
    """Run a SPARQL query; the answer is rendered in ``result_format`` (SELECT/ASK) or ``graph_format``."""

    sparql: str
    result_format: str
    graph_format: str
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    base_iri: str | None = None
    max_rows: int | None = None  # None: the settings' KG_MAX_ROWS; 0: no cap
    max_bytes: int | None = None  # pages: long literals cut, rows stop past this many characters of terms


@dataclass(frozen=True, kw_only=True)
class DescribeTask:
    """The Concise Bounded Description of ``iri`` in ``graph_format``; the value None when nothing describes it."""

    iri: str
    graph_format: str


@dataclass(frozen=True, kw_only=True)
class EntityTask:
    """Page ``page`` (from 1) of what the entity page of ``iri`` shows (a :class:`kg.entities.EntityView`), or
    None."""

    iri: str
    page: int = 1


@dataclass(frozen=True, kw_only=True)
class DumpTask:
    """Write the whole graph to ``path`` in ``format`` with a gzip copy beside it; the value is a DumpInfo.
    ``inferred``: with the inferred graph (kg.reasoning), else only what the files say."""

    path: str
    format: str
    inferred: bool = True


@dataclass(frozen=True, kw_only=True)
class StatsTask:
    """The counts of the VoID description (a :class:`kg.workers.operations.Stats`)."""


@dataclass(frozen=True, kw_only=True)
class PrepareFiguresTask:
    """Write the prepared figures view of this data version into ``directory``; the value is its row count."""

    directory: str


@dataclass(frozen=True, kw_only=True)
class CompareTask:
    """The sources side by side (:func:`kg.compare.comparison`): records, at most ``max_rows`` of them."""

    max_rows: int


Task = QueryTask | DescribeTask | EntityTask | DumpTask | StatsTask | PrepareFiguresTask | CompareTask


# --- answers -------------------------------------------------------------------------------------------------

@dataclass
class Stream:
    """What an operation returns for a rendered answer: ``meta`` first (form, format, truncation), then the body
    pieces, produced lazily so a large result is never held whole."""

    meta: dict[str, Any]
    body: Iterable[str | bytes] = field(default_factory=list)


@dataclass
class Answer:
    """A rendered answer as the server receives it: ``meta`` first, then the body chunks. ``body`` is the whole
    body when it was small enough to arrive in one message (callers may skip streaming then).

    Whoever sends the answer on must call :meth:`close` when the response ends, however it ends (a client that
    disconnects before the first chunk never runs the stream): an unfinished stream's worker is then replaced
    instead of being left blocked on a full pipe."""

    meta: dict[str, Any]
    chunks: AsyncIterator[bytes]
    body: bytes | None = None
    release: Callable[[bool], None] | None = field(default=None, repr=False)
    #: when the stream must have ended (``time.monotonic()``, the event loop's clock); None: no deadline
    deadline: float | None = None

    def close(self) -> None:
        if self.release is not None:
            self.release(False)

    async def read(self) -> bytes:
        """The whole body (for answers that are consumed at once, such as pages)."""
        if self.body is not None:
            self.close()
            return self.body
        try:
            return b"".join([chunk async for chunk in self.chunks])
        finally:
            self.close()


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    """The chunks of a body that arrived whole."""
    yield data


def settled(message: tuple[Any, ...]) -> object:
    """What a task's first message says when it is the whole answer (anything but a ``head``): the value, or an
    :class:`Answer` of the one body it carries; the error of an ``error`` message is raised."""
    if message[0] == Kind.VALUE:
        return message[1]
    if message[0] == Kind.WHOLE:
        return Answer(meta=message[1], chunks=one_chunk(message[2]), body=message[2])
    raise raise_error(message)


def send_result(result: object, send: Callable[[tuple[Any, ...]], None]) -> None:
    """Send an operation's result: a :class:`Stream` as ``whole`` or ``head``/``chunk``/``end``, any other value
    as ``value``."""
    if not isinstance(result, Stream):
        send((Kind.VALUE, result))
        return
    buffered: list[bytes] = []
    size = 0
    started = False
    for piece in result.body:
        data = piece.encode("utf-8") if isinstance(piece, str) else piece
        buffered.append(data)
        size += len(data)
        if size >= CHUNK_BYTES:
            if not started:
                send((Kind.HEAD, result.meta))
                started = True
            joined = b"".join(buffered)
            whole = len(joined) - len(joined) % CHUNK_BYTES
            for start in range(0, whole, CHUNK_BYTES):
                send((Kind.CHUNK, joined[start:start + CHUNK_BYTES]))
            buffered = [joined[whole:]] if whole < len(joined) else []
            size = len(joined) - whole
    if not started:
        send((Kind.WHOLE, result.meta, b"".join(buffered)))
        return
    if buffered:
        send((Kind.CHUNK, b"".join(buffered)))
    send((Kind.END, result.meta))


async def recv(conn: Connection, timeout: float) -> Any:
    """Receive one message without blocking the event loop; :class:`TimeoutError` after ``timeout`` seconds."""
    if not conn.poll():
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        fd = conn.fileno()
        loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
        try:
            await asyncio.wait_for(ready, timeout)
        finally:
            loop.remove_reader(fd)
    return conn.recv()


# --- the error codec -----------------------------------------------------------------------------------------

class Stopped(BaseException):
    """Raised by a task's ``send`` when nobody reads its messages any more (a thread whose caller gave up): the
    task stops at once, without an error message or a logged traceback."""


def error_message(err: BaseException, doing: str) -> tuple[Kind, KgError]:
    """The ``error`` message for a failure while ``doing`` something. A :class:`KgError` travels as it is; any
    other failure is a bug or the machine's, so its traceback is logged here (the worker's stderr is the
    server's) and the client only learns that it happened."""
    if isinstance(err, KgError):
        return (Kind.ERROR, err)
    log.error("unexpected error while %s", doing, exc_info=err)
    return (Kind.ERROR, InternalError())


def raise_error(message: tuple[Any, ...]) -> KgError:
    """The error an ``error`` message carries (anything else received in its place is a protocol bug)."""
    err = message[1] if len(message) > 1 else None
    if isinstance(err, KgError):
        return err
    log.error("malformed message from a query worker: %r", message[:1])
    return InternalError()
