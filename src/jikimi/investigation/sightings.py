"""From what a scan stored (an item's locator and context, a version's fingerprints) to a
:class:`~jikimi.investigation.linkage.Sighting`: where, when, by whom. Pure.

What the sources put in an item's context (see ``jikimi.sources``):

* Telegram exports: ``chat_id``, ``chat_name``, ``chat_type``, ``message_id``, ``sender``,
  ``sender_id`` (``user…``/``channel…``; old exports wrote a user as a bare integer, read
  here as ``user<id>`` so one person is one poster across export versions), ``date`` (ISO
  with zone, or None when the export's time zone is unknown), ``forwarded_from``,
  ``forwarded_from_id``.
* Web pages, crawls and URL lists: ``page_url`` (the page the media was shown on) or none
  when the URL was the media itself.
* Feeds: ``feed_url``, ``entry_link``, ``entry_published``, ``entry_author``.
* Archives and folders: ``path``, ``archive``, ``entry``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from jikimi.hashing import LOW_QUALITY_THRESHOLD
from jikimi.investigation.linkage import Place, Poster, Sighting

WEB_SOURCE_TYPES = frozenset({"urls", "crawl", "feed"})
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_CHANNEL_PEER = re.compile(r"^channel(-?\d{1,20})$")
_MAX_LABEL = 200


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())[:_MAX_LABEL]
    return None


def _host(url: object) -> str | None:
    if not isinstance(url, str) or not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.lower().rstrip(".") if host else None


def parse_when(value: object) -> dt.datetime | None:
    """An ISO 8601 time with a zone, in UTC; None for anything else (zone-less included)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return when.astimezone(dt.UTC)


def place_of(source_id: int, source_type: str, source_name: str, locator: str,
             context: Mapping[str, Any]) -> Place:
    """The place an item was seen: its Telegram chat, its web site, or its source."""
    chat_id = context.get("chat_id")
    if source_type == "telegram" and isinstance(chat_id, int) and not isinstance(chat_id, bool):
        label = _text(context.get("chat_name")) or f"Telegram {chat_id}"
        return Place(f"telegram:{chat_id}", "telegram", label)
    if source_type in WEB_SOURCE_TYPES:
        host = (_host(context.get("page_url")) or _host(context.get("entry_link"))
                or _host(locator))
        if host:
            return Place(f"site:{host}", "site", host)
    return Place(f"source:{source_id}", source_type or "source",
                 _text(source_name) or f"source {source_id}")


def poster_of(place: Place, context: Mapping[str, Any]) -> Poster | None:
    """Who posted it: a Telegram sender (by id, the same across chats), a feed's author."""
    if place.kind == "telegram":
        sender_id = _text(context.get("sender_id"))
        if sender_id and sender_id.isdigit():
            # Old exports wrote a user's id as a bare integer (a channel's own posts are
            # already "channel<id>", set by the Telegram source).
            sender_id = f"user{sender_id}"
        sender = _text(context.get("sender"))
        if sender_id:
            return Poster(f"telegram:{sender_id}", sender or sender_id)
        if sender:
            return Poster(f"telegram-name:{sender}", sender)
        return None
    author = _text(context.get("entry_author"))
    if author:
        return Poster(f"author:{place.key}:{author}", f"{author} ({place.label})")
    return None


def _forward(context: Mapping[str, Any]) -> tuple[str | None, str | None]:
    label = _text(context.get("forwarded_from"))
    raw = context.get("forwarded_from_id")
    key = None
    if isinstance(raw, str):
        m = _CHANNEL_PEER.match(raw.strip())
        if m:
            key = f"telegram:{int(m.group(1))}"
    if label is None and key is None and isinstance(raw, str) and raw.strip():
        label = _text(raw)
    return label, key


def pdq_of(fingerprints: Mapping[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    """The reliable PDQ of an image and its dihedral variants; (None, ()) otherwise."""
    pdq = fingerprints.get("pdq")
    quality = fingerprints.get("quality")
    if not isinstance(pdq, str) or not _HEX64.match(pdq.lower()):
        return None, ()
    if not isinstance(quality, int) or quality < LOW_QUALITY_THRESHOLD:
        return None, ()
    raw = fingerprints.get("dihedral")
    variants = tuple(v.lower() for v in raw if isinstance(v, str) and _HEX64.match(v.lower())
                     ) if isinstance(raw, list) else ()
    return pdq.lower(), variants


def sighting_from(*, version_id: int, item_id: int, sha256: str,
                  fingerprints: Mapping[str, Any], found_at: dt.datetime, locator: str,
                  context: Mapping[str, Any], source_id: int, source_type: str,
                  source_name: str, case_codes: Iterable[str] = (),
                  content_ids: Iterable[str] = ()) -> Sighting:
    """One stored item version as a sighting."""
    place = place_of(source_id, source_type, source_name, locator, context)
    posted = parse_when(context.get("date")) if place.kind == "telegram" else parse_when(
        context.get("entry_published"))
    found = found_at if found_at.tzinfo else found_at.replace(tzinfo=dt.UTC)
    pdq, variants = pdq_of(fingerprints)
    forwarded_from, forwarded_key = _forward(context)
    message_id = context.get("message_id")
    return Sighting(
        ref=f"v{version_id}", item_id=item_id, sha256=sha256, place=place,
        at=posted or found.astimezone(dt.UTC), at_kind="posted" if posted else "found",
        locator=locator, pdq=pdq, pdq_variants=variants, poster=poster_of(place, context),
        message_id=message_id if isinstance(message_id, int) and not isinstance(
            message_id, bool) else None,
        forwarded_from=forwarded_from, forwarded_from_key=forwarded_key,
        content_ids=frozenset(content_ids), case_codes=frozenset(case_codes))
