"""Cases: intake, encrypted contact data, consent, notes, status lifecycle, erasure."""

from jikimi.cases.access import CaseAccess, case_access
from jikimi.cases.lifecycle import CASE_TRANSITIONS, CaseStatus, ConsentPurpose, IntakeChannel
from jikimi.cases.models import Case
from jikimi.cases.schemas import (
    CaseDetail,
    CaseSummary,
    CentreStatistics,
    ConsentState,
    Contact,
    Note,
    OpenedCase,
    TimelineEvent,
    VictimCaseView,
)
from jikimi.cases.service import (
    add_note,
    assign,
    case_ref,
    change_status,
    erase_case,
    get_case,
    list_cases,
    list_consents,
    list_notes,
    on_case_erased,
    on_consent_withdrawn,
    open_case,
    record_consent,
    statistics,
    timeline,
    unassign,
    victim_erase,
    victim_view,
)

__all__ = [
    "CASE_TRANSITIONS", "Case", "CaseAccess", "CaseDetail", "CaseStatus", "CaseSummary",
    "CentreStatistics", "ConsentPurpose", "ConsentState", "Contact", "IntakeChannel", "Note",
    "OpenedCase", "TimelineEvent", "VictimCaseView", "add_note", "assign", "case_access",
    "case_ref",
    "change_status", "erase_case", "get_case", "list_cases", "list_consents", "list_notes",
    "on_case_erased", "on_consent_withdrawn", "open_case", "record_consent", "statistics",
    "timeline", "unassign", "victim_erase",
    "victim_view",
]
