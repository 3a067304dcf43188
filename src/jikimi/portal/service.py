"""The victim portal's server side: fingerprints in, never images.

The victim proves she holds the case with its code and secret (``cases.victim_view``); from
then on she acts as ``victim:<code>`` and may add fingerprints to her case's own bank
(``case <CODE>``), see what is registered, withdraw sharing and erase. The bank is created on
first use through :mod:`jikimi.matching` with ``case_access_checked=True``: holding the secret
is the check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from jikimi.cases import (
    Case,
    ConsentPurpose,
    VictimCaseView,
    victim_view,
    victim_withdraw_consent,
)
from jikimi.core.actors import Actor, ActorKind
from jikimi.core.context import ServiceContext
from jikimi.errors import Conflict, NotAuthenticated
from jikimi.matching import Bank, BankEntry, NewEntry, add_entries, create_bank

# Signal types a victim registers from the portal (face embeddings are separate, consented).
PORTAL_SIGNALS = ("pdq", "sha256", "md5")
BANK_PURPOSE = "registered by the victim (portal)"


@dataclass(frozen=True)
class SubmittedVariant:
    name: str
    pdq: str
    quality: int


@dataclass(frozen=True)
class SubmittedItem:
    """One image as the browser fingerprinted it (already validated by the API schema)."""

    label: str
    sha256: str
    md5: str
    pdq: str
    quality: int
    variants: Sequence[SubmittedVariant] = ()


@dataclass(frozen=True)
class Registered:
    code: str
    items: int
    added: int
    fingerprints: int


@dataclass(frozen=True)
class RegisteredItem:
    label: str
    content_id: str
    fingerprints: int
    registered_at: dt.datetime


@dataclass(frozen=True)
class PortalStatus:
    case: VictimCaseView
    fingerprints: int
    items: list[RegisteredItem]


def case_bank_name(code: str) -> str:
    """The bank that holds a case's own fingerprints."""
    return f"case {code}"


def _victim(ctx: ServiceContext, code: str, secret: str) -> tuple[Case, VictimCaseView]:
    """Check code and secret (raises ``victim_login_failed``); act as the victim."""
    view = victim_view(ctx, code, secret)
    case = ctx.session.scalar(select(Case).where(Case.code == view.code))
    if case is None or view.erased:  # erased cases have no secret: victim_view refuses them
        raise NotAuthenticated("the case code or secret is not right",
                               code="victim_login_failed")
    ctx.actor = Actor(kind=ActorKind.VICTIM, centre_id=case.centre_id, label=case.code)
    return case, view


def _entries(items: Sequence[SubmittedItem]) -> list[NewEntry]:
    """As ``matching.entries_for_fingerprints``: PDQ and its variants, SHA-256, MD5; the
    content id of every fingerprint of one file is its SHA-256."""
    out: list[NewEntry] = []
    for item in items:
        content = item.sha256.lower()
        out.append(NewEntry("pdq", item.pdq, item.quality, "original", content, item.label))
        for variant in item.variants:
            out.append(NewEntry("pdq", variant.pdq, variant.quality, variant.name, content,
                                item.label))
        out.append(NewEntry("sha256", item.sha256, None, "original", content, item.label))
        out.append(NewEntry("md5", item.md5, None, "original", content, item.label))
    return out


def _count(ctx: ServiceContext, case_id: int) -> int:
    return ctx.session.scalar(
        select(func.count()).select_from(BankEntry).join(Bank, Bank.id == BankEntry.bank_id)
        .where(Bank.case_id == case_id, BankEntry.removed_at.is_(None),
               BankEntry.signal_type.in_(PORTAL_SIGNALS))) or 0


def register(ctx: ServiceContext, code: str, secret: str,
             items: Sequence[SubmittedItem]) -> Registered:
    """Store the fingerprints of ``items`` in the case's bank (created on first use).

    Everything or nothing: a bad value refuses the whole submission."""
    case, view = _victim(ctx, code, secret)
    name = case_bank_name(case.code)
    bank = ctx.session.scalar(select(Bank).where(Bank.name == name))
    if bank is None:
        create_bank(ctx, name, purpose=BANK_PURPOSE, case=(case.id, case.code),
                    owner_kind="case", case_access_checked=True)
    elif bank.case_id != case.id or bank.negative:
        raise Conflict(f"the bank {name!r} is not this case's bank; ask the centre")
    added = add_entries(ctx, name, _entries(items), case_access_checked=True)
    total = _count(ctx, case.id)
    ctx.audit("portal.register", "case", case.code, centre_id=case.centre_id,
              details={"items": len(items), "added": added.added})
    return Registered(code=view.code, items=len(items), added=added.added, fingerprints=total)


def status(ctx: ServiceContext, code: str, secret: str) -> PortalStatus:
    """Her case's status, and what is registered for it, by her own labels."""
    case, view = _victim(ctx, code, secret)
    rows = ctx.session.execute(
        select(BankEntry.content_id, func.max(BankEntry.label), func.count(),
               func.min(BankEntry.created_at))
        .join(Bank, Bank.id == BankEntry.bank_id)
        .where(Bank.case_id == case.id, BankEntry.removed_at.is_(None),
               BankEntry.signal_type.in_(PORTAL_SIGNALS))
        .group_by(BankEntry.content_id)
        .order_by(func.min(BankEntry.created_at), BankEntry.content_id)).all()
    items = [RegisteredItem(label=label or "", content_id=content_id, fingerprints=count,
                            registered_at=created)
             for content_id, label, count, created in rows]
    ctx.audit("portal.status_read", "case", case.code, centre_id=case.centre_id,
              details={"items": len(items)})
    return PortalStatus(case=view, fingerprints=sum(i.fingerprints for i in items),
                        items=items)


def withdraw_sharing(ctx: ServiceContext, code: str, secret: str) -> VictimCaseView:
    """Withdraw consent to share her fingerprints with partner platforms, at once.

    Her fingerprints stay registered with the centre (matching on the centre's own scans goes
    on); only sharing stops. Erasure removes them."""
    _case, view = _victim(ctx, code, secret)
    if ConsentPurpose.PARTNER_SHARING not in view.consents:
        raise Conflict("sharing with partner platforms is not switched on for this case")
    return victim_withdraw_consent(ctx, code, secret, ConsentPurpose.PARTNER_SHARING)
