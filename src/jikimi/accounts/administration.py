"""What administrators do to accounts and centres beyond the basics of
:mod:`jikimi.accounts.service`: see one account, reset its two-factor login, rename a centre,
choose the central centre.

Who may change an account is :func:`jikimi.accounts.service.check_can_manage` (the one rule
for the API, the web pages and the CLI); centres are the central admin's
(:func:`jikimi.accounts.service.require_central_admin_or_system`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from jikimi.accounts.models import Centre, StaffUser
from jikimi.accounts.service import (
    check_can_manage,
    end_credentials,
    get_user,
    list_users,
    require_central_admin_or_system,
)
from jikimi.core.actors import ROLES_REQUIRING_TOTP, Role
from jikimi.core.context import ServiceContext
from jikimi.core.security import new_totp_secret, totp_uri
from jikimi.core.text import clean_text
from jikimi.errors import Conflict, Forbidden, NotFound


@dataclass(frozen=True)
class TotpReset:
    """A reset two-factor login: for roles that require it, the new secret (shown once to the
    administrator who hands it over); for the others, none (the user enrols again herself)."""

    user: StaffUser
    secret: str | None
    uri: str | None


def visible_user(ctx: ServiceContext, user_id: int) -> StaffUser:
    """One staff account, if the actor may see the accounts of its centre (administrators of
    that centre, central admins, the CLI); 403 for another centre's account."""
    users = {u.id: u for u in list_users(ctx)}
    if user_id not in users:
        user = get_user(ctx, user_id)
        raise Forbidden(f"staff account {user.id} belongs to another centre")
    return users[user_id]


def reset_totp(ctx: ServiceContext, user_id: int) -> TotpReset:
    """Replace a lost authenticator: roles that must use two-factor login get a new secret at
    once (shown once); the others lose theirs and may enrol again. Sessions end."""
    user = get_user(ctx, user_id)
    check_can_manage(ctx.actor, user.centre_id, target_role=Role(user.role))
    if user.id == ctx.actor.id:
        raise Conflict("another administrator must reset your two-factor login",
                       code="own_account")
    secret: str | None = None
    if Role(user.role) in ROLES_REQUIRING_TOTP:
        secret = new_totp_secret()
        user.totp_secret_enc = ctx.keys.encrypt(secret.encode(), context=f"totp:{user.email}")
        user.totp_enabled = True
    else:
        user.totp_secret_enc = None
        user.totp_enabled = False
    user.totp_last_step = None  # the steps used were the old secret's
    sessions, tokens = end_credentials(ctx.session, user.id)
    ctx.audit("user.totp_reset", "user", user.id, centre_id=user.centre_id,
              details={"new_secret": secret is not None, "sessions_ended": sessions,
                       "tokens_revoked": tokens})
    return TotpReset(user, secret, totp_uri(secret, user.email) if secret else None)


def pending_totp(ctx: ServiceContext, user: StaffUser) -> tuple[str, str] | None:
    """The secret and otpauth URI of the member's own set-up in progress (begun, not yet
    confirmed with a code), to show its QR code again after a mistyped code."""
    if user.totp_enabled or user.totp_secret_enc is None:
        return None
    secret = ctx.keys.decrypt(user.totp_secret_enc, context=f"totp:{user.email}").decode()
    return secret, totp_uri(secret, user.email)


def _centre(ctx: ServiceContext, centre_id: int) -> Centre:
    centre = ctx.session.get(Centre, centre_id)
    if centre is None:
        raise NotFound(f"no centre {centre_id}")
    return centre


def rename_centre(ctx: ServiceContext, centre_id: int, name: str) -> Centre:
    """Rename a centre (central admins and the CLI); names stay unique."""
    require_central_admin_or_system(ctx.actor)
    centre = _centre(ctx, centre_id)
    name = clean_text(name, "the centre name", max_chars=200, allow_empty=False)
    if name == centre.name:
        return centre
    if ctx.session.scalar(select(Centre).where(Centre.name == name, Centre.id != centre.id)):
        raise Conflict(f"a centre named {name!r} already exists", code="centre_exists")
    old = centre.name
    centre.name = name
    ctx.audit("centre.rename", "centre", centre.id, centre_id=centre.id,
              details={"from": old, "to": name})
    return centre


def make_central(ctx: ServiceContext, centre_id: int) -> Centre:
    """Make this centre the central centre (central admins and the CLI). There is one: the
    flag moves, and the central admins' accounts move with it (a central admin belongs to the
    central centre). Cases stay where they are; new portal cases land here."""
    require_central_admin_or_system(ctx.actor)
    centre = _centre(ctx, centre_id)
    if centre.is_central:
        return centre
    previous = ctx.session.scalar(select(Centre).where(Centre.is_central.is_(True)))
    moved: list[int] = []
    if previous is not None:
        previous.is_central = False
        ctx.session.flush()
        for user in ctx.session.scalars(select(StaffUser).where(
                StaffUser.centre_id == previous.id,
                StaffUser.role == Role.CENTRAL_ADMIN.value)):
            user.centre_id = centre.id
            moved.append(user.id)
    centre.is_central = True
    ctx.audit("centre.make_central", "centre", centre.id, centre_id=centre.id,
              details={"previous": previous.id if previous else None,
                       "central_admins_moved": moved})
    return centre
