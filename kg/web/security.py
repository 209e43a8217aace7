"""What every answer of the server carries against hostile pages and data, and the check of request targets.

Headers (:class:`SecurityHeaders`, on every answer; :data:`SECURITY_HEADERS` on the connection's own): a
Content-Security-Policy that lets a page run and style only what the server itself serves, so a value that
slipped into a page could not run. The pages have no inline script or style; the vendored editor writes its
styles into a ``<style>`` element, allowed by a nonce made per answer (:func:`policy`), which the page passes
to the editor on its script tag (``csp_nonce`` in the template context). ``X-Content-Type-Options: nosniff``,
so a Turtle or JSON answer is never sniffed into HTML; ``Referrer-Policy: same-origin``, so a query in the
address bar is not sent to the sites a page links to. A route may send its own ``Content-Security-Policy``
(the pyLODE ontology page allows its inline styles by hash); the other headers are the same everywhere.

Links (:func:`link_target`): an IRI from the data becomes a link only when its scheme is one a browser opens
harmlessly (:data:`LINK_SCHEMES`); ``javascript:``, ``data:`` and the rest are shown as text.

Request targets (:class:`RequestTarget`): a path or query string whose percent-encoded bytes are not UTF-8
is refused with 400 before any router reads it; Starlette would decode it with U+FFFD in place of the bytes and
run what the client never sent.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import unquote_to_bytes

from fastapi import Request
from starlette.types import Receive, Scope, Send

from kg.errors import UsageError
from kg.web.errorpages import error_answer
from kg.web.middleware import HttpMiddleware, RawHeaders, adding_headers

#: No script, style, frame or plugin from anywhere but this server; nothing may frame its pages.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
_OTHER_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
#: The headers of an answer that carries no page (the connection's own errors).
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()), *_OTHER_HEADERS)


def policy(nonce: str) -> str:
    """:data:`CONTENT_SECURITY_POLICY` also allowing ``<style>`` elements that carry ``nonce``."""
    return CONTENT_SECURITY_POLICY.replace("style-src 'self'", f"style-src 'self' 'nonce-{nonce}'")


def csp_nonce(scope: Scope) -> str:
    """The nonce of this answer's policy (set by :class:`SecurityHeaders`; empty outside it)."""
    return str(scope.get("state", {}).get("csp_nonce", ""))
_INLINE_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)


def policy_allowing_styles_of(page: str) -> str:
    """:data:`CONTENT_SECURITY_POLICY` with the inline ``<style>`` elements of ``page`` allowed by their hash
    (CSP Level 3 §8.3): for a generated page (pyLODE's) that cannot move its styles to a file; still no inline
    script and no other inline style."""
    hashes = sorted({"'sha256-" + base64.b64encode(hashlib.sha256(m.group(1).encode()).digest()).decode() + "'"
                     for m in _INLINE_STYLE.finditer(page)})
    return CONTENT_SECURITY_POLICY.replace("style-src 'self'", " ".join(("style-src 'self'", *hashes)))


#: URL schemes an IRI of the data may be linked with: none of them runs anything in the page.
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# RFC 3986 §3.1. Browsers drop tabs and newlines anywhere in a URL and spaces around it (WHATWG URL), so
# anything but a clean scheme is no link: "java\tscript:" is not let through as a scheme-less path.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):[^\s\x00-\x1f\x7f]*")


def link_target(iri: str, base: str) -> str | None:
    """Where a link to ``iri`` should point: its path on this server when minted under ``base``, the IRI
    itself when its scheme is in :data:`LINK_SCHEMES`, else ``None`` (show it as text)."""
    if iri.startswith(base):
        return "/" + iri[len(base):]
    match = _SCHEME.fullmatch(iri)
    return iri if match and match.group(1).lower() in LINK_SCHEMES else None


class SecurityHeaders(HttpMiddleware):
    """Adds the security headers to every answer that does not set them itself, the policy with a fresh nonce
    (in ``scope["state"]`` for the page, :func:`csp_nonce`)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        own = ((b"content-security-policy", policy(nonce).encode()), *_OTHER_HEADERS)

        def missing(present: RawHeaders) -> RawHeaders:
            names = {name.lower() for name, _ in present}
            return [h for h in own if h[0] not in names]

        await self.app(scope, receive, adding_headers(send, missing))


def _not_utf8(scope: Scope) -> str | None:
    """Which part of the request target is not UTF-8 once percent-decoded (``"path"``, ``"query string"``),
    else ``None``."""
    parts = (("path", scope.get("raw_path") or b""), ("query string", scope.get("query_string", b"")))
    for name, raw in parts:
        try:
            unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return name
    return None


class RequestTarget(HttpMiddleware):
    """Refuses, with 400 and the one error body (a page for a browser), a request whose path or query string
    holds percent-encoded bytes that are not UTF-8 (RFC 3986 §2.5, SPARQL 1.1 Protocol §2.1: UTF-8)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        part = _not_utf8(scope)
        if part is not None:
            err = UsageError(f"the request's {part} is not valid UTF-8 after percent-decoding; send UTF-8 "
                             "(RFC 3986 §2.5)")
            await error_answer(Request(scope), err.to_json())(scope, receive, send)
            return
        await self.app(scope, receive, send)
