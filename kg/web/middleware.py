"""What the application's own ASGI middleware share: HTTP requests go to the middleware, everything else (the
lifespan) straight through (:class:`HttpMiddleware`), and headers added to the head of an answer
(:func:`adding_headers`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: An answer's raw headers.
RawHeaders = list[tuple[bytes, bytes]]


class HttpMiddleware(ABC):
    """Base of a pure ASGI middleware that acts on HTTP requests only (:meth:`http`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    @abstractmethod
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one HTTP request (``scope["type"] == "http"``)."""


def adding_headers(send: Send, extra: Callable[[RawHeaders], RawHeaders]) -> Send:
    """``send`` with the headers ``extra`` returns appended to the head of the answer; ``extra`` is called once,
    when the head is sent, with the headers already there."""

    async def with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            message = {**message, "headers": headers + extra(headers)}
        await send(message)

    return with_headers
