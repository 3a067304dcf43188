"""Case status, intake channels and consent purposes, and the status transition table."""

from __future__ import annotations

import enum

from jikimi.core.state_machine import TransitionTable


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    ACTIVE = "active"
    MONITORING = "monitoring"
    CLOSED = "closed"
    REOPENED = "reopened"


class IntakeChannel(enum.StrEnum):
    HOTLINE = "hotline"
    WEB = "web"
    WALK_IN = "walk_in"
    REFERRAL = "referral"


class ConsentPurpose(enum.StrEnum):
    PARTNER_SHARING = "partner_sharing"
    FACE_SEARCH = "face_search"
    EVIDENCE_CAPTURE = "evidence_capture"
    POLICE_REFERRAL = "police_referral"


_S = CaseStatus
CASE_TRANSITIONS: TransitionTable[CaseStatus] = TransitionTable(
    name="case",
    allowed={
        _S.OPEN: frozenset({_S.ACTIVE, _S.MONITORING, _S.CLOSED}),
        _S.ACTIVE: frozenset({_S.MONITORING, _S.CLOSED}),
        _S.MONITORING: frozenset({_S.ACTIVE, _S.CLOSED}),
        _S.CLOSED: frozenset({_S.REOPENED}),
        _S.REOPENED: frozenset({_S.ACTIVE, _S.MONITORING, _S.CLOSED}),
    },
)
