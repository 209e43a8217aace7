"""Typed errors of the ``kg`` library.

Every error the library raises on purpose is a :class:`KgError`. Each class carries the HTTP status the web
shell answers with and the exit code the CLI ends with, so both shells map errors in exactly one place
(``kg.web.app`` and ``kg.cli.main``) and never build error responses themselves.

CLI exit codes (documented in the README): 0 ok, 1 the data does not conform, 2 usage or input error.

Errors pickle with every attribute (:meth:`KgError.__reduce__`), so an error raised in a query worker reaches
the server as the same object: a rebuilt :class:`RdfSyntaxError` still has its ``path`` and ``line``.
"""

from __future__ import annotations

from typing import Any


class KgError(Exception):
    """Base of every deliberate error; ``str(err)`` is a message a user can act on."""

    http_status: int = 500
    exit_code: int = 2

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as (class, message, attributes): subclasses take other constructor arguments than
        :class:`Exception` does, so the default (``cls(*args)``) would fail or drop the details."""
        return (_restore, (type(self), self.args, self.__dict__))

    def to_json(self) -> dict[str, Any]:
        """The one JSON error body shared by every HTTP error: ``{"error", "status", ...details}``."""
        body: dict[str, Any] = {"error": self.message, "status": self.http_status}
        body.update({k: v for k, v in self.details.items() if v is not None})
        return body


class UsageError(KgError):
    """The caller asked for something malformed (bad flag, bad parameter combination)."""

    http_status = 400


class InputError(KgError):
    """A file or path given as input is missing, unreadable, or not what it claims to be."""

    http_status = 400


class FileChanged(InputError):
    """A file changed while a command was rewriting it, so it was left as the other writer left it."""


class RdfSyntaxError(InputError):
    """An RDF file does not parse; carries the file, line and column of the first error."""

    def __init__(self, message: str, *, path: str, line: int | None = None, column: int | None = None) -> None:
        where = path if line is None else f"{path}:{line}:{column or 1}"
        super().__init__(f"{where}: {message}", path=path, line=line, column=column)
        self.reason = message
        self.path = path
        self.line = line
        self.column = column


class QuerySyntaxError(KgError):
    """The SPARQL query text does not parse (SPARQL 1.1 Protocol §2.1.4: 400 Bad Request)."""

    http_status = 400


class QueryUnsupported(KgError):
    """The query is well formed but uses something the engine does not implement (e.g. an unknown function)."""

    http_status = 501


class QueryRefused(KgError):
    """The query is well formed but asks for something this read-only service does not do (e.g. SERVICE)."""

    http_status = 403


class UpdateRefused(QueryRefused):
    """SPARQL Update is refused: the service is read-only by design."""


class QueryTimeout(KgError):
    """The query ran longer than the configured limit (setting ``KG_QUERY_TIMEOUT_S``)."""

    http_status = 503


class WorkerMemoryExceeded(KgError):
    """A query needed more memory than a query worker may use (setting ``KG_WORKER_MEMORY_MB``); the worker was
    replaced. 503 like :class:`QueryTimeout`: the request is well formed and the server refuses to spend more on
    it; a 4xx would say the client's request is malformed, and 507 is WebDAV's storage status."""

    http_status = 503


class NotAcceptable(KgError):
    """No representation matches the client's ``Accept`` header (RFC 9110 §15.5.7)."""

    http_status = 406


class UnsupportedMediaType(KgError):
    """The request body has a content type the endpoint does not take (RFC 9110 §15.5.16)."""

    http_status = 415


class PayloadTooLarge(KgError):
    """The request body exceeds ``KG_MAX_BODY_BYTES``."""

    http_status = 413


class NotFound(KgError):
    """No resource with that IRI or path."""

    http_status = 404


class StoreUnavailable(KgError):
    """The external SPARQL store (``KG_STORE_URL``) could not be reached or answered with a server error
    (RFC 9110 §15.6.3: 502 Bad Gateway). Nothing is cached: the next request tries the store again."""

    http_status = 502


class StoreTimeout(KgError):
    """The external SPARQL store did not answer within the query time limit (RFC 9110 §15.6.5: 504 Gateway
    Timeout; setting ``KG_QUERY_TIMEOUT_S``)."""

    http_status = 504


class PublishFailed(KgError):
    """``kg publish`` stopped before every graph was swapped in; each graph of the store is still whole (its old
    version or its new one) and the next run finishes the job."""

    http_status = 502


class InternalError(KgError):
    """Something failed that no input explains (a bug, or the machine). The traceback goes to the server's log;
    clients only get this generic message, never the failure's own text."""

    def __init__(self, message: str = "internal error: the failure has been logged on the server") -> None:
        super().__init__(message)


def _restore(cls: type[KgError], args: tuple[Any, ...], state: dict[str, Any]) -> KgError:
    """Unpickle a :class:`KgError` without calling its constructor (see :meth:`KgError.__reduce__`)."""
    err = cls.__new__(cls)
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err
