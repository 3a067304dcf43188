"""Fast doors: the app's outermost layer answers the calls made thousands of times a second.

A platform asks ``POST /api/v1/partner/lookup`` on every upload. Through the whole stack such
a call spent more CPU on the layers around it (FastAPI's own middleware, the app's, routing
among a hundred-odd routes, dependency solving, a hop to a worker thread and back) than on
the lookup. :class:`FastDoorApp` is the FastAPI app with one layer outside all of that: a
request whose path has a *door* (registered in ``create_app``) and a JSON body is answered
by the door on the event loop, and every other request goes through the stack unchanged.

The rules the skipped layers apply still apply, from the same implementation: the body
limit (``BodySizeLimit.read_body``: the same per-route limit and 413) and the security
headers (``SecurityHeaders.wrap_send``), both built from the app's own middleware
configuration. A door that does not answer (e.g. a body its model refuses) returns False and
the request goes on through the stack with its body (the route's 422 with the field list);
an unexpected error is rendered by the app's own handler for errors (a 500 without details,
logged), never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jikimi.api.middleware import BodySizeLimit, SecurityHeaders

log = logging.getLogger("jikimi.fastdoor")

Door = Callable[[Request, bytes, Send], Awaitable[bool]]
"""Answers a request (its body read) through ``send`` and returns True, or returns False
without sending anything to hand it to the app's stack."""


class FastDoorApp(FastAPI):
    """The FastAPI app, with :class:`FastDoors` outside its middleware stack."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fast_doors: dict[str, Door] = {}
        """POST paths answered by a door (only while the serving lifespan runs)."""
        self._doors: FastDoors | None = None

    def build_middleware_stack(self) -> ASGIApp:
        self._doors = FastDoors(super().build_middleware_stack(), self)
        return self._doors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        doors = self._doors
        door = doors.door(scope) if doors is not None else None
        if doors is not None and door is not None:  # not even FastAPI's own layer
            scope["app"] = self
            await doors.answer(door, scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class FastDoors:
    """Answers POST requests to the registered paths with their doors; the rest go on."""

    def __init__(self, app: ASGIApp, owner: FastDoorApp) -> None:
        self.app = app
        self.owner = owner
        self.body_limit: BodySizeLimit | None = None
        self.headers: SecurityHeaders | None = None
        for middleware in owner.user_middleware:  # the same rules, configured once
            factory: Any = middleware.cls
            args: Any = middleware.args
            kwargs: Any = middleware.kwargs
            if factory is BodySizeLimit:
                self.body_limit = BodySizeLimit(app, *args, **kwargs)
            elif factory is SecurityHeaders:
                self.headers = SecurityHeaders(app, *args, **kwargs)

    def door(self, scope: Scope) -> Door | None:
        """The door that answers this request, if any."""
        if scope["type"] != "http" or scope["method"] != "POST":
            return None
        door = self.owner.fast_doors.get(scope["path"])
        if door is None or self.body_limit is None or self.headers is None:
            return None
        if getattr(self.owner.state, "hot_path", None) is None:  # no serving lifespan
            return None
        return door if _json_content(scope) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        door = self.door(scope)
        if door is None:
            await self.app(scope, receive, send)
            return
        await self.answer(door, scope, receive, send)

    async def answer(self, door: Door, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a request with its door, under the app's body limit and headers."""
        assert self.body_limit is not None and self.headers is not None
        guarded = self.headers.wrap_send(scope, send)
        body = await self.body_limit.read_body(scope, receive, guarded)
        if body is None:  # refused with 413, or the client went away
            return
        request = Request(scope)
        try:
            answered = await door(request, body, guarded)
        except Exception as exc:  # the app's own 500: logged, no details to the client
            handler: Any = self.owner.exception_handlers.get(Exception)
            if handler is None:
                raise
            response = await handler(request, exc)
            await response(scope, _no_body, guarded)
            return
        if not answered:
            await self.app(scope, _replay(body, receive), send)


def _json_content(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            media_type: bytes = value.split(b";", 1)[0].strip().lower()
            return media_type == b"application/json"
    return False


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


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


async def send_json(send: Send, status: int, payload: bytes) -> None:
    """A JSON answer from a door."""
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
