"""What the Telegram source puts in an item's context, from the real Telegram Desktop exports,
read back as places, posters, times and forwards; other sources; malformed stored data."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from tests.conftest import SHARED_DATA

from jikimi.investigation.linkage import Sighting
from jikimi.investigation.sightings import parse_when, pdq_of, sighting_from
from jikimi.sources import SourceItem
from jikimi.sources.telegram import TelegramExportSource

EXPORTS = SHARED_DATA / "telegram-export"
FOUND = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
PDQ = "f" * 16 + "0" * 48


def items_of(name: str, tmp_path: Path, timezone: str | None) -> list[SourceItem]:
    export = tmp_path / name
    shutil.copytree(EXPORTS / name, export)
    # placeholders for every media path the export names, as its README asks
    data = json.loads((export / "result.json").read_text())
    for m in data["messages"]:
        for f in ("photo", "file", "thumbnail"):
            value = m.get(f)
            if isinstance(value, str) and not value.startswith("("):
                (export / value).parent.mkdir(parents=True, exist_ok=True)
                (export / value).write_bytes(b"placeholder")
    source = TelegramExportSource(export, timezone=timezone)
    return [i for i in source.enumerate() if isinstance(i, SourceItem)]


def as_sighting(n: int, item: SourceItem) -> Sighting:
    return sighting_from(version_id=n, item_id=n, sha256=f"{n:064x}", fingerprints={},
                         found_at=FOUND, locator=item.locator, context=dict(item.context),
                         source_id=7, source_type="telegram", source_name="export")


def test_channel_export_2021(tmp_path: Path) -> None:
    items = items_of("tg2md-private-channel", tmp_path, "Asia/Seoul")
    assert items
    sightings = [as_sighting(n, i) for n, i in enumerate(items)]
    assert {s.place.key for s in sightings} == {"telegram:1292077344"}
    assert {s.place.label for s in sightings} == {"test"}
    # a channel's own posts: the channel is the poster
    assert {s.poster.key for s in sightings if s.poster} == {"telegram:channel1292077344"}
    first = min(sightings, key=lambda s: s.at)
    assert first.at_kind == "posted" and first.at == dt.datetime(2020, 11, 12, 3, 57, 31,
                                                                  tzinfo=dt.UTC)
    assert all(s.message_id is not None for s in sightings)


def test_saved_messages_export_without_zone(tmp_path: Path) -> None:
    items = items_of("tcp-saved-messages", tmp_path, None)
    sightings = [as_sighting(n, i) for n, i in enumerate(items)]
    assert sightings
    # no name in Saved Messages; dates without a zone are not guessed
    assert {s.place.label for s in sightings} == {"Telegram 9999999999"}
    assert all(s.at_kind == "found" and s.at == FOUND for s in sightings)
    # integer ids of old exports are users
    assert {s.poster.key for s in sightings if s.poster} == {"telegram:user9999999999"}


def test_forwarded_and_feed_and_archive() -> None:
    fwd = sighting_from(
        version_id=1, item_id=1, sha256="a" * 64, fingerprints={}, found_at=FOUND,
        locator="x", source_id=1, source_type="telegram", source_name="s",
        context={"chat_id": 5, "chat_name": "  여러\n줄  ", "forwarded_from": "원본 채널",
                 "forwarded_from_id": "channel77", "sender_id": "user9", "sender": "닉"})
    assert fwd.place.label == "여러 줄" and fwd.forwarded_from_key == "telegram:77"
    assert fwd.poster is not None and fwd.poster.label == "닉"
    feed = sighting_from(
        version_id=2, item_id=2, sha256="b" * 64, fingerprints={"pdq": PDQ, "quality": 90,
                                                              "dihedral": [PDQ, "bad"]},
        found_at=FOUND.replace(tzinfo=None), locator="https://cdn.example.net/a.jpg",
        source_id=2, source_type="feed", source_name="feed",
        context={"entry_link": "https://Blog.Example.ORG/post/1", "entry_author": "익명",
                 "entry_published": "2026-01-02T03:04:05Z"})
    assert feed.place.key == "site:blog.example.org" and feed.at_kind == "posted"
    assert feed.poster is not None and feed.poster.key.startswith("author:site:blog")
    assert feed.pdq == PDQ and feed.pdq_variants == (PDQ,)
    page = sighting_from(
        version_id=3, item_id=3, sha256="c" * 64, fingerprints={}, found_at=FOUND,
        locator="https://img.example.com/1.jpg", source_id=3, source_type="urls",
        source_name="list", context={"page_url": "https://forum.example.com/t/1"})
    assert page.place.key == "site:forum.example.com" and page.poster is None
    seized = sighting_from(
        version_id=4, item_id=4, sha256="d" * 64, fingerprints={}, found_at=FOUND,
        locator="/evidence/phone.zip!DCIM/1.jpg", source_id=9, source_type="archive",
        source_name="압수 휴대전화", context={"path": "/evidence/phone.zip"})
    assert seized.place.key == "source:9" and seized.place.label == "압수 휴대전화"


def test_malformed_stored_data_never_crashes() -> None:
    odd = sighting_from(
        version_id=5, item_id=5, sha256="e" * 64,
        fingerprints={"pdq": "zz", "quality": "high", "dihedral": "nope"}, found_at=FOUND,
        locator="", source_id=4, source_type="telegram", source_name="",
        context={"chat_id": True, "date": "yesterday", "message_id": "12",
                 "sender_id": ["x"], "forwarded_from_id": 5, "page_url": "http://[::1"})
    assert odd.place.key == "source:4" and odd.at == FOUND and odd.pdq is None
    assert odd.message_id is None and odd.poster is None and odd.forwarded_from is None
    assert pdq_of({"pdq": PDQ, "quality": 10}) == (None, ())  # too flat to link anything
    assert parse_when("2026-01-01T00:00:00") is None  # no zone: not guessed
    assert parse_when(12) is None
