"""Centres, staff accounts, login (password + TOTP, lockout), sessions and API tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, or_, select
from sqlalchemy.orm import Session

from jikimi.accounts.models import ApiToken, Centre, LoginThrottle, StaffSession, StaffUser
from jikimi.core.actors import ROLES_REQUIRING_TOTP, Actor, ActorKind, Role
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.core.security import (
    burn_password_check,
    generate_password,
    hash_password,
    new_token,
    new_totp_secret,
    token_digest,
    totp_step,
    totp_uri,
    verify_password,
)
from jikimi.core.text import clean_text, is_email
from jikimi.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound

MIN_PASSWORD_LENGTH = 12
TOKEN_LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
"""An API token's ``last_used_at`` is written when it is older than this, not on every call:
a write per request made every request of a token (a script's, a shared one's) wait for the
one before it to commit, for the row."""


def actor_for(user: StaffUser) -> Actor:
    return Actor(kind=ActorKind.STAFF, id=user.id, role=Role(user.role),
                 centre_id=user.centre_id, label=user.email)


# --- centres ---------------------------------------------------------------------------------
def require_central_admin_or_system(actor: Actor) -> None:
    if actor.kind is ActorKind.SYSTEM or actor.has_role(Role.CENTRAL_ADMIN):
        return
    raise Forbidden("only a central-centre administrator may manage centres")


def add_centre(ctx: ServiceContext, name: str, *, is_central: bool = False) -> Centre:
    """Create a centre; names are unique."""
    require_central_admin_or_system(ctx.actor)
    name = clean_text(name, "the centre name", max_chars=200, allow_empty=False)
    if ctx.session.scalar(select(Centre).where(Centre.name == name)):
        raise Conflict(f"a centre named {name!r} already exists", code="centre_exists")
    if is_central and ctx.session.scalar(select(Centre).where(Centre.is_central.is_(True))):
        raise Conflict("there is already a central centre")
    centre = Centre(name=name, is_central=is_central, created_at=utcnow())
    ctx.session.add(centre)
    ctx.session.flush()
    ctx.audit("centre.create", "centre", centre.id, centre_id=centre.id,
              details={"name": name, "is_central": is_central})
    return centre


def list_centres(ctx: ServiceContext) -> list[Centre]:
    """Central admins and the CLI see every centre; staff see their own."""
    query = select(Centre).order_by(Centre.id)
    if ctx.actor.is_staff and not ctx.actor.has_role(Role.CENTRAL_ADMIN):
        query = query.where(Centre.id == ctx.actor.centre_id)
    return list(ctx.session.scalars(query))


def resolve_centre(session: Session, name_or_id: str | int | None) -> Centre:
    """Find a centre by name or id; with none given, the only centre if there is one."""
    if name_or_id is None or name_or_id == "":
        centres = list(session.scalars(select(Centre).order_by(Centre.id)))
        regional = [c for c in centres if not c.is_central]
        if len(centres) == 1:
            return centres[0]
        if len(regional) == 1:
            return regional[0]
        if not centres:
            raise NotFound("no centre exists yet: create one with `jikimi centres add NAME`")
        names = ", ".join(c.name for c in centres)
        raise InvalidInput(f"several centres exist; choose one with --centre ({names})")
    if isinstance(name_or_id, int) or str(name_or_id).isdigit():
        centre = session.get(Centre, int(name_or_id))
    else:
        centre = session.scalar(select(Centre).where(Centre.name == str(name_or_id)))
    if centre is None:
        raise NotFound(f"no centre {name_or_id!r}")
    return centre


# --- users -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class NewUser:
    """A created account with the secrets shown once."""

    user: StaffUser
    password: str
    totp_secret: str | None
    totp_uri: str | None


def check_can_manage(actor: Actor, centre_id: int, *, target_role: Role | None = None,
                     new_role: Role | None = None) -> None:
    """The one rule for changing staff accounts (API, web and CLI all come here).

    The CLI (the operator at the server) and central admins manage every account. A centre
    admin manages only accounts of her own centre that are not central admins, and may not
    make anyone a central admin. ``target_role`` is the account's current role (None when
    creating one), ``new_role`` the role it would get.
    """
    if actor.kind is ActorKind.SYSTEM or actor.has_role(Role.CENTRAL_ADMIN):
        return
    if actor.has_role(Role.ADMIN) and actor.centre_id == centre_id:
        if target_role is Role.CENTRAL_ADMIN:
            raise Forbidden("only a central-centre administrator may change a central admin's "
                            "account", code="central_admin_only")
        if new_role is Role.CENTRAL_ADMIN:
            raise Forbidden("only a central-centre administrator may create central admins",
                            code="central_admin_only")
        return
    raise Forbidden("only an administrator of this centre may manage its staff")


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not is_email(email):
        raise InvalidInput(f"{email!r} is not an e-mail address")
    return email


def add_user(
    ctx: ServiceContext,
    email: str,
    role: Role,
    centre: Centre,
    *,
    display_name: str = "",
    password: str | None = None,
) -> NewUser:
    """Create a staff account. Admin roles get a TOTP secret at once (2FA is required)."""
    check_can_manage(ctx.actor, centre.id, new_role=role)
    if role is Role.CENTRAL_ADMIN and not centre.is_central:
        raise InvalidInput("a central admin must belong to the central centre")
    email = normalise_email(email)
    if ctx.session.scalar(select(StaffUser).where(StaffUser.email == email)):
        raise Conflict(f"an account for {email} already exists")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    password = password or generate_password()
    totp_secret = new_totp_secret() if role in ROLES_REQUIRING_TOTP else None
    user = StaffUser(
        centre_id=centre.id,
        email=email,
        display_name=clean_text(display_name, "the display name", max_chars=200),
        role=role.value,
        password_hash=hash_password(password),
        totp_secret_enc=(ctx.keys.encrypt(totp_secret.encode(), context=f"totp:{email}")
                         if totp_secret else None),
        totp_enabled=totp_secret is not None,
        active=True,
        failed_logins=0,
        created_at=utcnow(),
    )
    ctx.session.add(user)
    ctx.session.flush()
    ctx.audit("user.create", "user", user.id, centre_id=centre.id,
              details={"role": role.value, "email": email})
    return NewUser(user, password, totp_secret,
                   totp_uri(totp_secret, email) if totp_secret else None)


def list_users(ctx: ServiceContext, centre_id: int | None = None) -> list[StaffUser]:
    actor = ctx.actor
    query = select(StaffUser).order_by(StaffUser.id)
    if actor.has_role(Role.ADMIN):
        query = query.where(StaffUser.centre_id == actor.centre_id)
    elif actor.has_role(Role.CENTRAL_ADMIN) or actor.kind is ActorKind.SYSTEM:
        if centre_id is not None:
            query = query.where(StaffUser.centre_id == centre_id)
    else:
        raise Forbidden("only administrators may list staff accounts")
    return list(ctx.session.scalars(query))


def get_user(ctx: ServiceContext, user_id: int) -> StaffUser:
    user = ctx.session.get(StaffUser, user_id)
    if user is None:
        raise NotFound(f"no staff account {user_id}")
    return user


def update_user(
    ctx: ServiceContext,
    user_id: int,
    *,
    active: bool | None = None,
    role: Role | None = None,
    display_name: str | None = None,
) -> StaffUser:
    user = get_user(ctx, user_id)
    check_can_manage(ctx.actor, user.centre_id, target_role=Role(user.role), new_role=role)
    changes: dict[str, object] = {}
    if active is not None and active != user.active:
        if user.id == ctx.actor.id and not active:
            raise Conflict("you cannot deactivate your own account")
        user.active = active
        changes["active"] = active
        if not active:
            _revoke_sessions(ctx.session, user.id)
    if role is not None and role.value != user.role:
        if role is Role.CENTRAL_ADMIN:
            raise InvalidInput("create central admins with a new account in the central centre")
        if role in ROLES_REQUIRING_TOTP and not user.totp_enabled:
            raise Conflict("this role requires two-factor login: the user must enable TOTP first")
        user.role = role.value
        changes["role"] = role.value
    if display_name is not None:
        user.display_name = clean_text(display_name, "the display name", max_chars=200)
        changes["display_name"] = True
    ctx.audit("user.update", "user", user.id, centre_id=user.centre_id, details=changes)
    return user


def unlock_user(ctx: ServiceContext, user_id: int) -> StaffUser:
    user = get_user(ctx, user_id)
    check_can_manage(ctx.actor, user.centre_id, target_role=Role(user.role))
    user.failed_logins = 0
    user.locked_until = None
    ctx.audit("user.unlock", "user", user.id, centre_id=user.centre_id)
    return user


def _revoke_sessions(session: Session, user_id: int) -> None:
    now = utcnow()
    for staff_session in session.scalars(
        select(StaffSession).where(StaffSession.user_id == user_id,
                                   StaffSession.revoked_at.is_(None))
    ):
        staff_session.revoked_at = now


# --- login -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoginResult:
    user: StaffUser
    session_token: str
    expires_at: dt.datetime


def login(
    ctx: ServiceContext, email: str, password: str, totp_code: str | None
) -> LoginResult | NotAuthenticated:
    """Check password and (where enabled) TOTP; lock the account after repeated failures.

    Every outcome is audited. A failure is returned, not raised, so that the caller can
    commit the failure count and its audit entry before refusing. The error never says
    whether the account exists.
    """
    settings = ctx.settings
    now = utcnow()
    failure = NotAuthenticated("wrong e-mail, password or code", code="login_failed")
    try:
        email_norm = normalise_email(email)
    except InvalidInput:
        burn_password_check(password)
        ctx.audit("auth.login_failed", "user", "-", details={"reason": "malformed_email"})
        return failure
    # locked: attempts on one account go in turn (through every serving process), so each
    # failure is counted and the lockout holds
    user = ctx.session.scalar(select(StaffUser).where(StaffUser.email == email_norm)
                              .with_for_update().execution_options(populate_existing=True))
    if user is None:
        return _unknown_account_failure(ctx, email_norm, password, failure)
    if user.locked_until is not None and user.locked_until > now:
        ctx.audit("auth.login_locked", "user", user.id, centre_id=user.centre_id)
        return _locked()
    password_ok = verify_password(user.password_hash, password)
    totp_failure: str | None = None
    if password_ok and user.totp_enabled:
        if not totp_code:
            ctx.audit("auth.totp_required", "user", user.id, centre_id=user.centre_id)
            return NotAuthenticated("enter the 6-digit code from your authenticator app",
                                   code="totp_required")
        totp_failure = _use_totp_code(ctx, user, totp_code, now)
    if not password_ok or totp_failure or not user.active:
        # Inactive accounts count failures too: they must lock like every other address.
        reason = "inactive" if not user.active else (
            "bad_password" if not password_ok else totp_failure or "bad_totp")
        user.failed_logins += 1
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until = now + dt.timedelta(minutes=settings.login_lockout_minutes)
            user.failed_logins = 0
            reason += "+locked"
        ctx.audit("auth.login_failed", "user", user.id, centre_id=user.centre_id,
                  details={"reason": reason})
        return failure
    if Role(user.role) in ROLES_REQUIRING_TOTP and not user.totp_enabled:
        ctx.audit("auth.login_failed", "user", user.id, centre_id=user.centre_id,
                  details={"reason": "totp_not_set_up"})
        return NotAuthenticated("administrators must use two-factor login; ask for a TOTP reset",
                               code="totp_required")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    token = new_token("jks")
    expires = now + dt.timedelta(hours=settings.session_hours)
    ctx.session.add(StaffSession(user_id=user.id, token_digest=token_digest(token),
                                 created_at=now, expires_at=expires))
    ctx.audit("auth.login", "user", user.id, centre_id=user.centre_id)
    return LoginResult(user, token, expires)


def _use_totp_code(ctx: ServiceContext, user: StaffUser, code: str,
                   now: dt.datetime) -> str | None:
    """Accept a TOTP code of the user's secret once: its time step is recorded on the user
    (locked by the caller, in the caller's unit of work) and a code of that step or an earlier
    one is refused from then on, so a code seen over a shoulder or in a log cannot be used
    again. Returns None if accepted, else the reason for the audit: ``bad_totp``, or
    ``bad_totp_replayed`` for a code already used (or older than one used); the caller must
    answer both alike."""
    secret = ctx.keys.decrypt(user.totp_secret_enc or b"", context=f"totp:{user.email}").decode()
    step = totp_step(secret, code, now, after_step=user.totp_last_step)
    if step is None:
        return "bad_totp_replayed" if totp_step(secret, code, now) is not None else "bad_totp"
    user.totp_last_step = step
    return None


def _locked() -> NotAuthenticated:
    return NotAuthenticated(
        "this account is locked after repeated failed logins; try again later or ask an "
        "administrator to unlock it", code="account_locked")


def _unknown_account_failure(ctx: ServiceContext, email: str, password: str,
                             failure: NotAuthenticated) -> NotAuthenticated:
    """A login for an address without an account fails, and locks after as many failures
    as a real account would (kept by keyed digest), so the answers never differ."""
    settings = ctx.settings
    now = utcnow()
    digest = ctx.keys.secret_digest(email, context="login-throttle")
    throttle = ctx.session.get(LoginThrottle, digest, with_for_update=True)
    if throttle is None:
        # Forget addresses that have been quiet for a day (a spray of made-up addresses
        # must not grow the table for ever).
        ctx.session.execute(delete(LoginThrottle).where(
            LoginThrottle.updated_at < now - dt.timedelta(days=1)))
        throttle = LoginThrottle(email_digest=digest, failed_logins=0, updated_at=now)
        ctx.session.add(throttle)
    if throttle.locked_until is not None and throttle.locked_until > now:
        ctx.audit("auth.login_locked", "user", "-", details={"reason": "unknown_account"})
        return _locked()
    burn_password_check(password)
    throttle.failed_logins += 1
    throttle.updated_at = now
    reason = "unknown_account"
    if throttle.failed_logins >= settings.login_max_failures:
        throttle.locked_until = now + dt.timedelta(minutes=settings.login_lockout_minutes)
        throttle.failed_logins = 0
        reason += "+locked"
    ctx.audit("auth.login_failed", "user", "-", details={"reason": reason})
    return failure


def user_for_session(session: Session, token: str) -> StaffUser | None:
    """The active user behind a session cookie, or None if forged, expired or revoked."""
    row = session.scalar(select(StaffSession).where(
        StaffSession.token_digest == token_digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    user = session.get(StaffUser, row.user_id)
    return user if user is not None and user.active else None


def logout(ctx: ServiceContext, token: str) -> None:
    row = ctx.session.scalar(select(StaffSession).where(
        StaffSession.token_digest == token_digest(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        ctx.audit("auth.logout", "user", row.user_id, centre_id=ctx.actor.centre_id)


def end_credentials(session: Session, user_id: int, keep_session: str | None = None
                     ) -> tuple[int, int]:
    """End every session of a user (but the one whose token is ``keep_session``) and revoke
    every personal API token; returns how many of each ended."""
    now = utcnow()
    keep = token_digest(keep_session) if keep_session else None
    sessions = tokens = 0
    for staff_session in session.scalars(
        select(StaffSession).where(StaffSession.user_id == user_id,
                                   StaffSession.revoked_at.is_(None))
    ):
        if staff_session.token_digest != keep:
            staff_session.revoked_at = now
            sessions += 1
    for api_token in session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    ):
        api_token.revoked_at = now
        tokens += 1
    return sessions, tokens


def change_password(ctx: ServiceContext, user: StaffUser, current: str, new: str,
                    *, keep_session: str | None = None) -> None:
    """Change one's own password. Every other session ends and every personal API token is
    revoked (one of them may be how an attacker got in); ``keep_session`` is the session
    token the change was made from, which stays logged in."""
    if not verify_password(user.password_hash, current):
        raise Forbidden("the current password is wrong", code="wrong_password")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = hash_password(new)
    sessions, tokens = end_credentials(ctx.session, user.id, keep_session)
    ctx.audit("user.password_change", "user", user.id, centre_id=user.centre_id,
              details={"sessions_ended": sessions, "tokens_revoked": tokens})


def reset_password(ctx: ServiceContext, user_id: int) -> str:
    """An administrator sets a new random password for an account (returned once): every
    session of the account ends, its API tokens are revoked and a lock is lifted."""
    user = get_user(ctx, user_id)
    check_can_manage(ctx.actor, user.centre_id, target_role=Role(user.role))
    if user.id == ctx.actor.id:
        raise Conflict("change your own password on your account page", code="own_account")
    password = generate_password()
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    sessions, tokens = end_credentials(ctx.session, user.id)
    ctx.audit("user.password_reset", "user", user.id, centre_id=user.centre_id,
              details={"sessions_ended": sessions, "tokens_revoked": tokens})
    return password


# --- TOTP enrolment --------------------------------------------------------------------------
def begin_totp(ctx: ServiceContext, user: StaffUser) -> tuple[str, str]:
    """Store a fresh (not yet enabled) TOTP secret; returns the secret and its otpauth URI."""
    if user.totp_enabled:
        raise Conflict("two-factor login is already enabled")
    secret = new_totp_secret()
    user.totp_secret_enc = ctx.keys.encrypt(secret.encode(), context=f"totp:{user.email}")
    user.totp_last_step = None
    ctx.audit("user.totp_begin", "user", user.id, centre_id=user.centre_id)
    return secret, totp_uri(secret, user.email)


def enable_totp(ctx: ServiceContext, user: StaffUser, code: str) -> None:
    """Turn on two-factor login with a code of the secret begun; the code is used up (it
    cannot then log in), as a login's is."""
    # locked and read again (changes of this unit of work flushed first), as a login does
    ctx.session.scalar(select(StaffUser).where(StaffUser.id == user.id)
                       .with_for_update().execution_options(populate_existing=True))
    if user.totp_enabled:
        raise Conflict("two-factor login is already enabled")
    if user.totp_secret_enc is None:
        raise Conflict("start two-factor set-up first")
    if _use_totp_code(ctx, user, code, utcnow()):
        raise InvalidInput("that code is not right; check the time on your phone and retry",
                           code="bad_totp")
    user.totp_enabled = True
    ctx.audit("user.totp_enable", "user", user.id, centre_id=user.centre_id)


# --- personal API tokens ---------------------------------------------------------------------
def create_api_token(
    ctx: ServiceContext, user: StaffUser, name: str, days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token for automation; the plain token is returned once and never stored."""
    name = clean_text(name, "the token name", max_chars=100, allow_empty=False)
    active = ctx.session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    if (active or 0) >= 20:
        raise Conflict("you have 20 active tokens; revoke one first")
    token = new_token("jkt")
    now = utcnow()
    row = ApiToken(user_id=user.id, name=name, token_digest=token_digest(token), created_at=now,
                   expires_at=now + dt.timedelta(days=days) if days else None)
    ctx.session.add(row)
    ctx.session.flush()
    ctx.audit("token.create", "api_token", row.id, centre_id=user.centre_id,
              details={"name": name})
    return row, token


def list_api_tokens(ctx: ServiceContext, user: StaffUser) -> list[ApiToken]:
    return list(ctx.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_api_token(ctx: ServiceContext, user: StaffUser, token_id: int) -> None:
    row = ctx.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(f"no token {token_id} of yours")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        ctx.audit("token.revoke", "api_token", row.id, centre_id=user.centre_id)


def user_for_api_token(session: Session, token: str) -> StaffUser | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_digest == token_digest(token)))
    now = utcnow()
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= now):
        return None
    user = session.get(StaffUser, row.user_id)
    if user is None or not user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at > TOKEN_LAST_USED_RESOLUTION:
        row.last_used_at = now  # not on every call (the audit log has every call)
    return user


def credentials_still_valid(session: Session | Connection, token_digests: Collection[str],
                            session_digests: Collection[str]
                            ) -> dict[str, tuple[int, str, int | None]]:
    """The rules of :func:`user_for_api_token` and :func:`user_for_session` for many
    credentials at once, by digest (a process's cache of staff credentials re-checks what
    it holds with this every fraction of a second): the digests still valid (not revoked,
    not expired, the account active), each with its account's id, role and centre."""
    now = utcnow()
    found: dict[str, tuple[int, str, int | None]] = {}
    if token_digests:
        for row in session.execute(
            select(ApiToken.token_digest, StaffUser.id, StaffUser.role, StaffUser.centre_id)
            .join(StaffUser, StaffUser.id == ApiToken.user_id)
            .where(ApiToken.token_digest.in_(list(token_digests)),
                   ApiToken.revoked_at.is_(None),
                   or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
                   StaffUser.active.is_(True))):
            found[row.token_digest] = (row.id, row.role, row.centre_id)
    if session_digests:
        for row in session.execute(
            select(StaffSession.token_digest, StaffUser.id, StaffUser.role,
                   StaffUser.centre_id)
            .join(StaffUser, StaffUser.id == StaffSession.user_id)
            .where(StaffSession.token_digest.in_(list(session_digests)),
                   StaffSession.revoked_at.is_(None), StaffSession.expires_at > now,
                   StaffUser.active.is_(True))):
            found[row.token_digest] = (row.id, row.role, row.centre_id)
    return found
