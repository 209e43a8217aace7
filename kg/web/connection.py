"""The HTTP/1.1 connection under the application: uvicorn's h11 protocol with read deadlines and JSON answers.

uvicorn closes a kept-alive connection that stays idle, but it gives no deadline to a client sending a request:
one that sends half a request line, or trickles its headers a byte at a time, or declares a body it never
finishes, holds its connection (and, for a body, the handler waiting for it) for as long as it likes. Here the
request line and headers must arrive within ``KG_HEADER_TIMEOUT_S`` of their first byte (of the connection,
for its first request) and the body within ``KG_BODY_TIMEOUT_S`` of the end of the headers; past either the
client gets 408 (when it had sent part of a request) and the connection is closed. The other way round, an answer
that waits ``KG_WRITE_TIMEOUT_S`` on a client reading none of it (the transport's write buffer above its high-water
mark the whole time) is cut off: the connection is aborted, which frees its buffers and ends the handler's wait.

Where uvicorn answers a malformed request itself (an invalid request line or header, a request line or headers
longer than h11's 16 KiB buffer) it answers ``text/plain``; here it is the one JSON error body, with 400, 414
(the request line alone is too long) or 431 (the headers are), and the headers of :mod:`kg.web.security`.
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any, ClassVar

import h11
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
from uvicorn.protocols.http.h11_impl import H11Protocol

from kg.settings import Settings
from kg.web.security import SECURITY_HEADERS


def connection_class(settings: Settings) -> type[Connection]:
    """The protocol class uvicorn should build connections with (``uvicorn.Config(http=...)``), with the read
    and write deadlines of ``settings``."""
    return type("KgConnection", (Connection,), {
        "header_timeout_s": settings.header_timeout_s, "body_timeout_s": settings.body_timeout_s,
        "write_timeout_s": settings.write_timeout_s})


class Connection(H11Protocol):
    """One client connection (see the module's docstring). Use :func:`connection_class` for the deadlines."""

    header_timeout_s: ClassVar[float] = 10.0
    body_timeout_s: ClassVar[float] = 30.0
    write_timeout_s: ClassVar[float] = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_for: str | None = None  # "headers" or "body", while a deadline runs
        self._started = False  # some byte of the awaited request has arrived
        self._stalled: asyncio.TimerHandle | None = None  # the write deadline, while the client reads nothing

    # --- deadlines ------------------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm("headers")  # a connection that never sends a byte is closed too

    def data_received(self, data: bytes) -> None:
        if self._waiting_for is None and self.conn.their_state is h11.IDLE:
            self._arm("headers")  # the first byte of a request on a kept-alive connection
        if self._waiting_for == "headers":
            self._started = True
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # may read a pipelined request already buffered
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._unstall()
        super().connection_lost(exc)

    # --- the write deadline -------------------------------------------------------------------------------------

    def pause_writing(self) -> None:
        """The write buffer went over its high-water mark: the client has stopped keeping up. The deadline runs
        until the buffer drains below the low-water mark (:meth:`resume_writing`), which any reading does."""
        super().pause_writing()
        if self._stalled is None:
            self._stalled = self.loop.call_later(self.write_timeout_s, self._write_expired)

    def resume_writing(self) -> None:
        self._unstall()
        super().resume_writing()

    def _unstall(self) -> None:
        if self._stalled is not None:
            self._stalled.cancel()
        self._stalled = None

    def _write_expired(self) -> None:
        self._stalled = None
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # the handler's next send returns at once instead of buffering
        # abort, not close: close would first wait for the buffer to drain, which is what never happens
        self.transport.abort()

    def _follow(self) -> None:
        """Move the deadline along with the client's side of the exchange."""
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            if self._waiting_for != "body":
                self._arm("body")
        elif state is not h11.IDLE:
            self._disarm()  # the request is in (or the connection is over): the query's own deadline rules
        elif self.conn.trailing_data[0]:
            if self._waiting_for != "headers":
                # part of a pipelined request arrived while the last answer was sent: its deadline runs now,
                # instead of the keep-alive timeout meant for a connection that sent nothing
                self._unset_keepalive_if_required()
                self._arm("headers")
                self._started = True
        elif self._waiting_for == "body":
            self._disarm()  # a new cycle began; its first byte arms the header deadline

    def _arm(self, waiting_for: str) -> None:
        self._disarm()
        timeout = self.header_timeout_s if waiting_for == "headers" else self.body_timeout_s
        self._waiting_for = waiting_for
        self._started = waiting_for == "body"
        self._deadline = self.loop.call_later(timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._waiting_for = None

    def _expired(self) -> None:
        waiting_for, started = self._waiting_for, self._started
        self._deadline = None
        self._waiting_for = None
        if self.transport.is_closing():
            return
        if waiting_for == "headers":
            setting, limit = "KG_HEADER_TIMEOUT_S", self.header_timeout_s
            what = "the request line and headers"
        else:
            setting, limit = "KG_BODY_TIMEOUT_S", self.body_timeout_s
            what = "the request body"
        if started:
            self._answer(408, f"{what} did not arrive within {setting}={limit:g} seconds", setting=setting)
        else:
            self.transport.close()  # an idle connection that sent nothing: no one to tell

    # --- errors the connection answers itself -----------------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request h11 cannot parse, as the one JSON error body."""
        buffered = bytes(self.conn.trailing_data[0])
        limit = self.config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        line_end = buffered.find(b"\n")
        if len(buffered) > limit and (line_end < 0 or line_end > limit):
            self._answer(414, f"the request line exceeds {limit} bytes")
        elif len(buffered) > limit:
            self._answer(431, f"the request line and headers exceed {limit} bytes")
        else:
            self._answer(400, "malformed HTTP request: the request line, a header or the body framing is not "
                              "valid HTTP/1.1 (RFC 9112)")

    def _answer(self, status: int, message: str, **details: str) -> None:
        """Send ``status`` with the JSON error body and close the connection; a response already under way is
        cut off instead (the client sees the connection close)."""
        self._disarm()
        cycle = self.cycle if self.cycle is not None and not self.cycle.response_complete else None
        if cycle is not None:
            # the handler, if one runs, now reads a disconnect and its answer goes nowhere
            cycle.disconnected = True
            cycle.message_event.set()
        can_answer = self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE) and not (
            cycle is not None and cycle.response_started)
        if can_answer:
            body = json.dumps({"error": message, "status": status, **details}).encode()
            headers = [*self.server_state.default_headers, (b"content-type", b"application/json"),
                       (b"content-length", str(len(body)).encode()), (b"connection", b"close"),
                       *SECURITY_HEADERS]
            if self.conn.their_state is not h11.IDLE:  # a request (or a broken one) was read
                data = self.conn.send(h11.Response(status_code=status, headers=headers,
                                                   reason=HTTPStatus(status).phrase.encode()))
                data = (data or b"") + (self.conn.send(h11.Data(data=body)) or b"")
                data += self.conn.send(h11.EndOfMessage()) or b""
            else:
                # h11 sends no response before it has read a request: the bytes are written as it would
                lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}".encode()]
                lines += [name + b": " + value for name, value in headers]
                data = b"\r\n".join(lines) + b"\r\n\r\n" + body
            self.transport.write(data)
        self.transport.close()
