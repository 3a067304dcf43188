"""When a case is handed over to another centre, the records it owns go with it.

``jikimi.cases.hand_over`` moves the case; this hook (registered from ``jikimi.wiring``, the
composition root, because it touches several capabilities' tables) moves, in the same
transaction, what the access rules attach to the case's centre: the case's banks, the matches
of its fingerprints (review decisions follow their match), its takedown requests and its
evidence. Sources and scans stay with the centre that runs them.
"""

from __future__ import annotations

from sqlalchemy import update

from jikimi.cases import on_case_handed_over
from jikimi.core.context import ServiceContext
from jikimi.evidence import EvidenceItem
from jikimi.matching import Bank
from jikimi.scans import ItemMatch
from jikimi.takedown.models import TakedownRequest


def move_case_records(ctx: ServiceContext, case_id: int, code: str, old_centre_id: int,
                      new_centre_id: int) -> None:
    """Give the case's banks, matches, takedown requests and evidence to its new centre."""
    moved = {}
    for name, statement in (
        ("banks", update(Bank).where(Bank.case_id == case_id)),
        ("matches", update(ItemMatch).where(ItemMatch.case_code == code)),
        ("takedowns", update(TakedownRequest).where(TakedownRequest.case_code == code)),
        ("evidence", update(EvidenceItem).where(EvidenceItem.case_id == case_id)),
    ):
        result = ctx.session.execute(statement.values(centre_id=new_centre_id)
                                     .execution_options(synchronize_session="fetch"))
        moved[name] = int(getattr(result, "rowcount", 0) or 0)
    ctx.audit("case.records_moved", "case", code, centre_id=new_centre_id,
              details={"from": old_centre_id, "to": new_centre_id, **moved})


def register() -> None:
    on_case_handed_over(move_case_records)
