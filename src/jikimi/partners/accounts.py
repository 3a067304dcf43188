"""Partner platforms and their API keys: created, listed, rotated, revoked; presented keys
checked in constant time against a keyed digest (the database alone cannot recover a key)."""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import select

from jikimi.core.actors import Actor, ActorKind, Role
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.core.security import Keyring
from jikimi.core.text import clean_text
from jikimi.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from jikimi.partners.models import Partner, PartnerKey

SCOPES = ("feed", "lookup", "feedback")
"""feed: pull the hash feed (both shapes); lookup: ask per upload; feedback: report back."""
DEFAULT_RATE_PER_MINUTE = 600
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
KEY_PREFIX = "jkp"
KEY_RE = re.compile(r"^jkp_([0-9a-f]{12})_([A-Za-z0-9_\-]{20,100})$")
PARTNER_NAME_RE = re.compile(r"^[A-Za-z0-9가-힣][A-Za-z0-9가-힣_.\- ]{0,119}$")


class KeyOut(BaseModel):
    key_id: str
    scopes: list[str]
    rate_per_minute: int
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    active: bool


class PartnerOut(BaseModel):
    name: str
    contact: str
    created_at: dt.datetime
    disabled: bool
    keys: list[KeyOut]


class NewKey(BaseModel):
    """A key as issued: ``key`` is shown this once and never stored."""

    partner: str
    key_id: str
    key: str
    scopes: list[str]
    rate_per_minute: int


@dataclass(frozen=True)
class PartnerPrincipal:
    """Who is calling: the partner and the key it presented."""

    partner_id: int
    partner_name: str
    key_id: str
    scopes: frozenset[str]
    rate_per_minute: int

    @property
    def actor(self) -> Actor:
        return Actor(kind=ActorKind.PARTNER, id=self.partner_id, label=self.partner_name)

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"this key may not use '{scope}' (its scopes: "
                            f"{', '.join(sorted(self.scopes))})", code="partner_scope")


def may_manage_partners(ctx: ServiceContext) -> None:
    if ctx.actor.kind is ActorKind.SYSTEM or ctx.actor.has_role(Role.ADMIN, Role.CENTRAL_ADMIN):
        return
    raise Forbidden("partners are managed by administrators")


def _digest(ctx: ServiceContext, key: str) -> str:
    return key_digest(ctx.keys, key)


def _scopes(scopes: list[str] | None) -> list[str]:
    chosen = sorted(set(scopes or SCOPES))
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown or not chosen:
        raise InvalidInput(f"scopes are {', '.join(SCOPES)}", code="bad_scope")
    return chosen


def _key_out(key: PartnerKey, now: dt.datetime) -> KeyOut:
    return KeyOut(key_id=key.key_id, scopes=key.scopes.split(","),
                  rate_per_minute=key.rate_per_minute, created_at=key.created_at,
                  revoked_at=key.revoked_at, expires_at=key.expires_at,
                  last_used_at=key.last_used_at, active=_key_active(key, now))


def _key_active(key: PartnerKey, now: dt.datetime) -> bool:
    return key.revoked_at is None and (key.expires_at is None or key.expires_at > now)


def _partner(ctx: ServiceContext, name: str) -> Partner:
    partner = ctx.session.scalar(select(Partner).where(Partner.name == name[:120]))
    if partner is None:
        raise NotFound(f"no partner {name!r}: add it with `jikimi partners add`")
    return partner


def _partner_out(ctx: ServiceContext, partner: Partner) -> PartnerOut:
    now = utcnow()
    keys = ctx.session.scalars(select(PartnerKey).where(PartnerKey.partner_id == partner.id)
                               .order_by(PartnerKey.id))
    return PartnerOut(name=partner.name, contact=partner.contact, created_at=partner.created_at,
                      disabled=partner.disabled_at is not None,
                      keys=[_key_out(k, now) for k in keys])


def _issue_key(ctx: ServiceContext, partner: Partner, scopes: list[str],
               rate_per_minute: int) -> NewKey:
    if not 1 <= rate_per_minute <= 100_000:
        raise InvalidInput("the rate limit is 1 to 100000 calls a minute")
    key_id = secrets.token_hex(6)
    key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    ctx.session.add(PartnerKey(partner_id=partner.id, key_id=key_id,
                               secret_digest=_digest(ctx, key), scopes=",".join(scopes),
                               rate_per_minute=rate_per_minute, created_at=utcnow(),
                               created_by=ctx.actor.ref))
    ctx.session.flush()
    return NewKey(partner=partner.name, key_id=key_id, key=key, scopes=scopes,
                  rate_per_minute=rate_per_minute)


def add_partner(ctx: ServiceContext, name: str, *, contact: str = "",
                scopes: list[str] | None = None,
                rate_per_minute: int = DEFAULT_RATE_PER_MINUTE) -> NewKey:
    """Register a partner platform and issue its first key (returned once)."""
    may_manage_partners(ctx)
    name = clean_text(name, "the partner name", max_chars=120, allow_empty=False)
    if not PARTNER_NAME_RE.match(name):
        raise InvalidInput("partner names use letters, digits, spaces, '_', '.', '-'",
                           code="bad_partner_name")
    contact = clean_text(contact, "the contact", max_chars=254)
    if ctx.session.scalar(select(Partner).where(Partner.name == name)):
        raise Conflict(f"a partner named {name!r} already exists")
    chosen = _scopes(scopes)
    partner = Partner(name=name, contact=contact, created_at=utcnow(), created_by=ctx.actor.ref)
    ctx.session.add(partner)
    ctx.session.flush()
    issued = _issue_key(ctx, partner, chosen, rate_per_minute)
    ctx.audit("partner.add", "partner", partner.id,
              details={"name": name, "key_id": issued.key_id, "scopes": chosen,
                       "rate_per_minute": rate_per_minute})
    return issued


def list_partners(ctx: ServiceContext) -> list[PartnerOut]:
    may_manage_partners(ctx)
    partners = list(ctx.session.scalars(select(Partner).order_by(Partner.name)))
    ctx.audit("partner.list", "partner", "*", details={"count": len(partners)})
    return [_partner_out(ctx, p) for p in partners]


def rotate_key(ctx: ServiceContext, name: str, *, grace_minutes: int = 0,
               scopes: list[str] | None = None,
               rate_per_minute: int | None = None) -> NewKey:
    """Issue a new key; the partner's active keys stop working at once, or after
    ``grace_minutes`` so that the platform can switch without a gap."""
    may_manage_partners(ctx)
    if not 0 <= grace_minutes <= 7 * 24 * 60:
        raise InvalidInput("the grace period is 0 to 10080 minutes (a week)")
    partner = _partner(ctx, name)
    if partner.disabled_at is not None:
        raise Conflict(f"partner {partner.name!r} is disabled")
    now = utcnow()
    old = [k for k in ctx.session.scalars(select(PartnerKey).where(
        PartnerKey.partner_id == partner.id, PartnerKey.revoked_at.is_(None)))
        if _key_active(k, now)]
    latest = old[-1] if old else None
    for key in old:
        if grace_minutes:
            key.expires_at = now + dt.timedelta(minutes=grace_minutes)
        else:
            key.revoked_at = now
    issued = _issue_key(
        ctx, partner,
        _scopes(scopes) if scopes else (latest.scopes.split(",") if latest else list(SCOPES)),
        rate_per_minute or (latest.rate_per_minute if latest else DEFAULT_RATE_PER_MINUTE))
    ctx.audit("partner.rotate_key", "partner", partner.id,
              details={"new_key_id": issued.key_id, "old_key_ids": [k.key_id for k in old],
                       "grace_minutes": grace_minutes})
    return issued


def revoke_key(ctx: ServiceContext, key_id: str) -> KeyOut:
    """Revoke one key at once (its next call gets 401)."""
    may_manage_partners(ctx)
    key = ctx.session.scalar(select(PartnerKey).where(PartnerKey.key_id == key_id[:16]))
    if key is None:
        raise NotFound(f"no partner key {key_id!r}")
    if key.revoked_at is not None:
        raise Conflict(f"key {key_id} is already revoked")
    key.revoked_at = utcnow()
    ctx.audit("partner.revoke_key", "partner", key.partner_id, details={"key_id": key.key_id})
    return _key_out(key, utcnow())


def revoke_partner(ctx: ServiceContext, name: str) -> PartnerOut:
    """Disable a partner and revoke all its keys."""
    may_manage_partners(ctx)
    partner = _partner(ctx, name)
    now = utcnow()
    partner.disabled_at = partner.disabled_at or now
    for key in ctx.session.scalars(select(PartnerKey).where(
            PartnerKey.partner_id == partner.id, PartnerKey.revoked_at.is_(None))):
        key.revoked_at = now
    ctx.audit("partner.disable", "partner", partner.id, details={"name": partner.name})
    return _partner_out(ctx, partner)


@dataclass(frozen=True)
class KeyGrant:
    """What a key grants, as the database says: read per call by :func:`authenticate`, or
    held in memory by the serving process's key cache (``partners.hotpath``)."""

    key_id: str
    secret_digest: str
    partner_id: int
    partner_name: str
    scopes: frozenset[str]
    rate_per_minute: int
    revoked_at: dt.datetime | None
    expires_at: dt.datetime | None
    partner_disabled_at: dt.datetime | None

    @classmethod
    def of(cls, key: PartnerKey, partner: Partner) -> KeyGrant:
        return cls(key.key_id, key.secret_digest, partner.id, partner.name,
                   frozenset(key.scopes.split(",")), key.rate_per_minute, key.revoked_at,
                   key.expires_at, partner.disabled_at)


def presented_key_id(presented: str) -> str:
    """The key id of a presented key; NotAuthenticated if it is not a partner key at all."""
    match = KEY_RE.match(presented.strip())
    if not match:
        raise NotAuthenticated("send the partner key as 'Authorization: Bearer jkp_...'",
                               code="partner_key_invalid")
    return match.group(1)


def check_key(grant: KeyGrant | None, presented: str, digest: str, now: dt.datetime
              ) -> PartnerPrincipal:
    """The one rule for a presented key: its keyed digest matches (constant time), it is
    neither revoked nor expired, and its partner is not disabled; else NotAuthenticated."""
    if grant is None or not hmac.compare_digest(grant.secret_digest, digest):
        raise NotAuthenticated("the partner key is unknown", code="partner_key_invalid")
    if grant.revoked_at is not None or (grant.expires_at is not None
                                        and grant.expires_at <= now) \
            or grant.partner_disabled_at is not None:
        raise NotAuthenticated("the partner key was revoked or has expired: ask the centre "
                               "for a new one", code="partner_key_revoked",
                               key_id=grant.key_id, partner_id=grant.partner_id)
    return PartnerPrincipal(grant.partner_id, grant.partner_name, grant.key_id, grant.scopes,
                            grant.rate_per_minute)


def key_digest(keys: Keyring, presented: str) -> str:
    return keys.secret_digest(presented.strip(), context="partner-key")


def authenticate(ctx: ServiceContext, presented: str) -> PartnerPrincipal:
    """The partner a presented key belongs to; NotAuthenticated (401) if it is malformed,
    unknown, revoked or expired, or its partner is disabled."""
    key_id = presented_key_id(presented)
    row = ctx.session.execute(select(PartnerKey, Partner).join(
        Partner, Partner.id == PartnerKey.partner_id).where(
        PartnerKey.key_id == key_id)).one_or_none()
    now = utcnow()
    principal = check_key(None if row is None else KeyGrant.of(row.PartnerKey, row.Partner),
                          presented, key_digest(ctx.keys, presented), now)
    assert row is not None
    key = row.PartnerKey
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        key.last_used_at = now  # not on every call: the audit log has every call
        # written now, so that waiting for this row never happens while holding another lock
        ctx.session.flush()
    return principal


def partner_key_id(presented: str) -> str | None:
    """The public key id of a well-formed key (for logging refusals), else None."""
    match = KEY_RE.match(presented.strip())
    return match.group(1) if match else None
