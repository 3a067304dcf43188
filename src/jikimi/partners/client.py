"""The reference client a platform can run (``jikimi partner-client``): it keeps a local copy of
the feed, verifies every page before applying it, and answers lookups from the local copy.

A page is applied only if

- its Ed25519 signature verifies under the centre's public key, pinned by the platform (a
  forged or altered page fails);
- it echoes the random nonce this client sent with the request, and starts at this client's
  cursor (a replayed page, an old page or a page for another position fails);
- it names this partner (a page fetched by another platform fails).

The local copy is saved after every page, so an interrupted sync resumes where it stopped.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from jikimi.errors import IntegrityError, InvalidInput, JikimiError, NotAuthenticated, RateLimited
from jikimi.matching import signal_type
from jikimi.partners.feed import FEED_FORMAT, parse_public_key, verify_signature

USER_AGENT = "jikimi-partner-client/1"


class FeedVerificationError(IntegrityError):
    """A feed page failed verification: it was not applied."""

    code = "feed_verification_failed"


@dataclass
class LocalCopy:
    """The platform's copy of the feed: the cursor and the active entries by opaque id."""

    cursor: str = "0"
    partner: str | None = None
    entries: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> LocalCopy:
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text())
            return cls(cursor=str(data["cursor"]), partner=data.get("partner"),
                       entries=dict(data["entries"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(f"the local copy {path} is damaged: delete it to sync again "
                               "from the start", code="bad_local_copy") from exc

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps({"cursor": self.cursor, "partner": self.partner,
                                   "entries": self.entries}, ensure_ascii=False))
        os.replace(tmp, path)


def verify_page(document: Any, public_key: str, *, cursor: str, nonce: str | None,
                partner: str | None = None) -> dict[str, Any]:
    """The page of a feed response, if it is the centre's, fresh and in sequence."""
    try:
        page = verify_signature(document, parse_public_key(public_key))
    except IntegrityError as exc:
        raise FeedVerificationError(exc.message) from exc
    if page.get("format") != FEED_FORMAT:
        raise FeedVerificationError(f"unknown feed format {page.get('format')!r}")
    if nonce is not None and page.get("nonce") != nonce:
        raise FeedVerificationError("replayed page: it does not carry the nonce this client "
                                    "sent")
    if page.get("cursor") != cursor:
        raise FeedVerificationError(f"the page starts at {page.get('cursor')!r}, not at this "
                                    f"copy's cursor {cursor!r} (replayed or out of order)")
    if partner is not None and page.get("partner") != partner:
        raise FeedVerificationError("the page was issued to another partner")
    next_cursor = page.get("next_cursor")
    if not isinstance(next_cursor, str) or not next_cursor.isdigit() \
            or int(next_cursor) < int(cursor or "0"):
        raise FeedVerificationError("the page's next cursor goes backwards")
    changes = page.get("changes")
    if not isinstance(changes, list) or not all(
            isinstance(c, dict) and c.get("op") in ("add", "remove")
            and isinstance(c.get("id"), str) for c in changes):
        raise FeedVerificationError("the page's changes are malformed")
    return page


@dataclass
class SyncResult:
    pages: int = 0
    added: int = 0
    removed: int = 0
    entries: int = 0
    cursor: str = "0"


def _raise_for(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        error = response.json().get("error", {})
        message = str(error.get("detail") or error.get("message") or response.text)[:300]
    except ValueError:
        message = response.text[:300]
    if response.status_code == 401:
        raise NotAuthenticated(message, code="partner_key_invalid")
    if response.status_code == 429:
        raise RateLimited(message, code="partner_rate_limited")
    raise JikimiError(f"the centre answered {response.status_code}: {message}",
                      code="partner_api_error")


class PartnerClient:
    """Talks to one centre with one key; the local copy lives in ``state_path``."""

    def __init__(self, base_url: str, key: str, public_key: str | None, state_path: Path, *,
                 http: httpx.Client | None = None, page_size: int = 1000) -> None:
        self.base_url = base_url.rstrip("/")
        self.public_key = public_key
        if public_key is not None:
            parse_public_key(public_key)
        self.state_path = state_path
        self.page_size = page_size
        self.http = http or httpx.Client(timeout=30)
        self.headers = {"Authorization": f"Bearer {key}", "User-Agent": USER_AGENT}

    def sync(self, max_pages: int = 100_000) -> SyncResult:
        """Pull and apply every page after the local cursor."""
        if self.public_key is None:
            raise InvalidInput("syncing needs the centre's public key (--public-key), to "
                               "verify every page", code="bad_public_key")
        copy = LocalCopy.load(self.state_path)
        result = SyncResult(cursor=copy.cursor)
        for _ in range(max_pages):
            nonce = secrets.token_urlsafe(16)
            response = self.http.get(f"{self.base_url}/api/v1/partner/hashes", headers=self.headers,
                                     params={"cursor": copy.cursor, "nonce": nonce,
                                             "limit": self.page_size})
            _raise_for(response)
            try:
                document = response.json()
            except ValueError as exc:
                raise FeedVerificationError("the feed page is not JSON") from exc
            page = verify_page(document, self.public_key, cursor=copy.cursor, nonce=nonce,
                               partner=copy.partner)
            for change in page["changes"]:
                if change["op"] == "add":
                    copy.entries[change["id"]] = {
                        "signal_type": str(change["signal_type"]), "value": str(change["value"]),
                        "category": str(change.get("category", ""))}
                    result.added += 1
                elif copy.entries.pop(change["id"], None) is not None:
                    result.removed += 1
            copy.cursor = page["next_cursor"]
            copy.partner = copy.partner or page["partner"]
            copy.save(self.state_path)
            result.pages += 1
            if not page["has_more"]:
                break
        result.entries = len(copy.entries)
        result.cursor = copy.cursor
        return result

    def lookup_local(self, fingerprints: list[tuple[str, str]], threshold: int = 31
                     ) -> list[dict[str, Any]]:
        """Match fingerprints against the local copy (no network): PDQ within ``threshold``
        bits, vPDQ by shared frames, digests exactly."""
        copy = LocalCopy.load(self.state_path)
        matches = []
        for number, (kind_name, value) in enumerate(fingerprints):
            kind = signal_type(kind_name)
            query = kind.normalise(value)
            limit = threshold if kind_name == "pdq" else kind.default_threshold
            for entry_id, entry in copy.entries.items():
                if entry["signal_type"] != kind_name:
                    continue
                distance = kind.distance(query, entry["value"])
                if distance <= limit:
                    matches.append({"id": entry_id, "category": entry["category"],
                                    "signal_type": kind_name, "distance": distance,
                                    "query": number})
        return sorted(matches, key=lambda m: (m["distance"], m["id"]))

    def lookup_remote(self, fingerprints: list[tuple[str, str]],
                      threshold: int | None = None) -> dict[str, Any]:
        response = self.http.post(f"{self.base_url}/api/v1/partner/lookup", headers=self.headers,
                                  json={"fingerprints": [{"signal_type": k, "value": v}
                                                         for k, v in fingerprints],
                                        "threshold": threshold})
        _raise_for(response)
        result: dict[str, Any] = response.json()
        return result

    def feedback(self, reports: list[dict[str, Any]]) -> dict[str, Any]:
        response = self.http.post(f"{self.base_url}/api/v1/partner/feedback",
                                  headers=self.headers, json={"reports": reports})
        _raise_for(response)
        result: dict[str, Any] = response.json()
        return result
