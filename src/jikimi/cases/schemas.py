"""What case functions return: one representation for the API, the CLI and the web."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from jikimi.cases.lifecycle import CaseStatus, ConsentPurpose, IntakeChannel


class Contact(BaseModel):
    name: str | None = None
    phone: str | None = None
    email: str | None = None


class ConsentState(BaseModel):
    purpose: ConsentPurpose
    granted: bool
    granted_at: dt.datetime | None = None
    granted_by: str | None = None
    withdrawn_at: dt.datetime | None = None
    withdrawn_by: str | None = None


class CaseSummary(BaseModel):
    code: str
    centre_id: int
    centre_name: str
    status: CaseStatus
    intake_channel: IntakeChannel
    intake_at: dt.datetime
    minor: bool
    assignee_ids: list[int]
    consents: list[ConsentPurpose] = Field(description="purposes with consent in force")
    erased: bool
    updated_at: dt.datetime


class CaseDetail(CaseSummary):
    intake_by: str
    contact: Contact | None = Field(None, description="only for roles that may see it")
    consent_records: list[ConsentState]
    closed_at: dt.datetime | None = None
    erased_at: dt.datetime | None = None
    permissions: dict[str, bool]


class OpenedCase(BaseModel):
    """A new case with the victim's secret, shown exactly once."""

    case: CaseDetail
    victim_secret: str


class Note(BaseModel):
    id: int
    author_id: int | None
    created_at: dt.datetime
    text: str


class TimelineEvent(BaseModel):
    at: dt.datetime
    actor: str
    kind: str
    data: dict[str, object]


class VictimCaseView(BaseModel):
    """What the victim sees with her code and secret: status, never staff details."""

    code: str
    status: CaseStatus
    opened_at: dt.datetime
    updated_at: dt.datetime
    consents: list[ConsentPurpose]
    erased: bool


class CentreStatistics(BaseModel):
    centre_id: int
    centre_name: str
    cases_total: int
    minors: int
    by_status: dict[str, int]
    by_channel: dict[str, int]
    opened_by_month: dict[str, int]
    erased: int
