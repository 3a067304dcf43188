"""Who may see and do what on a case: the per-record authorisation rule, as pure logic.

The rule (also in docs/access.md):

| role | which cases | contact data | notes | status / consent | assigns |
|---|---|---|---|---|---|
| counsellor | her centre's cases assigned to her | yes | read, write | yes | no |
| counsellor | unassigned cases of her centre (intake queue), to pick up | no | no | no | no |
| analyst | every case of her centre (summary) | no | no | no | no |
| investigator | her centre's cases assigned to her or with police consent | no | no | no | no |
| admin | every case of her centre (summary) | no | no | status only | yes |
| central admin | none (cross-centre statistics only) | no | no | no | no |

No staff member ever sees another centre's cases. Victims see their own case through the
code and secret, never through this rule.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from jikimi.cases.lifecycle import ConsentPurpose
from jikimi.core.actors import Actor, ActorKind, Role


@dataclass(frozen=True)
class CaseAccess:
    view: bool = False
    contact: bool = False
    notes: bool = False
    change_status: bool = False
    record_consent: bool = False
    assign: bool = False
    erase: bool = False
    pick_up: bool = False
    """Take an unassigned case from the intake queue (a counsellor assigns herself)."""
    hand_over: bool = False
    """Move the case to another centre (with a reason)."""
    records: bool = True
    """See the records linked to the case (takedowns, evidence, face templates, partners'
    reports, linkage). False for a counsellor looking at an intake-queue case she has not
    picked up: she sees the summary, not where the victim's pictures were found."""

    @property
    def none(self) -> bool:
        return not self.view


NO_ACCESS = CaseAccess()


def case_access(
    actor: Actor,
    *,
    case_centre_id: int,
    assignee_ids: Collection[int],
    active_consents: Collection[ConsentPurpose],
) -> CaseAccess:
    """What ``actor`` may do on one case, from the case's centre, assignees and consents."""
    if actor.kind is ActorKind.SYSTEM:
        return CaseAccess(True, True, True, True, True, True, True, True, True)
    if actor.kind is not ActorKind.STAFF or actor.centre_id != case_centre_id:
        return NO_ACCESS
    assigned = actor.id is not None and actor.id in assignee_ids
    if actor.role is Role.COUNSELLOR:
        if not assigned:
            # The intake queue: a case nobody has yet (a portal case, a case handed over from
            # another centre) is shown to the centre's counsellors as a summary to pick up.
            if not assignee_ids:
                return CaseAccess(view=True, pick_up=True, records=False)
            return NO_ACCESS
        return CaseAccess(view=True, contact=True, notes=True, change_status=True,
                          record_consent=True, erase=True, hand_over=True)
    if actor.role is Role.ANALYST:
        return CaseAccess(view=True)
    if actor.role is Role.INVESTIGATOR:
        if assigned or ConsentPurpose.POLICE_REFERRAL in active_consents:
            return CaseAccess(view=True)
        return NO_ACCESS
    if actor.role is Role.ADMIN:
        return CaseAccess(view=True, change_status=True, assign=True, erase=True,
                          hand_over=True)
    return NO_ACCESS


def may_open_cases(actor: Actor) -> bool:
    return actor.kind is ActorKind.SYSTEM or actor.has_role(Role.COUNSELLOR, Role.ADMIN)


def may_list_cases(actor: Actor) -> bool:
    return actor.kind is ActorKind.SYSTEM or actor.has_role(
        Role.COUNSELLOR, Role.ANALYST, Role.INVESTIGATOR, Role.ADMIN)
