"""What bank and match functions return: one representation for the API, the CLI and the web."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class BankOut(BaseModel):
    id: int
    name: str
    owner_kind: str
    case_code: str | None
    centre_id: int = Field(description="the owning centre")
    national: bool = Field(False, description="read by every centre's analysts")
    purpose: str
    negative: bool
    pdq_threshold: int
    entries: int
    created_at: dt.datetime


class EntryOut(BaseModel):
    id: int
    bank: str
    signal_type: str
    value: str = Field(description="the fingerprint (vPDQ: JSON list of frames)")
    quality: int | None
    variant: str
    content_id: str
    label: str
    created_at: dt.datetime
    removed: bool


class PictureOut(BaseModel):
    """One registered picture of a bank: the fingerprints made from one file, counted by
    signal type (a photo gives its PDQ variants, region hashes, SHA-256 and MD5)."""

    content_id: str
    first_entry_id: int
    label: str
    quality: int | None = Field(description="PDQ quality of the picture as registered")
    fingerprints: dict[str, int] = Field(description="active fingerprints per signal type")
    removed: int = Field(description="fingerprints of this picture removed from the bank")
    created_at: dt.datetime


class PicturesOut(BaseModel):
    items: list[PictureOut]
    total: int


class MatchOut(BaseModel):
    bank: str
    entry_id: int
    signal_type: str
    distance: int
    variant: str = Field(description="which variant of the query matched (dihedral)")
    entry_variant: str = Field(description="which registered variant it matched")
    content_id: str
    case_code: str | None
    reliable: bool = Field(description="false when a low-quality hash is involved: such a "
                                       "match never counts on its own (region hashes of "
                                       "quality 20-49 count within 20 bits)")


class MatchResult(BaseModel):
    matched: bool = Field(description="a reliable match in a positive bank, not suppressed")
    matches: list[MatchOut]
    suppressed_by: list[MatchOut] = Field(
        default_factory=list, description="negative-bank hits that suppressed the matches")


class AddedEntries(BaseModel):
    bank: str
    added: int
    content_ids: list[str]
