"""RSS and Atom feeds (read by feedparser): enclosures, ``media:content``,
``media:thumbnail`` and images in the entries' HTML are the items."""

from __future__ import annotations

import calendar
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import feedparser  # type: ignore[import-untyped]

from jikimi.core.perimeter import NetworkGuard
from jikimi.sources.base import ContextValue, ItemError, SourceItem
from jikimi.sources.errors import FetchError, SourceConfigError
from jikimi.sources.http import FetchPolicy, HttpClient
from jikimi.sources.pages import kind_from_path, normalize_url, scan_html
from jikimi.sources.urls import UrlListSource


def _kind(mime: str | None, medium: str | None, url: str) -> str | None:
    for value in (medium or "", (mime or "").split("/", 1)[0]):
        if value.lower() in ("image", "video"):
            return value.lower()
    return kind_from_path(url)


def _is_audio(mime: str | None, medium: str | None) -> bool:
    return (medium or "").lower() == "audio" or (mime or "").lower().startswith("audio/")


def _iso(parsed: time.struct_time | None) -> str | None:
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC).isoformat()


class FeedSource(UrlListSource):
    """One or more RSS/Atom feed URLs (configured, fetched and closed like a URL list)."""

    type = "feed"

    def __init__(
        self, urls: list[str], *, policy: FetchPolicy | None = None,
        client: HttpClient | None = None, guard: NetworkGuard | None = None,
    ) -> None:
        super().__init__(urls, policy=policy, client=client, guard=guard)
        if not self.urls:
            raise SourceConfigError("Source 'feed' needs at least one feed URL.", field="urls")

    def enumerate(self) -> Iterator[SourceItem | ItemError]:
        seen: set[str] = set()
        for url in self.urls:
            yield from self._feed_items(url, seen)

    def _feed_items(self, url: str, seen: set[str]) -> Iterator[SourceItem | ItemError]:
        try:
            resp = self.client.get(url, max_bytes=self.policy.max_page_bytes)
        except FetchError as exc:
            yield ItemError.from_exception(url, url, exc, {"feed_url": url})
            return
        parsed = feedparser.parse(
            resp.content,
            response_headers={"content-location": resp.url,
                              "content-type": resp.headers.get("content-type", "")},
            sanitize_html=False, resolve_relative_uris=False)
        feed = parsed.get("feed", {})
        entries = parsed.get("entries", [])
        if not parsed.get("version") and not entries:
            yield ItemError(url, url, "malformed_feed",
                            f"{url} is not an RSS or Atom feed (Content-Type "
                            f"{resp.headers.get('content-type') or 'missing'}).",
                            {"feed_url": url})
            return
        feed_title = feed.get("title")
        found = 0
        for entry in entries:
            link = entry.get("link")
            base = normalize_url(link, resp.url) if isinstance(link, str) else None
            context: dict[str, ContextValue] = {
                "feed_url": resp.url,
                "feed_title": feed_title,
                "entry_id": entry.get("id"),
                "entry_title": entry.get("title"),
                "entry_link": base,
                "entry_published": _iso(entry.get("published_parsed")
                                        or entry.get("updated_parsed")),
                "entry_author": entry.get("author"),
            }
            for ref_url, kind, how in self._entry_refs(entry, resp.url, base or resp.url):
                found += 1
                if ref_url in seen:
                    continue
                seen.add(ref_url)
                yield SourceItem(ref_url, ref_url, kind, {**context, "found_as": how})
        if parsed.get("bozo") and not found:
            yield ItemError(url, url, "malformed_feed",
                            f"{url} is a malformed feed with no media found "
                            f"({parsed.get('bozo_exception')}).", {"feed_url": url})

    @staticmethod
    def _entry_refs(
        entry: Mapping[str, Any], feed_url: str, entry_base: str
    ) -> Iterator[tuple[str, str | None, str]]:
        for enc in entry.get("enclosures", []):
            url = normalize_url(str(enc.get("href", "")), feed_url)
            if url and not _is_audio(enc.get("type"), None):
                yield url, _kind(enc.get("type"), None, url), "enclosure"
        for media in entry.get("media_content", []):
            url = normalize_url(str(media.get("url", "")), feed_url)
            if url and not _is_audio(media.get("type"), media.get("medium")):
                yield url, _kind(media.get("type"), media.get("medium"), url), "media:content"
        for thumb in entry.get("media_thumbnail", []):
            url = normalize_url(str(thumb.get("url", "")), feed_url)
            if url:
                yield url, "image", "media:thumbnail"
        htmls = [c.get("value", "") for c in entry.get("content", [])]
        htmls.append(entry.get("summary", ""))
        for html in htmls:
            if isinstance(html, str) and "<" in html:
                for ref in scan_html(html, entry_base).media:
                    yield ref.url, ref.kind_hint, f"entry html {ref.how}"

