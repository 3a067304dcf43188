"""A lean door for ``POST /api/v1/partner/lookup``, the call a platform makes on every upload.

Through the whole FastAPI stack a lookup spent about as much CPU on routing among the app's
hundred-odd routes, dependency solving and the thread hand-offs as on the lookup itself. This
ASGI middleware (innermost of the app's own, so the body limit and security headers still
apply) answers that one route directly: the body validated by the route's own model
(``LookupIn``), then :func:`jikimi.partners.routes.hot_lookup` — the same key check, rate
limit, refusal audit, lookup service and audit group commit as the route — in a worker
thread; a refusal rendered by the app's own error renderer.

Anything it does not answer goes to the app unchanged: a body that is not valid JSON for the
model (the route's 422 with its field list), a request without JSON content type, an app
without its serving lifespan.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from pydantic import ValidationError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jikimi.api.errors import error_response
from jikimi.errors import JikimiError
from jikimi.partners.hotpath import HotPath
from jikimi.partners.routes import LookupIn, hot_lookup

LOOKUP_PATH = "/api/v1/partner/lookup"


class PartnerLookupFastPath:
    """Answers partner lookups without the router; passes every other request on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["path"] != LOOKUP_PATH
                or scope["method"] != "POST"):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state if "app" in scope else None
        hot: HotPath | None = getattr(state, "hot_path", None)
        if hot is None or not _json_content(scope):
            await self.app(scope, receive, send)
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            lookup_in = LookupIn.model_validate_json(body)
        except ValidationError:  # the route answers with its field list
            await self.app(scope, _replay(body, receive), send)
            return
        request = Request(scope)
        try:
            result = await anyio.to_thread.run_sync(hot_lookup, request, hot, lookup_in)
        except JikimiError as exc:
            await error_response(request, exc)(scope, receive, send)
            return
        payload = result.model_dump_json().encode()
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})


def _json_content(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            media_type: bytes = value.split(b";", 1)[0].strip().lower()
            return media_type == b"application/json"
    return False


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        message: Any = await receive()
        return message  # type: ignore[no-any-return]

    return replay
