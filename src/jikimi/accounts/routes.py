"""HTTP API for login, the current user, centres, staff accounts and personal API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from jikimi.accounts import service
from jikimi.accounts.http import (
    SESSION_COOKIE,
    Principal,
    PublicContext,
    StaffContext,
    csrf_token_for,
    current_user,
    get_runtime,
    request_language,
)
from jikimi.accounts.models import ApiToken, Centre, StaffUser
from jikimi.core.actors import Role
from jikimi.core.i18n import error_message
from jikimi.errors import Forbidden, NotAuthenticated, RateLimited

router = APIRouter(prefix="/api/v1")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=1000)


class LoginRequest(Strict):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=200)
    totp: str | None = Field(None, max_length=12)


class UserOut(BaseModel):
    id: int
    email: str
    display_name: str
    role: Role
    centre_id: int
    active: bool
    totp_enabled: bool
    locked: bool
    last_login_at: dt.datetime | None

    @classmethod
    def of(cls, user: StaffUser) -> UserOut:
        now = dt.datetime.now(dt.UTC)
        return cls(id=user.id, email=user.email, display_name=user.display_name,
                   role=Role(user.role), centre_id=user.centre_id, active=user.active,
                   totp_enabled=user.totp_enabled,
                   locked=bool(user.locked_until and user.locked_until > now),
                   last_login_at=user.last_login_at)


class LoginResponse(BaseModel):
    user: UserOut
    csrf_token: str
    expires_at: dt.datetime


class CentreOut(BaseModel):
    id: int
    name: str
    is_central: bool
    created_at: dt.datetime

    @classmethod
    def of(cls, centre: Centre) -> CentreOut:
        return cls(id=centre.id, name=centre.name, is_central=centre.is_central,
                   created_at=centre.created_at)


class CentreIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    is_central: bool = False


class UserIn(Strict):
    email: str = Field(min_length=3, max_length=254)
    role: Role
    centre_id: int | None = Field(None, ge=1, le=2**31 - 1)
    display_name: str = Field("", max_length=200)


class NewUserOut(BaseModel):
    user: UserOut
    password: str = Field(description="shown once")
    totp_secret: str | None = Field(None, description="shown once, for admin roles")
    totp_uri: str | None = None


class UserPatch(Strict):
    active: bool | None = None
    role: Role | None = None
    display_name: str | None = Field(None, max_length=200)


class PasswordChange(Strict):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


class TotpSetupOut(BaseModel):
    secret: str
    uri: str


class TotpCode(Strict):
    code: str = Field(min_length=6, max_length=12)


class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    days: int | None = Field(None, ge=1, le=3650)


class TokenOut(BaseModel):
    id: int
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked: bool

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        return cls(id=token.id, name=token.name, created_at=token.created_at,
                   expires_at=token.expires_at, last_used_at=token.last_used_at,
                   revoked=token.revoked_at is not None)


class NewTokenOut(BaseModel):
    token: TokenOut
    secret: str = Field(description="the bearer token, shown once")


Me = Annotated[StaffUser, Depends(current_user)]
RecordId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def set_session_cookie(request: Request, response: Response, token: str,
                       expires: dt.datetime) -> None:
    runtime = get_runtime(request)
    secure = runtime.settings.secure_cookies or request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=secure,
                        max_age=int((expires - dt.datetime.now(dt.UTC)).total_seconds()),
                        path="/")


def check_login_rate(request: Request, email: str) -> None:
    limiter = request.app.state.login_limiter
    if not (limiter.hit(f"ip:{client_ip(request)}") and limiter.hit(f"acct:{email.lower()}")):
        raise RateLimited("too many login attempts; wait a minute and try again")


@router.post("/auth/login", response_model=LoginResponse, tags=["auth"],
             responses={401: {}, 429: {}})
def login(body: LoginRequest, request: Request, ctx: PublicContext) -> Response:
    """Log in with e-mail, password and (where enabled) a TOTP code; sets a session cookie."""
    check_login_rate(request, body.email)
    result = service.login(ctx, body.email, body.password, body.totp)
    if isinstance(result, NotAuthenticated):
        lang = request_language(request)
        # Returned, not raised: the failure count and its audit entry must be committed.
        return JSONResponse({"error": {"code": result.code, "message": error_message(
            result.code, result.message, lang), "detail": result.message}}, status_code=401)
    payload = LoginResponse(user=UserOut.of(result.user),
                            csrf_token=csrf_token_for(get_runtime(request), result.session_token),
                            expires_at=result.expires_at)
    response = JSONResponse(payload.model_dump(mode="json"))
    set_session_cookie(request, response, result.session_token, result.expires_at)
    return response


@router.post("/auth/logout", status_code=204, tags=["auth"])
def logout(request: Request, ctx: StaffContext) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.logout(ctx, token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/auth/me", response_model=UserOut, tags=["auth"])
def me(ctx: StaffContext, user: Me) -> UserOut:
    return UserOut.of(user)


@router.post("/me/password", status_code=204, tags=["auth"])
def change_password(body: PasswordChange, request: Request, ctx: StaffContext,
                    user: Me) -> Response:
    """Change your password: your other sessions end and your API tokens are revoked (the
    session you change it from stays logged in)."""
    principal: Principal = request.state.principal
    service.change_password(ctx, user, body.current_password, body.new_password,
                            keep_session=principal.session_token)
    return Response(status_code=204)


@router.post("/me/totp/setup", response_model=TotpSetupOut, tags=["auth"])
def totp_setup(ctx: StaffContext, user: Me) -> TotpSetupOut:
    secret, uri = service.begin_totp(ctx, user)
    return TotpSetupOut(secret=secret, uri=uri)


@router.post("/me/totp/enable", status_code=204, tags=["auth"])
def totp_enable(body: TotpCode, ctx: StaffContext, user: Me) -> Response:
    service.enable_totp(ctx, user, body.code)
    return Response(status_code=204)


@router.get("/me/tokens", response_model=list[TokenOut], tags=["auth"])
def list_tokens(ctx: StaffContext, user: Me) -> list[TokenOut]:
    return [TokenOut.of(t) for t in service.list_api_tokens(ctx, user)]


@router.post("/me/tokens", response_model=NewTokenOut, status_code=201, tags=["auth"])
def create_token(body: TokenIn, ctx: StaffContext, user: Me) -> NewTokenOut:
    row, secret = service.create_api_token(ctx, user, body.name, body.days)
    return NewTokenOut(token=TokenOut.of(row), secret=secret)


@router.delete("/me/tokens/{token_id}", status_code=204, tags=["auth"])
def revoke_token(token_id: RecordId, ctx: StaffContext, user: Me) -> Response:
    service.revoke_api_token(ctx, user, token_id)
    return Response(status_code=204)


@router.get("/centres", response_model=list[CentreOut], tags=["centres"])
def list_centres(ctx: StaffContext) -> list[CentreOut]:
    return [CentreOut.of(c) for c in service.list_centres(ctx)]


@router.post("/centres", response_model=CentreOut, status_code=201, tags=["centres"])
def add_centre(body: CentreIn, ctx: StaffContext) -> CentreOut:
    return CentreOut.of(service.add_centre(ctx, body.name, is_central=body.is_central))


@router.get("/users", response_model=list[UserOut], tags=["users"])
def list_users(ctx: StaffContext,
               centre_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
               ) -> list[UserOut]:
    return [UserOut.of(u) for u in service.list_users(ctx, centre_id)]


@router.post("/users", response_model=NewUserOut, status_code=201, tags=["users"])
def add_user(body: UserIn, ctx: StaffContext) -> NewUserOut:
    centre_ref = body.centre_id if body.centre_id is not None else ctx.actor.centre_id
    centre = service.resolve_centre(ctx.session, centre_ref)
    created = service.add_user(ctx, body.email, body.role, centre,
                               display_name=body.display_name)
    return NewUserOut(user=UserOut.of(created.user), password=created.password,
                      totp_secret=created.totp_secret, totp_uri=created.totp_uri)


def _visible_user(ctx: StaffContext, user_id: int) -> StaffUser:
    users = {u.id: u for u in service.list_users(ctx)}
    if user_id not in users:
        user = service.get_user(ctx, user_id)
        raise Forbidden(f"staff account {user.id} belongs to another centre")
    return users[user_id]


@router.get("/users/{user_id}", response_model=UserOut, tags=["users"])
def get_user(user_id: RecordId, ctx: StaffContext) -> UserOut:
    return UserOut.of(_visible_user(ctx, user_id))


@router.patch("/users/{user_id}", response_model=UserOut, tags=["users"])
def update_user(user_id: RecordId, body: UserPatch, ctx: StaffContext) -> UserOut:
    return UserOut.of(service.update_user(ctx, user_id, active=body.active, role=body.role,
                                          display_name=body.display_name))


@router.post("/users/{user_id}/unlock", response_model=UserOut, tags=["users"])
def unlock_user(user_id: RecordId, ctx: StaffContext) -> UserOut:
    return UserOut.of(service.unlock_user(ctx, user_id))


class PasswordResetOut(BaseModel):
    user: UserOut
    password: str = Field(description="the new password, shown once")


@router.post("/users/{user_id}/password-reset", response_model=PasswordResetOut,
             tags=["users"])
def reset_password(user_id: RecordId, ctx: StaffContext) -> PasswordResetOut:
    """Give an account a new random password (shown once): all its sessions end and its API
    tokens are revoked."""
    password = service.reset_password(ctx, user_id)
    return PasswordResetOut(user=UserOut.of(service.get_user(ctx, user_id)), password=password)
