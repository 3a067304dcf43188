"""Error pages of the staff web: inside the usual layout (with the navigation of the visitor's
role), with a title and a next step of their own for each status (403, 404, 409, 413, 415,
422, 429, 500 ...) and the error's own sentence in the visitor's language.

Pages record who is visiting (:func:`remember_visitor`, called when a staff page opens its unit
of work), so an error raised later, after that unit was rolled back, still shows her
navigation. App-level errors (an unknown address, a form field missing) look the visitor up by
her session cookie.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse

from jikimi.accounts import (
    SESSION_COOKIE,
    StaffUser,
    csrf_token_for,
    get_runtime,
    user_for_session,
)
from jikimi.accounts.http import ANONYMOUS
from jikimi.web.rendering import render

log = logging.getLogger("jikimi.web")

# Statuses with a title and a next step of their own; others use the 400 or 500 texts.
KNOWN_STATUSES = (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503)


@dataclass(frozen=True)
class NavUser:
    """What the layout needs of the visitor, kept after her unit of work has ended."""

    id: int
    email: str
    display_name: str
    role: str
    centre_id: int

    @classmethod
    def of(cls, user: StaffUser) -> NavUser:
        return cls(id=user.id, email=user.email, display_name=user.display_name or "",
                   role=user.role, centre_id=user.centre_id)


def remember_visitor(request: Request, user: StaffUser, csrf: str) -> None:
    """Keep the visitor for an error page later in this request."""
    request.state.nav_user = NavUser.of(user)
    request.state.nav_csrf = csrf


def _visitor(request: Request) -> tuple[NavUser | None, str]:
    user: NavUser | None = getattr(request.state, "nav_user", None)
    if user is not None:
        return user, str(getattr(request.state, "nav_csrf", ""))
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if not cookie:
        return None, ""
    try:
        runtime = get_runtime(request)
        with runtime.context(ANONYMOUS) as ctx:
            found = user_for_session(ctx.session, cookie)
            if found is None:
                return None, ""
            return NavUser.of(found), csrf_token_for(runtime, cookie)
    except Exception:  # an error page must not fail because the lookup failed
        log.exception("could not look up the visitor for an error page")
        return None, ""


def _back_link(request: Request) -> str:
    """The page she came from, if it is one of ours (never another site)."""
    referer = request.headers.get("referer", "")
    if not referer:
        return ""
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.url.netloc:
        return ""
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return ""
    if parts.path == request.url.path:
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")


def error_page(request: Request, status_code: int, message: str = "") -> HTMLResponse:
    """The error page for ``status_code`` with ``message`` (already translated)."""
    user, csrf = _visitor(request)
    shown = status_code if status_code in KNOWN_STATUSES else (500 if status_code >= 500
                                                                else 400)
    response = render(request, "error.html", status_code=status_code, user=user, csrf=csrf,
                      status=shown, message=message, back=_back_link(request))
    if status_code == 429:
        response.headers["Retry-After"] = "60"
    return response


def wants_html(request: Request) -> bool:
    """A browser asking for a staff page (not the API, the victim's portal or a static
    file)."""
    path = request.url.path
    if path.startswith(("/api/", "/static/", "/portal")) or path in ("/api", "/docs",
                                                                      "/openapi.json"):
        return False  # the portal is the victim's: never the staff layout there
    return "text/html" in request.headers.get("accept", "")
