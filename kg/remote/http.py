"""HTTP to an external SPARQL store: queries (SPARQL 1.1 Protocol §2.1), updates (§2.2) and graphs (Graph Store
HTTP Protocol §5), with the credentials of the settings and every failure turned into a typed error.

Failures map to :class:`kg.errors.StoreUnavailable` (502: refused connection, reset, a 5xx or a refused
login) and :class:`kg.errors.StoreTimeout` (504: no complete answer within the time limit); a 400 to a query is
the store's parser speaking, :class:`kg.errors.QuerySyntaxError`. Nothing about a failed connection is kept:
the connection pool drops a broken connection, so the first request after the store is back succeeds.

The client is made per process on first use (query workers are forked; a connection must not be shared by two
processes), and neither the password nor a URL's user-info ever reaches a message or a log line.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
import urllib.parse
from collections.abc import Sequence
from typing import IO

import httpx2 as httpx

from kg.errors import QuerySyntaxError, StoreTimeout, StoreUnavailable
from kg.settings import Settings

#: How much of a query's answer is kept in memory before it spills to a temporary file.
SPOOL_BYTES = 8 << 20
#: What a store says when it refuses a query, shown to the client at most this long.
MESSAGE_CHARS = 500


def shown(url: str) -> str:
    """``url`` without user-info (``http://user:secret@host`` shows as ``http://host``): safe in a message."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")))


class StoreClient:
    """The HTTP side of one external store. ``timeout_s`` bounds each request from its start to the last byte
    of the answer (the connection itself gets at most 5 s of it)."""

    def __init__(self, settings: Settings, *, timeout_s: float) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self._client: httpx.Client | None = None
        self._pid = 0

    def _http(self) -> httpx.Client:
        if self._client is None or self._pid != os.getpid():
            s = self.settings
            auth: httpx.Auth | None = None
            if s.store_user is not None:
                cls = httpx.DigestAuth if s.store_auth == "digest" else httpx.BasicAuth
                auth = cls(s.store_user, s.store_password or "")
            self._client = httpx.Client(auth=auth, trust_env=False, follow_redirects=False,
                                        timeout=httpx.Timeout(self.timeout_s, connect=min(5.0, self.timeout_s)))
            self._pid = os.getpid()
        return self._client

    def close(self) -> None:
        """Close the connections of this process (another process's client is left to that process)."""
        if self._client is not None and self._pid == os.getpid():
            self._client.close()
        self._client = None

    def request(self, method: str, url: str, *, params: Sequence[tuple[str, str]] = (), body: bytes | None = None,
                headers: dict[str, str] | None = None, what: str,
                timeout_s: float | None = None) -> tuple[httpx.Response, IO[bytes]]:
        """Send one request; the response (status < 400) and its whole body in a spooled temporary file,
        positioned at the start. ``what`` names the request in messages ("query", "PUT of <graph>");
        ``timeout_s`` replaces the client's bound for this request (``math.inf``: none)."""
        bound = self.timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + bound
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (handed to caller)
        try:
            request = self._http().build_request(method, url, params=list(params), content=body, headers=headers,
                                                 timeout=httpx.Timeout(bound if math.isfinite(bound) else None,
                                                                       connect=min(5.0, bound)))
            response = self._http().send(request, stream=True)
            try:
                for piece in response.iter_bytes():
                    spool.write(piece)
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout("the answer took too long", request=request)
            finally:
                response.close()
        except httpx.TimeoutException:
            spool.close()
            raise StoreTimeout(f"the SPARQL store at {shown(url)} did not answer the {what} within "
                               f"KG_QUERY_TIMEOUT_S={self.settings.query_timeout_s:g} seconds",
                               setting="KG_QUERY_TIMEOUT_S") from None
        except httpx.HTTPError as err:
            spool.close()
            raise StoreUnavailable(f"the SPARQL store at {shown(url)} is unreachable ({type(err).__name__})",
                                   ) from None
        spool.seek(0)
        if response.status_code >= 400:
            text = spool.read(MESSAGE_CHARS * 4).decode("utf-8", "replace").strip()[:MESSAGE_CHARS]
            spool.close()
            raise self._status_error(response.status_code, url, what, text)
        return response, spool

    def _status_error(self, status: int, url: str, what: str, text: str) -> QuerySyntaxError | StoreUnavailable:
        if status == 400 and what == "query":
            return QuerySyntaxError(f"the SPARQL store refused the query: {text}")
        if status in (401, 403):
            return StoreUnavailable(f"the SPARQL store at {shown(url)} refused the {what}: HTTP {status} (check "
                                    "KG_STORE_USER, KG_STORE_PASSWORD and KG_STORE_AUTH)", setting="KG_STORE_USER")
        return StoreUnavailable(f"the SPARQL store at {shown(url)} failed the {what}: HTTP {status} {text}",
                                status_of_store=status)

    def query(self, url: str, sparql: str, *, accept: str, default_graphs: Sequence[str] = (),
              named_graphs: Sequence[str] = (), timeout_s: float | None = None) -> tuple[str, IO[bytes]]:
        """POST a query (SPARQL 1.1 Protocol §2.1.2, URL-encoded form, so a long query or a long list of graphs
        fits); the answer's media type and body. ``timeout_s`` as for :meth:`request`."""
        form = [("query", sparql), *(("default-graph-uri", g) for g in default_graphs),
                *(("named-graph-uri", g) for g in named_graphs)]
        response, body = self.request("POST", url, body=urllib.parse.urlencode(form).encode(), what="query",
                                      timeout_s=timeout_s, headers={"Accept": accept,
                                               "Content-Type": "application/x-www-form-urlencoded"})
        return response.headers.get("content-type", "").split(";")[0].strip().lower(), body

    def update(self, url: str, sparql: str) -> None:
        """POST one SPARQL Update request (§2.2.2, ``application/sparql-update``)."""
        _, body = self.request("POST", url, body=sparql.encode(), what="update",
                               headers={"Content-Type": "application/sparql-update"})
        body.close()

    def get_graph(self, url: str, graph: str) -> bytes | None:
        """The graph ``graph`` as N-Triples or Turtle (GSP §5.2); None when the store has no such graph (404)."""
        try:
            _, body = self.request("GET", url, params=[("graph", graph)], what=f"GET of <{graph}>",
                                   headers={"Accept": "application/n-triples, text/turtle;q=0.9"})
        except StoreUnavailable as err:
            if err.details.get("status_of_store") == 404:
                return None
            raise
        with body:
            return body.read()

    def put_graph(self, url: str, graph: str, data: bytes) -> None:
        """Replace the graph ``graph`` with ``data`` (N-Triples, sent as Turtle: every store reads it; GSP §5.3)."""
        _, body = self.request("PUT", url, params=[("graph", graph)], body=data, what=f"PUT of <{graph}>",
                               headers={"Content-Type": "text/turtle"})
        body.close()
