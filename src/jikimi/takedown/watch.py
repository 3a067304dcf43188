"""Hooks into the review queue and scans: confirmed matches propose takedowns, and the
re-upload watch links new copies of confirmed content to their case.

Re-upload: a scan records a new match to a bank entry whose content (the entry itself, or
another entry registered from the same original: the same ``content_id`` in the same bank)
was already confirmed for the same case. The new copy's URL is added to a draft request of
that case on its platform, marked as a re-upload and linked to the earlier request, without
waiting for review: the content is known. Sending stays an analyst's decision (drafts are
never sent by themselves). A copy at a URL already in an open request of the case is not a
re-upload (it is the same copy seen again).

Face matches are never re-uploads: a face is the same person, not the same content, and a
face match waits for a person in the review queue. Entries with no content id are the same
content only as themselves.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from jikimi import review, scans
from jikimi.core.context import ServiceContext
from jikimi.matching.models import BankEntry, of_bank_found_by_another_index
from jikimi.review import ReviewDecision, ReviewStatus
from jikimi.scans import ItemMatch
from jikimi.takedown.models import TakedownItem
from jikimi.takedown.service import propose

WATCH_ACTOR = "system:reupload-watch"
FACE_SIGNAL = "face"


def on_confirmed(ctx: ServiceContext, match: ItemMatch) -> None:
    """A match was confirmed: propose a takedown of its URL (in the same transaction)."""
    request = propose(ctx.session, match, ctx.actor.ref)
    if request is not None:
        ctx.audit("takedown.propose", "takedown", request.id, centre_id=request.centre_id,
                  details={"match_id": match.id, "platform": request.platform_id})


def confirmed_original(session: Session, match: ItemMatch) -> ItemMatch | None:
    """An earlier confirmed match of the same case to the same registered content."""
    if not match.case_code or match.signal_type == FACE_SIGNAL:
        return None
    entry = session.get(BankEntry, match.entry_id)
    if entry is None:
        return None
    same_content = (select(BankEntry.id).where(
        of_bank_found_by_another_index(entry.bank_id), BankEntry.content_id == entry.content_id)
                    if entry.content_id else select(BankEntry.id).where(BankEntry.id == entry.id))
    return session.scalar(
        select(ItemMatch).join(ReviewDecision, ReviewDecision.match_id == ItemMatch.id)
        .where(ReviewDecision.status == ReviewStatus.CONFIRMED.value,
               ItemMatch.signal_type != FACE_SIGNAL,
               ItemMatch.case_code == match.case_code, ItemMatch.id != match.id,
               ItemMatch.entry_id.in_(same_content))
        .order_by(ItemMatch.id).limit(1))


def on_recorded(session: Session, matches: list[ItemMatch]) -> None:
    """New matches from a scan: each re-upload of confirmed content proposes a takedown."""
    for match in matches:
        original = confirmed_original(session, match)
        if original is None:
            continue
        earlier = session.scalar(select(TakedownItem.request_id).where(
            TakedownItem.match_id == original.id).order_by(TakedownItem.id.desc()).limit(1))
        propose(session, match, WATCH_ACTOR, reupload=True, reupload_of=earlier)


def register() -> None:
    """Connect the hooks (idempotent; done when ``jikimi.takedown`` is imported)."""
    review.on_match_confirmed(on_confirmed)
    scans.on_matches_recorded(on_recorded)
