"""ASGI middleware: body size limit and security headers."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jikimi.core.i18n import error_message, negotiate


class BodyTooLarge(Exception):
    pass


def _wants_page(scope: Scope) -> bool:
    """A browser asking for a staff page (as ``jikimi.web.error_pages.wants_html``)."""
    path = str(scope.get("path", ""))
    accept = dict(scope.get("headers") or []).get(b"accept", b"")
    return not path.startswith(("/api/", "/portal", "/static/")) \
        and b"text/html" in accept and "app" in scope


def _language(headers: dict[bytes, bytes]) -> str:
    return negotiate(headers.get(b"accept-language", b"").decode("latin-1"))


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int = 0,
                 upload_paths: re.Pattern[str] | None = None,
                 route_limits: Sequence[tuple[re.Pattern[str], int]] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max(max_upload_bytes, max_bytes)
        self.upload_paths = upload_paths
        self.route_limits = list(route_limits)

    def _limit(self, path: str) -> int:
        """The first matching per-route limit, else the upload or the default limit."""
        for pattern, limit in self.route_limits:
            if pattern.match(path):
                return limit
        if self.upload_paths is not None and self.upload_paths.match(path):
            return self.max_upload_bytes
        return self.max_bytes

    @staticmethod
    def _declared_too_big(headers: dict[bytes, bytes], limit: int) -> bool:
        declared = headers.get(b"content-length")
        if declared is None:
            return False
        try:
            return int(declared) > limit
        except ValueError:
            return True

    async def read_body(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The whole body of a request that an outer layer answers itself (a fast door),
        under the same limit as here; None when it was refused with 413 (or the client went
        away)."""
        limit = self._limit(scope.get("path", ""))
        headers = dict(scope.get("headers") or [])
        if self._declared_too_big(headers, limit):
            await self._refuse(send, _language(headers), limit, scope)
            return None
        chunks: list[bytes] = []
        received = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return None
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                await self._refuse(send, _language(headers), limit, scope)
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope.get("path", ""))
        headers = dict(scope.get("headers") or [])
        lang = _language(headers)
        if self._declared_too_big(headers, limit):
            await self._refuse(send, lang, limit, scope)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, lang, limit, scope)

    async def _refuse(self, send: Send, lang: str, limit: int, scope: Scope) -> None:
        english = f"the request body is larger than {limit} bytes"
        if _wants_page(scope):  # a browser posting a form: the 413 page, inside the layout
            from starlette.requests import Request

            from jikimi.web.error_pages import error_page

            async def no_body() -> Message:
                return {"type": "http.request", "body": b"", "more_body": False}

            page = error_page(Request(scope), 413, error_message("body_too_large", english,
                                                                 lang))
            await page(scope, no_body, send)
            return
        body = json.dumps({"error": {"code": "body_too_large",
                                     "message": error_message("body_too_large", english, lang)}},
                          ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
PAGE_CSP = (b"default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
            b"style-src 'self'; "
            b"script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def served_over_https(scope: Scope, trusted_proxies: frozenset[str]) -> bool:
    """True when the request came over TLS: the scheme is https, or a trusted proxy (by its
    address) says so in ``X-Forwarded-Proto``."""
    if scope.get("scheme") == "https":
        return True
    client = scope.get("client")
    if not client or client[0] not in trusted_proxies:
        return False
    for name, value in scope.get("headers") or []:
        if name == b"x-forwarded-proto":
            return bool(value.split(b",")[0].strip().lower() == b"https")
    return False


class SecurityHeaders:
    """Headers on every response: no sniffing, no framing, no Referer (the portal's pages must
    never leak to another site), a strict CSP on pages, no caching, and HSTS over HTTPS."""

    def __init__(self, app: ASGIApp, trusted_proxies: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self.wrap_send(scope, send))

    def wrap_send(self, scope: Scope, send: Send) -> Send:
        """``send`` with these headers added to the response (also used by the fast doors,
        which answer outside this middleware)."""
        https = served_over_https(scope, self.trusted_proxies)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers") or [])
                headers.extend(SECURITY_HEADERS)
                headers.append((b"content-security-policy", PAGE_CSP))  # /docs too (no CDN)
                headers.append((b"cache-control", b"no-store"))
                if https:
                    headers.append(HSTS)
                message["headers"] = headers
            await send(message)

        return with_headers
