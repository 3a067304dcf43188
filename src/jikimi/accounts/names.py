"""Who an actor reference is: staff display names and centres, partners' names (one query).

Every page, CSV and document that shows who did something looks references up here and
writes them with :func:`jikimi.core.names.actor_label`, so no screen shows ``staff:4``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from jikimi.accounts.models import Centre, StaffUser
from jikimi.core.names import ActorName, actor_label, parse_ref


def actor_names(session: Session, refs: Iterable[str | None]) -> dict[str, ActorName]:
    """What is known about each reference (staff: display name or the e-mail's local part,
    centre; others: their kind). Unknown references map to kind ``unknown``."""
    wanted = {r for r in refs if r}
    staff_ids: dict[int, str] = {}
    out: dict[str, ActorName] = {}
    for ref in wanted:
        kind, rest = parse_ref(ref)
        if kind == "staff" and rest.isdigit():
            staff_ids[int(rest)] = ref
        else:
            out[ref] = ActorName(ref=ref, kind=kind)
    if staff_ids:
        rows = session.execute(
            select(StaffUser.id, StaffUser.display_name, StaffUser.email, StaffUser.role,
                   StaffUser.centre_id, Centre.name)
            .join(Centre, Centre.id == StaffUser.centre_id)
            .where(StaffUser.id.in_(list(staff_ids)))).all()
        for user_id, display, email, role, centre_id, centre_name in rows:
            name = (display or "").strip() or email.partition("@")[0]
            out[staff_ids[user_id]] = ActorName(
                ref=staff_ids[user_id], kind="staff", name=name, centre_id=centre_id,
                centre_name=centre_name, role=role)
        for ref in staff_ids.values():
            out.setdefault(ref, ActorName(ref=ref, kind="staff"))
    return out


def actor_labeller(session: Session, refs: Iterable[str | None], lang: str,
                   viewer_centre_id: int | None = None) -> Callable[[str | None], str]:
    """A function ``who(ref) -> words`` for one page or document, with every reference looked
    up at once (references not in ``refs`` are looked up when first asked for)."""
    known = actor_names(session, refs)

    def who(ref: str | None) -> str:
        if ref and ref not in known:
            known.update(actor_names(session, [ref]))
        return actor_label(ref, lang, known.get(ref or ""), viewer_centre_id=viewer_centre_id)

    return who
