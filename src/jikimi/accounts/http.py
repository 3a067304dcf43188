"""Request dependencies: the runtime, the language, who is asking, and the unit of work.

Authentication and CSRF are dependencies, so no route can forget them: a route that takes a
:data:`StaffContext` is reachable only by an authenticated, active staff member, and a cookie
session must also send the CSRF token on every state-changing request.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, UploadFile

from jikimi.accounts.models import StaffUser
from jikimi.accounts.service import actor_for, user_for_api_token, user_for_session
from jikimi.core.actors import Actor, ActorKind
from jikimi.core.config import Language
from jikimi.core.context import ServiceContext
from jikimi.core.i18n import negotiate
from jikimi.core.runtime import Runtime
from jikimi.errors import Forbidden, InvalidInput, NotAuthenticated

SESSION_COOKIE = "jikimi_session"
LANG_COOKIE = "jikimi_lang"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ANONYMOUS = Actor(kind=ActorKind.SYSTEM, label="anonymous")


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def request_language(request: Request) -> Language:
    """``?lang=``, then the language cookie, then Accept-Language, then the default."""
    runtime = get_runtime(request)
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in ("ko", "en"):
            return candidate  # type: ignore[return-value]
    return negotiate(request.headers.get("accept-language"), runtime.settings.lang)


def csrf_token_for(runtime: Runtime, session_token: str) -> str:
    return runtime.keys.sign(f"csrf:{session_token}")


@dataclass
class Principal:
    user: StaffUser
    via: str  # "session" or "token"
    session_token: str | None = None


def _resolve(request: Request, ctx: ServiceContext) -> Principal | None:
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("use 'Authorization: Bearer <token>'", code="bad_token")
        user = user_for_api_token(ctx.session, token.strip())
        if user is None:
            raise NotAuthenticated("the API token is unknown, expired or revoked",
                                   code="bad_token")
        return Principal(user, "token")
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        user = user_for_session(ctx.session, cookie)
        if user is not None:
            return Principal(user, "session", cookie)
    return None


def _check_csrf(request: Request, runtime: Runtime, principal: Principal,
                form_token: str | None = None) -> None:
    check_csrf(request, runtime, principal.via, principal.session_token, form_token)


def check_csrf(request: Request, runtime: Runtime, via: str, session_token: str | None,
               form_token: str | None = None) -> None:
    """A cookie session's state-changing request must carry its CSRF token (Forbidden)."""
    if via != "session" or request.method in SAFE_METHODS:
        return
    sent = form_token or request.headers.get(CSRF_HEADER, "")
    expected = csrf_token_for(runtime, session_token or "")
    if not sent or not hmac.compare_digest(sent, expected):
        raise Forbidden("the form expired or came from another site; reload the page and retry",
                        code="csrf_failed")


def _unit_of_work(request: Request) -> Iterator[ServiceContext]:
    runtime = get_runtime(request)
    with runtime.context(ANONYMOUS) as ctx:
        yield ctx


def staff_context(request: Request) -> Iterator[ServiceContext]:
    """A unit of work acting as the authenticated staff member (401 otherwise)."""
    runtime = get_runtime(request)
    with runtime.context(ANONYMOUS) as ctx:
        principal = _resolve(request, ctx)
        if principal is None:
            raise NotAuthenticated("log in first", code="not_authenticated")
        _check_csrf(request, runtime, principal)
        ctx.actor = actor_for(principal.user)
        request.state.principal = principal
        yield ctx


def public_context(request: Request) -> Iterator[ServiceContext]:
    """A unit of work for requests that need no staff login (login itself, victims)."""
    yield from _unit_of_work(request)


StaffContext = Annotated[ServiceContext, Depends(staff_context, scope="function")]
PublicContext = Annotated[ServiceContext, Depends(public_context, scope="function")]
Lang = Annotated[Language, Depends(request_language)]


def read_upload(request: Request, upload: UploadFile) -> bytes:
    """An uploaded file's bytes, refused past the installation's upload limit (media are
    fingerprinted in memory and never stored)."""
    limit = get_runtime(request).settings.max_upload_bytes
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"the file is larger than {limit} bytes", code="media_too_large")
    return data


def current_user(request: Request) -> StaffUser:
    principal: Principal = request.state.principal
    return principal.user
