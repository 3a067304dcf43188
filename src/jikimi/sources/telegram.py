"""Telegram Desktop "Export chat history" (and "Export Telegram data") exports.

The export is a folder: ``result.json`` beside ``photos/``, ``video_files/``, ``files/``,
``stickers/``... Every media file a message names is an item keyed
``telegram:<chat id>:<message id>:<relative path>``, with the chat, message id, sender, date,
forward origin and caption as context for investigators.

The format's traps (see ``shared/data/telegram-export/README.md``): two root shapes (one chat,
or a full account with ``chats.list`` and ``left_chats.list``); ``text`` as a string or a list of
strings and entity objects; ids as integers or ``"user…"``/``"channel…"`` strings, channel ids
shifted by 2^33 in old exports, negative message ids after a group migrated, ids neither sorted
nor unique; ``date`` as zone-less local time (``date_unixtime``, when present, is UTC seconds as
a string); media that was not downloaded replaced by a sentence in parentheses. Every path is
checked to stay inside the export folder (no ``..``, no absolute path, no symlink out).
"""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jikimi.sources.base import ConfigReader, ContextValue, ItemError, Source, SourceItem
from jikimi.sources.errors import ExportError, SourceConfigError

CHANNEL_ID_SHIFT = 2**33
"""Old exports wrote channel and supergroup ids plus 2^33."""
_CHANNEL_TYPES = frozenset(
    {"private_channel", "public_channel", "private_supergroup", "public_supergroup"})
_VIDEO_MEDIA = frozenset({"animation", "video_file", "video_message"})
_AUDIO_MEDIA = frozenset({"voice_message", "audio_file"})
_PEER_ID = re.compile(r"(user|channel|chat)?(-?\d{1,20})")
_MAX_CAPTION = 4000


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def plain_text(text: object) -> str:
    """The plain text of a message's ``text``: a string, or a list of strings and entities."""
    if isinstance(text, str):
        return text
    if isinstance(text, list):
        parts: list[str] = []
        for part in text:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, Mapping) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "".join(parts)
    return ""


def normalize_peer_id(value: object) -> str | None:
    """``"user123"``/``"channel123"`` as they are, a bare integer as its digits, else None."""
    if _is_int(value):
        return str(value)
    if isinstance(value, str):
        m = _PEER_ID.fullmatch(value.strip())
        if m:
            return f"{m.group(1) or ''}{int(m.group(2))}"
    return None


def normalize_chat_id(value: object, chat_type: str | None) -> int | None:
    """The chat's id as Telegram's API knows it (old exports' 2^33 shift undone)."""
    if isinstance(value, str):
        m = _PEER_ID.fullmatch(value.strip())
        value = int(m.group(2)) if m else None
    if not _is_int(value):
        return None
    assert isinstance(value, int)
    if chat_type in _CHANNEL_TYPES and value >= CHANNEL_ID_SHIFT:
        value -= CHANNEL_ID_SHIFT
    return value


def is_not_exported(value: str) -> bool:
    """True for TD's "(File not included. …)" / "(File exceeds maximum size. …)" sentences."""
    v = value.strip()
    return v.startswith("(") and v.endswith(")")


class TelegramExportSource(Source):
    """A Telegram Desktop export folder (or its ``result.json``).

    ``timezone`` (IANA name) is the zone of the machine that made the export: ``date`` values
    are local wall-clock times without a zone, so without it (and without ``date_unixtime``) an
    item's ``date`` context stays None and only ``date_local`` is given.
    """

    type = "telegram"

    def __init__(
        self, path: str | Path, *, timezone: str | None = None, include_thumbnails: bool = True,
        include_non_visual: bool = False, max_json_bytes: int = 2 * 1024**3,
        max_file_bytes: int = 512 * 1024**2,
    ) -> None:
        p = Path(path).expanduser()
        self.path = p
        self.root = p.parent if p.name == "result.json" or p.is_file() else p
        self.result_json = p if p.is_file() else p / "result.json"
        self.timezone = timezone
        try:
            self.zone = ZoneInfo(timezone) if timezone else None
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SourceConfigError(
                f"Source 'telegram': unknown time zone {timezone!r}; use an IANA name such as "
                "'Asia/Seoul'.", field="timezone") from exc
        self.include_thumbnails = include_thumbnails
        self.include_non_visual = include_non_visual
        self.max_json_bytes = max_json_bytes
        self.max_file_bytes = max_file_bytes

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        reader = ConfigReader(cls.type, config)
        path = reader.string("path", required=True)
        source = cls(
            path, timezone=reader.string("timezone"),
            include_thumbnails=reader.boolean("include_thumbnails", True),
            include_non_visual=reader.boolean("include_non_visual", False),
            max_json_bytes=reader.integer("max_json_bytes", 2 * 1024**3, minimum=1),
            max_file_bytes=reader.integer("max_file_bytes", 512 * 1024**2, minimum=1))
        reader.finish()
        return source

    def to_config(self) -> dict[str, Any]:
        return {"path": str(self.path), "timezone": self.timezone,
                "include_thumbnails": self.include_thumbnails,
                "include_non_visual": self.include_non_visual,
                "max_json_bytes": self.max_json_bytes, "max_file_bytes": self.max_file_bytes}

    # --- enumerate ---------------------------------------------------------------------------
    def enumerate(self) -> Iterator[SourceItem | ItemError]:
        export_key = f"telegram:{self.result_json}"
        try:
            chats = self._chats(self._load())
        except ExportError as exc:
            yield ItemError.from_exception(export_key, str(self.result_json), exc)
            return
        seen: set[str] = set()
        for index, chat in enumerate(chats):
            yield from self._chat_items(index, chat, seen)

    def _load(self) -> object:
        try:
            size = self.result_json.stat().st_size
            if size > self.max_json_bytes:
                raise ExportError(
                    f"{self.result_json} is {size:,} bytes, more than the limit of "
                    f"{self.max_json_bytes:,} (max_json_bytes).", code="too_large")
            raw = self.result_json.read_bytes()
        except OSError as exc:
            raise ExportError(
                f"Cannot read {self.result_json} ({exc.strerror or exc}). Point the source at "
                "the folder Telegram Desktop exported (it holds result.json).",
                code="missing_file") from exc
        try:
            return json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ExportError(
                f"{self.result_json} is not valid JSON ({type(exc).__name__}: {exc}"[:400]
                + "). Export again with format 'Machine-readable JSON'.",
                code="malformed_export") from exc

    @staticmethod
    def _chats(data: object) -> list[object]:
        if isinstance(data, Mapping) and isinstance(data.get("messages"), list):
            return [data]
        if isinstance(data, Mapping) and isinstance(data.get("chats"), Mapping):
            chats: list[object] = []
            for section in ("chats", "left_chats"):
                block = data.get(section)
                if block is None:
                    continue
                if not isinstance(block, Mapping) or not isinstance(block.get("list"), list):
                    raise ExportError(f"result.json: '{section}' has no 'list' of chats.",
                                      code="malformed_export")
                chats += block["list"]
            return chats
        raise ExportError(
            "result.json is neither a chat export (an object with 'messages') nor a full "
            "account export (an object with 'chats.list').", code="malformed_export")

    def _chat_items(
        self, index: int, chat: object, seen: set[str]
    ) -> Iterator[SourceItem | ItemError]:
        where = f"telegram:{self.result_json}#chat{index}"
        if not isinstance(chat, Mapping):
            yield ItemError(where, str(self.result_json), "malformed_export",
                            f"Chat #{index} in result.json is not an object.")
            return
        chat_type = chat.get("type") if isinstance(chat.get("type"), str) else None
        chat_id = normalize_chat_id(chat.get("id"), chat_type)
        messages = chat.get("messages")
        if chat_id is None or not isinstance(messages, list):
            yield ItemError(where, str(self.result_json), "malformed_export",
                            f"Chat #{index} in result.json has no integer 'id' or no "
                            "'messages' list.")
            return
        chat_name = chat.get("name") if isinstance(chat.get("name"), str) else None
        chat_ctx: dict[str, ContextValue] = {
            "chat_name": chat_name, "chat_type": chat_type, "chat_id": chat_id,
            "chat_id_exported": str(chat.get("id")),
        }
        for position, message in enumerate(messages):
            yield from self._message_items(chat_id, chat_ctx, chat.get("id"), position,
                                           message, seen)

    def _message_items(
        self, chat_id: int, chat_ctx: Mapping[str, ContextValue], raw_chat_id: object,
        position: int, message: object, seen: set[str],
    ) -> Iterator[SourceItem | ItemError]:
        if not isinstance(message, Mapping) or not _is_int(message.get("id")):
            yield ItemError(f"telegram:{chat_id}:#{position}", str(self.result_json),
                            "malformed_export",
                            f"Message #{position} of chat {chat_id} has no integer 'id'.",
                            dict(chat_ctx))
            return
        media = [(f, message[f]) for f in ("photo", "file", "thumbnail") if f in message]
        if not media:
            return
        msg_id: int = message["id"]
        context = {**chat_ctx, **self._message_context(
            message, raw_chat_id, chat_id, chat_ctx.get("chat_type"))}
        media_type = message.get("media_type")
        raw_mime = message.get("mime_type")
        mime: str = raw_mime if isinstance(raw_mime, str) else ""
        for field_name, value in media:
            base_key = f"telegram:{chat_id}:{msg_id}"
            ctx = {**context, "media_field": field_name}
            if not isinstance(value, str) or not value.strip():
                yield ItemError(f"{base_key}:!{field_name}", str(self.result_json),
                                "malformed_export",
                                f"Message {msg_id}: '{field_name}' is not a file path.", ctx)
                continue
            if is_not_exported(value):
                yield ItemError(
                    f"{base_key}:!{field_name}", str(self.result_json), "not_exported",
                    f"Message {msg_id}: the {media_type or field_name} was not exported by "
                    f"Telegram Desktop: {value.strip()} Export again with larger media limits "
                    "to scan it.", ctx)
                continue
            if field_name == "thumbnail" and not self.include_thumbnails:
                continue
            if field_name == "file" and not self.include_non_visual and (
                    media_type in _AUDIO_MEDIA or mime.startswith(("audio/", "text/"))):
                continue
            try:
                rel, full = self._resolve(value)
            except ExportError as exc:
                yield ItemError.from_exception(f"{base_key}:!{field_name}", value, exc, ctx)
                continue
            key = f"{base_key}:{rel}"
            if key in seen:
                continue
            seen.add(key)
            try:
                self._check_file(full)
            except ExportError as exc:
                yield ItemError.from_exception(key, str(full), exc, ctx)
                continue
            yield SourceItem(key, str(full), self._kind(field_name, media_type, mime),
                             {**ctx, "file": rel})

    @staticmethod
    def _kind(field_name: str, media_type: object, mime: str) -> str | None:
        if field_name in ("photo", "thumbnail"):
            return "image"
        if media_type in _VIDEO_MEDIA or mime.startswith("video/"):
            return "video"
        if mime.startswith("image/"):
            return "image"
        return None

    def _message_context(
        self, m: Mapping[str, Any], raw_chat_id: object, chat_id: int, chat_type: object
    ) -> dict[str, ContextValue]:
        def text(key: str) -> str | None:
            v = m.get(key)
            return v if isinstance(v, str) else None

        def integer(key: str) -> int | None:
            v = m.get(key)
            return v if _is_int(v) else None

        sender_raw = m.get("from_id", m.get("actor_id"))
        sender_id = normalize_peer_id(sender_raw)
        if sender_raw == raw_chat_id and _is_int(sender_raw) and chat_type in _CHANNEL_TYPES:
            sender_id = f"channel{chat_id}"
        caption = plain_text(m.get("text"))
        date, date_local = self._date(m.get("date_unixtime"), m.get("date"))
        edited, _ = self._date(m.get("edited_unixtime"), m.get("edited"))
        return {
            "message_id": m["id"],
            "message_type": text("type"),
            "sender": text("from") or text("actor") or text("author"),
            "sender_id": sender_id,
            "date": date,
            "date_local": date_local,
            "edited": edited,
            "forwarded_from": text("forwarded_from"),
            "forwarded_from_id": normalize_peer_id(m.get("forwarded_from_id")),
            "saved_from": text("saved_from"),
            "via_bot": text("via_bot"),
            "reply_to_message_id": integer("reply_to_message_id"),
            "media_type": text("media_type"),
            "mime_type": text("mime_type"),
            "file_name": text("file_name"),
            "width": integer("width"),
            "height": integer("height"),
            "duration_seconds": integer("duration_seconds"),
            "caption": caption[:_MAX_CAPTION] or None,
        }

    def _date(self, unixtime: object, local: object) -> tuple[str | None, str | None]:
        """(ISO 8601 with zone or None, the zone-less local time as exported)."""
        local_text = local if isinstance(local, str) else None
        if isinstance(unixtime, str | int) and not isinstance(unixtime, bool):
            try:
                when = datetime.fromtimestamp(int(unixtime), UTC)
                if self.zone is not None:
                    when = when.astimezone(self.zone)
                return when.isoformat(), local_text
            except (ValueError, OverflowError, OSError):
                pass
        if local_text is None or self.zone is None:
            return None, local_text
        try:
            naive = datetime.fromisoformat(local_text)
        except ValueError:
            return None, local_text
        if naive.tzinfo is not None:
            return naive.isoformat(), local_text
        return naive.replace(tzinfo=self.zone).isoformat(), local_text

    # --- paths -------------------------------------------------------------------------------
    def _resolve(self, value: str) -> tuple[str, Path]:
        """(relative POSIX path, absolute path) of a media path, refused if it leaves the
        export folder."""
        if "\x00" in value or PureWindowsPath(value).drive or value.startswith(("/", "\\")):
            raise self._outside(value)
        rel = PurePosixPath(value.replace("\\", "/"))
        if any(part == ".." for part in rel.parts):
            raise self._outside(value)
        full = self.root / rel
        root = self.root.resolve()
        if not full.resolve().is_relative_to(root):
            raise self._outside(value)
        return rel.as_posix(), full

    def _outside(self, value: str) -> ExportError:
        return ExportError(
            f"The export names {value!r}, which is outside the export folder; refused.",
            code="path_outside_export")

    def _check_file(self, full: Path) -> int:
        try:
            st = full.lstat()
        except OSError as exc:
            raise ExportError(f"{full} is named in result.json but missing from the export.",
                              code="missing_file") from exc
        if stat.S_ISLNK(st.st_mode):
            st = full.stat()  # a link inside the folder (checked by _resolve) is acceptable
        if not stat.S_ISREG(st.st_mode):
            raise ExportError(f"{full} is not a regular file.", code="missing_file")
        if st.st_size > self.max_file_bytes:
            raise ExportError(f"{full} is {st.st_size:,} bytes, more than the limit of "
                              f"{self.max_file_bytes:,}.", code="too_large")
        return st.st_size

    def fetch(self, item: SourceItem) -> bytes:
        full = Path(item.locator)
        if not full.resolve().is_relative_to(self.root.resolve()):
            raise self._outside(item.locator)
        self._check_file(full)
        with full.open("rb") as fh:
            data = fh.read(self.max_file_bytes + 1)
        if len(data) > self.max_file_bytes:
            raise ExportError(f"{full} grew beyond {self.max_file_bytes:,} bytes.",
                              code="too_large")
        return data
