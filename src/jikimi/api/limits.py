"""Limits of the web service that protect the server itself: request body sizes per route,
and how long a request's image decodes wait for the process's decode memory budget."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from jikimi.core.config import Settings
from jikimi.hashing.decode import decode_wait

FACE_PHOTO_MAX_BYTES = 25 * 1024 * 1024
"""A face photo (portal enrolment, staff enrolment, face search): a phone photo, with room."""

FACE_PATHS = re.compile(r"^(/api/v1)?/(faces(/search)?|cases/[^/]+/faces|victim/faces)$")
MEDIA_PATHS = re.compile(r"^(/api/v1)?/(hash|match|banks/[^/]+/files)$")


def route_body_limits(settings: Settings) -> list[tuple[re.Pattern[str], int]]:
    """Body limits per route, first match wins; every other route gets ``max_body_bytes``
    (JSON and forms, victims' fingerprints included: 1 MB by default)."""
    return [(FACE_PATHS, min(FACE_PHOTO_MAX_BYTES, settings.max_upload_bytes)),
            (MEDIA_PATHS, settings.max_upload_bytes)]


class InteractiveDecoding:
    """Web requests wait only a few seconds for room in the decode budget, then get 503 with
    ``Retry-After`` (the CLI and scans wait longer)."""

    def __init__(self, app: ASGIApp, wait_seconds: float) -> None:
        self.app = app
        self.wait_seconds = wait_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with decode_wait(self.wait_seconds):
            await self.app(scope, receive, send)
