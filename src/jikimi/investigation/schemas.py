"""What the investigation service returns: one representation for the API, the CLI and the web."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field


class PlaceOut(BaseModel):
    key: str = Field(description="telegram:<chat id>, site:<host> or source:<id>")
    kind: str
    label: str
    sightings: int
    contents: list[str]
    first_at: dt.datetime
    last_at: dt.datetime
    posters: int
    cluster: str | None
    first_to_post: int = Field(description="contents that appeared here before anywhere else")


class ContentOut(BaseModel):
    id: str
    sha256s: list[str]
    first_at: dt.datetime
    first_at_kind: str
    first_place: str
    places: list[str] = Field(description="places in the order the content reached them")
    sightings: int
    case_codes: list[str]


class EdgeOut(BaseModel):
    a: str
    b: str
    weight: int = Field(description="number of contents both places hold")
    contents: list[str]


class ClusterOut(BaseModel):
    id: str
    places: list[str]
    contents: list[str]


class PosterOut(BaseModel):
    key: str
    label: str
    sightings: int
    contents: list[str]
    places: list[str]
    first_at: dt.datetime
    last_at: dt.datetime


class ForwardOut(BaseModel):
    place: str
    origin_label: str
    origin_key: str | None
    count: int


class SpreadOut(BaseModel):
    at: dt.datetime
    at_kind: str
    content: str
    place: str
    poster: str | None
    first: bool
    locator: str


class SightingOut(BaseModel):
    ref: str
    content: str
    place: str
    poster: str | None
    poster_label: str | None
    at: dt.datetime
    at_kind: str
    locator: str
    sha256: str
    pdq: str | None
    message_id: int | None
    forwarded_from: str | None
    case_codes: list[str]


class LinkageOut(BaseModel):
    """A linkage analysis of one scope (a case's content, or the whole centre)."""

    scope: Literal["case", "centre"]
    case_code: str | None
    centre_id: int | None
    generated_at: dt.datetime
    pdq_threshold: int
    min_shared: int
    rule: str
    places: list[PlaceOut]
    contents: list[ContentOut]
    edges: list[EdgeOut]
    clusters: list[ClusterOut]
    posters: list[PosterOut]
    forwards: list[ForwardOut]
    timeline: list[SpreadOut]
    sightings: list[SightingOut]
