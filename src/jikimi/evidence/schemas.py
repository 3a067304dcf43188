"""What jikimi.evidence returns: summaries, details and custody events (no victim data)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field


class EvidenceSummary(BaseModel):
    """One evidence item as lists show it (and as other capabilities may use it)."""

    id: int
    case_code: str
    kind: str = Field(description="page, image, video or file: what the URL served")
    url: str = Field(description="the URL that was asked for")
    final_url: str = Field(description="the URL after redirects")
    sha256: str = Field(description="SHA-256 of the bytes the final URL served")
    pdq: str | None = Field(None, description="PDQ of the image (image items only)")
    captured_at: dt.datetime
    captured_by: str = Field(description="who captured it (actor reference, e.g. staff:12)")
    captured_by_name: str = ""
    http_status: int
    status: str = Field(description="held or destroyed")
    media_count: int = 0


class CapturedResource(BaseModel):
    """A media file (or page resource) captured along with the page."""

    url: str
    final_url: str | None = None
    role: str = Field(description="media (found in the page) or resource (loaded to render)")
    how: str = ""
    kind: str | None = None
    status: int | None = None
    content_type: str = ""
    size: int = 0
    sha256: str | None = None
    md5: str | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    error: str | None = None


class TlsCertificate(BaseModel):
    """The server's certificate as presented during the capture."""

    sha256: str
    subject: str = ""
    issuer: str = ""
    serial: str = ""
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None
    verified: bool = False
    verify_error: str = ""
    tls_version: str = ""
    peer_address: str = ""


class EvidenceDetail(EvidenceSummary):
    redirects: list[str]
    headers: dict[str, str]
    content_type: str
    size: int
    md5: str
    pdq_quality: int | None = None
    tls_fingerprint: str | None = None
    tls: TlsCertificate | None = None
    page_title: str = ""
    resources: list[CapturedResource] = []
    screenshot_sha256: str | None = None
    warc_name: str
    warc_sha256: str
    warc_size: int
    captured_at_kst: str
    reason: str = ""
    match_id: int | None = None
    destroyed_at: dt.datetime | None = None


class CustodyEntry(BaseModel):
    """One event of an item's chain of custody."""

    id: int
    item_id: int
    at: dt.datetime
    actor: str
    actor_name: str = ""
    action: str
    reason: str = ""
    via: str = ""
    details: dict[str, Any] = {}
