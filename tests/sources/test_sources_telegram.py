"""Telegram Desktop exports: the three real samples, the full-account form, hostile variants."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from jikimi.sources import ItemError, SourceItem, TelegramExportSource, build_source
from jikimi.sources.telegram import CHANNEL_ID_SHIFT, normalize_peer_id, plain_text

EXPORTS = Path(__file__).resolve().parents[3] / "shared" / "data" / "telegram-export"
PLACEHOLDERS = {
    "tg2md-private-channel": [
        "photos/photo_1@12-11-2020_12-57-31.jpg", "photos/photo_3@14-07-2021_18-52-46.jpg",
        "voice_messages/audio_1@12-11-2020_13-01-05.ogg", "files/test-sound.ogg",
        "files/dice.svg", "files/dice.svg_thumb.jpg", "files/LICENSE.md"],
    "tcp-saved-messages": [
        "photos/photo_1@01-08-2020_22-01-49.jpg", "video_files/video_1@21-09-2020_01-02-38.mp4",
        "video_files/video_1@21-09-2020_01-02-38.mp4_thumb.jpg",
        "voice_messages/audio_1@06-10-2020_00-33-06.ogg", "video_files/mp4.mp4",
        "stickers/sticker.webp", "stickers/sticker.webp_thumb.jpg"],
    "tcp-public-supergroup-migrated": [],
}

pytestmark = pytest.mark.skipif(not EXPORTS.is_dir(), reason="shared Telegram samples missing")


def export_copy(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    shutil.copyfile(EXPORTS / name / "result.json", folder / "result.json")
    for rel in PLACEHOLDERS[name]:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(b"placeholder " + rel.encode())
    return folder


def run(source: TelegramExportSource) -> tuple[list[SourceItem], list[ItemError]]:
    entries = list(source.enumerate())
    items = [e for e in entries if isinstance(e, SourceItem)]
    errors = [e for e in entries if isinstance(e, ItemError)]
    keys = [e.key for e in entries]
    assert len(keys) == len(set(keys))
    return items, errors


def test_private_channel(tmp_path: Path) -> None:
    folder = export_copy(tmp_path, "tg2md-private-channel")
    items, errors = run(TelegramExportSource(folder))
    assert not errors
    files = sorted({i.context["file"] for i in items})  # voice, audio and text files skipped
    assert files == ["files/dice.svg", "files/dice.svg_thumb.jpg",
                     "photos/photo_1@12-11-2020_12-57-31.jpg",
                     "photos/photo_3@14-07-2021_18-52-46.jpg"]
    album = [i for i in items if i.context["file"] == "photos/photo_3@14-07-2021_18-52-46.jpg"]
    assert sorted(i.context["message_id"] for i in album) == [23, 24, 25]  # type: ignore[type-var]
    first = album[0]
    assert first.key == f"telegram:1292077344:{first.context['message_id']}:{first.context['file']}"
    assert first.kind_hint == "image"
    assert first.context["chat_id"] == 1292077344 and first.context["chat_name"] == "test"
    assert first.context["sender_id"] == "channel1292077344"
    assert first.context["date"] is None  # zone-less local time and no zone configured
    assert first.context["date_local"] == "2021-07-14T18:52:46"
    svg = next(i for i in items if i.context["file"] == "files/dice.svg")
    assert svg.context["mime_type"] == "image/svg+xml" and svg.kind_hint == "image"
    source = TelegramExportSource(folder)
    assert source.fetch(first) == b"placeholder photos/photo_3@14-07-2021_18-52-46.jpg"
    everything, _ = run(TelegramExportSource(folder, include_non_visual=True))
    assert {"files/LICENSE.md", "files/test-sound.ogg"} <= {i.context["file"]
                                                             for i in everything}


def test_timezone_gives_zoned_dates(tmp_path: Path) -> None:
    folder = export_copy(tmp_path, "tg2md-private-channel")
    items, _ = run(TelegramExportSource(folder / "result.json", timezone="Asia/Seoul"))
    dated = next(i for i in items if i.context["message_id"] == 23)
    assert dated.context["date"] == "2021-07-14T18:52:46+09:00"


def test_saved_messages(tmp_path: Path) -> None:
    folder = export_copy(tmp_path, "tcp-saved-messages")
    items, errors = run(TelegramExportSource(folder))
    assert {(e.code, e.context["media_field"]) for e in errors} == {
        ("not_exported", "file"), ("not_exported", "thumbnail")}
    assert all("File exceeds maximum size" in e.reason for e in errors)
    assert errors[0].context["forwarded_from"] == "Other Person"
    by_file = {i.context["file"]: i for i in items}
    assert by_file["video_files/video_1@21-09-2020_01-02-38.mp4"].kind_hint == "video"
    assert by_file["video_files/video_1@21-09-2020_01-02-38.mp4_thumb.jpg"].kind_hint == "image"
    assert by_file["video_files/mp4.mp4"].context["media_type"] == "animation"
    assert "stickers/sticker.webp" in by_file
    assert not any("voice_messages" in f for f in by_file)  # type: ignore[operator]
    photo = by_file["photos/photo_1@01-08-2020_22-01-49.jpg"]
    assert photo.context["caption"] == "I'm a photo message sent straight to saved."
    assert photo.context["chat_type"] == "saved_messages" and photo.context["chat_name"] is None
    assert photo.context["sender"] == "Ben" and photo.context["sender_id"] == "9999999999"
    assert photo.context["width"] == 904


def test_migrated_supergroup(tmp_path: Path) -> None:
    folder = export_copy(tmp_path, "tcp-public-supergroup-migrated")
    items, errors = run(TelegramExportSource(folder))
    assert items == [] and errors == []


def test_full_account_export(tmp_path: Path) -> None:
    chats = [json.loads((EXPORTS / n / "result.json").read_text()) for n in PLACEHOLDERS]
    folder = tmp_path / "account"
    folder.mkdir()
    for name in PLACEHOLDERS:
        for rel in PLACEHOLDERS[name]:
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(b"x")
    (folder / "result.json").write_text(json.dumps({
        "about": "full export", "personal_information": {"user_id": 1},
        "chats": {"about": "chats", "list": chats[:2]},
        "left_chats": {"about": "left", "list": chats[2:]}}))
    items, errors = run(TelegramExportSource(folder))
    assert {i.context["chat_type"] for i in items} == {"private_channel", "saved_messages"}
    assert len(errors) == 2


def write_export(tmp_path: Path, data: Any, files: list[str] = ()) -> Path:  # type: ignore[assignment]
    folder = tmp_path / "export"
    folder.mkdir(exist_ok=True)
    for rel in files:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(b"x")
    (folder / "result.json").write_text(data if isinstance(data, str) else json.dumps(data))
    return folder


def chat(*messages: Any, **top: Any) -> dict[str, Any]:
    return {"name": "c", "type": "public_channel", "id": 5, "messages": list(messages), **top}


@pytest.mark.parametrize("data", ["{not json", '{"messages": [', "[]", '{"name": "x"}', "",
                                  "\ufeff" + "[" * 100_000, '{"chats": {"list": 3}}',
                                  json.dumps({"chats": "no"})])
def test_malformed_result_json(tmp_path: Path, data: str) -> None:
    folder = write_export(tmp_path, data)
    items, errors = run(TelegramExportSource(folder))
    assert items == [] and len(errors) == 1 and errors[0].code == "malformed_export"


def test_missing_export(tmp_path: Path) -> None:
    _, errors = run(TelegramExportSource(tmp_path / "nowhere"))
    assert errors[0].code == "missing_file"


def test_hostile_and_odd_messages(tmp_path: Path) -> None:
    outside = tmp_path / "secret.jpg"
    outside.write_bytes(b"secret")
    folder = write_export(tmp_path, chat(
        {"id": 1, "type": "message", "date": "2024-01-01T00:00:00", "photo": "../secret.jpg"},
        {"id": 2, "type": "message", "date": "x", "photo": str(outside)},
        {"id": 3, "type": "message", "date": "x", "photo": "photos/link.jpg"},
        {"id": 4, "type": "message", "date": "x", "photo": "photos/missing.jpg"},
        {"id": "5", "type": "message", "photo": "photos/ok.jpg"},
        {"id": True, "photo": "photos/ok.jpg"},
        "not a message",
        {"id": 6, "type": "message", "photo": 42},
        {"id": 7, "type": "message", "file": "(File not included. Change data exporting "
         "settings to download.)", "media_type": "video_file"},
        {"id": -8, "type": "message", "date": "2022-07-07T05:35:27",
         "date_unixtime": "1657161327", "from": "A", "from_id": "user77",
         "forwarded_from": "B", "forwarded_from_id": "channel99",
         "text": [{"type": "bold", "text": "hi\n"}, "there", {"type": "link"}],
         "photo": "photos/ok.jpg"},
        {"id": -8, "type": "message", "photo": "photos/ok.jpg"},
        {"id": 9, "type": "message", "photo": "C:\\Windows\\x.jpg"},
    ), files=["photos/ok.jpg"])
    (folder / "photos" / "link.jpg").symlink_to(outside)
    items, errors = run(TelegramExportSource(folder, timezone="UTC"))
    codes = sorted((e.code, e.key.split(":")[2]) for e in errors)
    assert codes == [("malformed_export", "#4"), ("malformed_export", "#5"),
                     ("malformed_export", "#6"), ("malformed_export", "6"),
                     ("missing_file", "4"), ("not_exported", "7"),
                     ("path_outside_export", "1"), ("path_outside_export", "2"),
                     ("path_outside_export", "3"), ("path_outside_export", "9")]
    (item,) = items  # id -8 twice: the same key is yielded once
    chat_id = 5
    assert item.key == f"telegram:{chat_id}:-8:photos/ok.jpg"
    assert item.context["date"] == "2022-07-07T02:35:27+00:00"
    assert item.context["sender_id"] == "user77"
    assert item.context["forwarded_from"] == "B" and item.context["forwarded_from_id"] == (
        "channel99")
    assert item.context["caption"] == "hi\nthere"


def test_fetch_refuses_paths_outside(tmp_path: Path) -> None:
    folder = write_export(tmp_path, chat(), files=["photos/ok.jpg"])
    source = TelegramExportSource(folder)
    evil = SourceItem("k", str(folder / ".." / "result.json"))
    with pytest.raises(Exception) as info:
        source.fetch(evil)
    assert getattr(info.value, "code", None) == "path_outside_export"


def test_ids_and_text() -> None:
    assert normalize_peer_id("channel1292077344") == "channel1292077344"
    assert normalize_peer_id("user007") == "user7"
    assert normalize_peer_id(9999999999) == "9999999999"
    assert normalize_peer_id(True) is None and normalize_peer_id("bogus") is None
    folder_chat = chat(id=1292077344 + CHANNEL_ID_SHIFT, type="private_channel")
    from jikimi.sources.telegram import normalize_chat_id

    assert normalize_chat_id(folder_chat["id"], "private_channel") == 1292077344
    assert normalize_chat_id(9999999999, "saved_messages") == 9999999999
    assert plain_text(["a", {"type": "bold", "text": "b"}, "", {"type": "x"}]) == "ab"
    assert plain_text(None) == ""


def test_config_round_trip(tmp_path: Path) -> None:
    source = build_source("telegram", {"path": str(tmp_path), "timezone": "Asia/Seoul"})
    assert build_source("telegram", source.to_config()).to_config() == source.to_config()
    from jikimi.sources import SourceConfigError

    with pytest.raises(SourceConfigError, match="time zone"):
        build_source("telegram", {"path": str(tmp_path), "timezone": "Mars/Olympus"})
    with pytest.raises(SourceConfigError, match="'path' is required"):
        build_source("telegram", {})
