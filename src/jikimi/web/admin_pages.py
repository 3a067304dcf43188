"""Staff web pages for administration: staff accounts (create, role, password and two-factor
resets with a QR code, unlock, deactivate), centres (central admin), and each member's own
account page (password change, two-factor enrolment with a QR code).

Every page calls :mod:`jikimi.accounts` (its rules decide who may do what); a refused or
invalid form is shown again with what was typed and the reason beside it.
"""

from __future__ import annotations

from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from jikimi import accounts
from jikimi.accounts import SESSION_COOKIE, StaffUser, request_language
from jikimi.accounts.administration import (
    make_central,
    pending_totp,
    rename_centre,
    reset_totp,
    visible_user,
)
from jikimi.core.actors import Role
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.core.i18n import translate
from jikimi.errors import Forbidden, InvalidInput, JikimiError, NotFound
from jikimi.web.form_support import error_text, undo_on_error
from jikimi.web.rendering import render
from jikimi.web.routes import page_errors, staff_page

router = APIRouter(include_in_schema=False)

Csrf = Annotated[str, Form(max_length=200)]
RecordId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ADMIN_ROLES = (Role.ADMIN, Role.CENTRAL_ADMIN)


def qr_svg(text: str, label: str) -> Markup:
    """``text`` as a QR code in inline SVG (no image request, no third party)."""
    code = segno.make(text, error="m")
    svg = code.svg_inline(scale=5, dark="#000", light="#fff", title=label,
                          svgclass="qr")
    labelled = svg.replace("<svg ", f'<svg role="img" aria-label="{Markup.escape(label)}" ', 1)
    return Markup(labelled)  # noqa: S704 -- segno's own SVG; the label is escaped


def _require_admin(user: StaffUser) -> None:
    if Role(user.role) not in ADMIN_ROLES:
        raise Forbidden("only administrators manage staff accounts")


def _assignable_roles(user: StaffUser) -> list[str]:
    roles = [Role.COUNSELLOR, Role.ANALYST, Role.INVESTIGATOR, Role.ADMIN]
    if user.role == Role.CENTRAL_ADMIN:
        roles.append(Role.CENTRAL_ADMIN)
    return [r.value for r in roles]


def _record_id(text: str) -> int | None:
    """A record id typed in a form or query, or None when it cannot be one."""
    return int(text) if text.isdigit() and 0 < int(text) < 2**31 else None


def _is_locked(member: StaffUser) -> bool:
    return member.locked_until is not None and member.locked_until > utcnow()


def _centre_names(ctx: ServiceContext) -> dict[int, str]:
    return {c.id: c.name for c in accounts.list_centres(ctx)}


# --- staff accounts --------------------------------------------------------------------------
def _users_page(request: Request, ctx: ServiceContext, user: StaffUser, csrf: str, *,
                centre: str = "", form: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    _require_admin(user)
    centre_id = _record_id(centre)
    members = accounts.list_users(ctx, centre_id)
    centres = _centre_names(ctx)
    return render(request, "admin_users.html", status_code=status_code, user=user, csrf=csrf,
                  members=members, centres=centres, centre_filter=centre,
                  roles=_assignable_roles(user), locked={m.id for m in members
                                                         if _is_locked(m)},
                  form=form or {"role": "counsellor", "centre": str(user.centre_id)},
                  errors=errors or {})


@router.get("/admin/users", response_class=HTMLResponse)
@page_errors
def users_page(request: Request, centre: str = "") -> Response:
    with staff_page(request) as (ctx, user, csrf):
        return _users_page(request, ctx, user, csrf, centre=centre[:10])


@router.post("/admin/users", response_class=HTMLResponse)
@page_errors
def users_create(request: Request, csrf_token: Csrf = "",
                 email: Annotated[str, Form(max_length=254)] = "",
                 display_name: Annotated[str, Form(max_length=200)] = "",
                 role: Annotated[str, Form(max_length=20)] = "",
                 centre: Annotated[str, Form(max_length=10)] = "") -> Response:
    form = {"email": email, "display_name": display_name, "role": role, "centre": centre}
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        _require_admin(user)
        try:
            with undo_on_error(ctx):
                if role not in Role._value2member_map_:
                    raise InvalidInput("choose a role", code="choose_role")
                chosen = _record_id(centre) if user.role == Role.CENTRAL_ADMIN else None
                if user.role == Role.CENTRAL_ADMIN and centre and chosen is None:
                    raise NotFound(f"no centre {centre!r}")
                target = accounts.resolve_centre(ctx.session, chosen or user.centre_id)
                created = accounts.add_user(ctx, email, Role(role), target,
                                            display_name=display_name)
        except JikimiError as exc:
            field = ("centre" if exc.message.startswith("no centre") else
                     "role" if exc.code == "choose_role" or "role" in exc.message
                     or "central" in exc.message else "email")
            return _users_page(request, ctx, user, csrf, form=form,
                               errors={field: error_text(request, exc)}, status_code=422)
        return render(request, "admin_secret.html", user=user, csrf=csrf,
                      member=created.user, password=created.password,
                      totp_secret=created.totp_secret,
                      qr=(qr_svg(created.totp_uri, translate("QR code for the authenticator "
                                                             "app", request_language(request)))
                          if created.totp_uri else None),
                      centre_name=target.name, created=True)


def _user_page(request: Request, ctx: ServiceContext, user: StaffUser, csrf: str,
               member: StaffUser, error: str | None = None, status_code: int = 200
               ) -> Response:
    return render(request, "admin_user.html", status_code=status_code, user=user, csrf=csrf,
                  member=member, centre_name=_centre_names(ctx).get(member.centre_id, ""),
                  roles=_assignable_roles(user), locked=_is_locked(member), error=error,
                  is_self=member.id == user.id)


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
@page_errors
def user_page(request: Request, user_id: RecordId) -> Response:
    with staff_page(request) as (ctx, user, csrf):
        _require_admin(user)
        return _user_page(request, ctx, user, csrf, visible_user(ctx, user_id))


def _user_action(request: Request, user_id: RecordId, csrf_token: str, action: str,
                 **values: Any) -> Response:
    """Run one change to an account; show the account again with the reason if refused."""
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        _require_admin(user)
        member = visible_user(ctx, user_id)
        try:
            with undo_on_error(ctx):
                if action == "role":
                    role = values["role"]
                    if role not in Role._value2member_map_:
                        raise InvalidInput("choose a role", code="choose_role")
                    accounts.update_user(ctx, member.id, role=Role(role))
                elif action == "name":
                    accounts.update_user(ctx, member.id, display_name=values["display_name"])
                elif action == "active":
                    accounts.update_user(ctx, member.id, active=values["active"])
                elif action == "unlock":
                    accounts.unlock_user(ctx, member.id)
                elif action == "password":
                    password = accounts.reset_password(ctx, member.id)
                    return render(request, "admin_secret.html", user=user, csrf=csrf,
                                  member=member, password=password, totp_secret=None, qr=None,
                                  centre_name=_centre_names(ctx).get(member.centre_id, ""),
                                  created=False)
                elif action == "totp":
                    reset = reset_totp(ctx, member.id)
                    lang = request_language(request)
                    return render(request, "admin_secret.html", user=user, csrf=csrf,
                                  member=member, password=None, totp_secret=reset.secret,
                                  qr=(qr_svg(reset.uri, translate(
                                      "QR code for the authenticator app", lang))
                                      if reset.uri else None),
                                  centre_name=_centre_names(ctx).get(member.centre_id, ""),
                                  created=False, totp_cleared=reset.secret is None)
        except JikimiError as exc:
            member = visible_user(ctx, user_id)
            return _user_page(request, ctx, user, csrf, member, error_text(request, exc),
                              status_code=exc.http_status if exc.http_status != 400 else 422)
    return RedirectResponse(f"/admin/users/{user_id}?done={action}", status_code=303)


@router.post("/admin/users/{user_id}/role", response_class=HTMLResponse)
@page_errors
def user_role(request: Request, user_id: RecordId, csrf_token: Csrf = "",
              role: Annotated[str, Form(max_length=20)] = "") -> Response:
    return _user_action(request, user_id, csrf_token, "role", role=role)


@router.post("/admin/users/{user_id}/name", response_class=HTMLResponse)
@page_errors
def user_name(request: Request, user_id: RecordId, csrf_token: Csrf = "",
              display_name: Annotated[str, Form(max_length=200)] = "") -> Response:
    return _user_action(request, user_id, csrf_token, "name", display_name=display_name)


@router.post("/admin/users/{user_id}/deactivate", response_class=HTMLResponse)
@page_errors
def user_deactivate(request: Request, user_id: RecordId, csrf_token: Csrf = "") -> Response:
    return _user_action(request, user_id, csrf_token, "active", active=False)


@router.post("/admin/users/{user_id}/reactivate", response_class=HTMLResponse)
@page_errors
def user_reactivate(request: Request, user_id: RecordId, csrf_token: Csrf = "") -> Response:
    return _user_action(request, user_id, csrf_token, "active", active=True)


@router.post("/admin/users/{user_id}/unlock", response_class=HTMLResponse)
@page_errors
def user_unlock(request: Request, user_id: RecordId, csrf_token: Csrf = "") -> Response:
    return _user_action(request, user_id, csrf_token, "unlock")


@router.post("/admin/users/{user_id}/password", response_class=HTMLResponse)
@page_errors
def user_password_reset(request: Request, user_id: RecordId, csrf_token: Csrf = "") -> Response:
    return _user_action(request, user_id, csrf_token, "password")


@router.post("/admin/users/{user_id}/totp", response_class=HTMLResponse)
@page_errors
def user_totp_reset(request: Request, user_id: RecordId, csrf_token: Csrf = "") -> Response:
    return _user_action(request, user_id, csrf_token, "totp")


# --- centres ---------------------------------------------------------------------------------
def _centres_page(request: Request, ctx: ServiceContext, user: StaffUser, csrf: str, *,
                  form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                  status_code: int = 200) -> Response:
    if user.role != Role.CENTRAL_ADMIN:
        raise Forbidden("only a central-centre administrator may manage centres")
    centres = accounts.list_centres(ctx)
    staff_counts: dict[int, int] = {}
    for member in accounts.list_users(ctx):
        if member.active:
            staff_counts[member.centre_id] = staff_counts.get(member.centre_id, 0) + 1
    return render(request, "admin_centres.html", status_code=status_code, user=user,
                  csrf=csrf, centres=centres, staff_counts=staff_counts, form=form or {},
                  errors=errors or {})


@router.get("/admin/centres", response_class=HTMLResponse)
@page_errors
def centres_page(request: Request) -> Response:
    with staff_page(request) as (ctx, user, csrf):
        return _centres_page(request, ctx, user, csrf)


@router.post("/admin/centres", response_class=HTMLResponse)
@page_errors
def centres_create(request: Request, csrf_token: Csrf = "",
                   name: Annotated[str, Form(max_length=200)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        try:
            with undo_on_error(ctx):
                accounts.add_centre(ctx, name)
        except JikimiError as exc:
            return _centres_page(request, ctx, user, csrf, form={"name": name},
                                 errors={"new": error_text(request, exc)}, status_code=422)
    return RedirectResponse("/admin/centres", status_code=303)


@router.post("/admin/centres/{centre_id}/rename", response_class=HTMLResponse)
@page_errors
def centres_rename(request: Request, centre_id: RecordId, csrf_token: Csrf = "",
                   name: Annotated[str, Form(max_length=200)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        try:
            with undo_on_error(ctx):
                rename_centre(ctx, centre_id, name)
        except JikimiError as exc:
            return _centres_page(request, ctx, user, csrf, form={f"name-{centre_id}": name},
                                 errors={str(centre_id): error_text(request, exc)},
                                 status_code=422)
    return RedirectResponse("/admin/centres", status_code=303)


@router.post("/admin/centres/{centre_id}/central", response_class=HTMLResponse)
@page_errors
def centres_make_central(request: Request, centre_id: RecordId, csrf_token: Csrf = "",
                         confirm: Annotated[str, Form(max_length=5)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        try:
            with undo_on_error(ctx):
                if confirm != "1":
                    raise InvalidInput("tick the box to confirm", code="confirm_required")
                make_central(ctx, centre_id)
        except JikimiError as exc:
            return _centres_page(request, ctx, user, csrf,
                                 errors={str(centre_id): error_text(request, exc)},
                                 status_code=422)
    return RedirectResponse("/admin/centres", status_code=303)


# --- one's own account -----------------------------------------------------------------------
def _account_page(request: Request, user: StaffUser, csrf: str, *,
                  errors: dict[str, str] | None = None, qr: Markup | None = None,
                  secret: str | None = None, done: str = "", status_code: int = 200
                  ) -> Response:
    return render(request, "account.html", status_code=status_code, user=user, csrf=csrf,
                  errors=errors or {}, qr=qr, secret=secret, done=done)


@router.get("/account", response_class=HTMLResponse)
@page_errors
def account_page(request: Request, done: str = "") -> Response:
    with staff_page(request) as (_ctx, user, csrf):
        return _account_page(request, user, csrf, done=done[:20])


@router.post("/account/password", response_class=HTMLResponse)
@page_errors
def account_password(request: Request, csrf_token: Csrf = "",
                     current: Annotated[str, Form(max_length=200)] = "",
                     new: Annotated[str, Form(max_length=200)] = "",
                     repeat: Annotated[str, Form(max_length=200)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        try:
            with undo_on_error(ctx):
                if new != repeat:
                    raise InvalidInput("the two new passwords differ", code="passwords_differ")
                accounts.change_password(ctx, user, current, new,
                                         keep_session=request.cookies.get(SESSION_COOKIE))
        except JikimiError as exc:
            field = "current" if exc.code == "wrong_password" else "new"
            return _account_page(request, user, csrf, errors={field: error_text(request, exc)},
                                 status_code=422)
    return RedirectResponse("/account?done=password", status_code=303)


@router.post("/account/totp/setup", response_class=HTMLResponse)
@page_errors
def account_totp_setup(request: Request, csrf_token: Csrf = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        secret, uri = accounts.begin_totp(ctx, user)
        label = translate("QR code for the authenticator app", request_language(request))
        return _account_page(request, user, csrf, qr=qr_svg(uri, label), secret=secret)


@router.post("/account/totp/enable", response_class=HTMLResponse)
@page_errors
def account_totp_enable(request: Request, csrf_token: Csrf = "",
                        code: Annotated[str, Form(max_length=12)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        try:
            with undo_on_error(ctx):
                accounts.enable_totp(ctx, user, code)
        except JikimiError as exc:
            pending = pending_totp(ctx, user)
            label = translate("QR code for the authenticator app", request_language(request))
            return _account_page(request, user, csrf, errors={"code": error_text(request, exc)},
                                 qr=qr_svg(pending[1], label) if pending else None,
                                 secret=pending[0] if pending else None, status_code=422)
    return RedirectResponse("/account?done=totp", status_code=303)
