"""The one interface every source type implements.

A *source* is a place where content appears (a list of URLs, a site, a feed, a Telegram
export, a folder or ZIP of seized media). It does two things and nothing else: it
*enumerates* the media items it holds, and it *fetches* one item's bytes within limits. It keeps
no state between runs and touches no database, so that the scans layer can enumerate, fetch,
retry and resume however it needs to: the item's ``key`` is stable across runs (an idempotency
key) and its ``context`` is what an investigator needs to know where the item was seen.

Problems with one item (a 404, a ZIP bomb, a photo Telegram did not export) are *yielded* as an
:class:`ItemError` by ``enumerate`` or *raised* as a :class:`jikimi.errors.JikimiError` (with a
stable ``code``) by ``fetch``; either way the scan records it and goes on.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Self, TypeVar

from jikimi.errors import JikimiError, UnsupportedMedia
from jikimi.hashing.decode import MediaFormat, MediaKind, sniff_format
from jikimi.sources.errors import SourceConfigError

ContextValue = str | int | None
"""Context values are JSON scalars, so that they can be stored and shown as they are."""


def _frozen_context(context: Mapping[str, ContextValue]) -> Mapping[str, ContextValue]:
    return MappingProxyType(dict(context))


@dataclass(frozen=True)
class SourceItem:
    """One media item a source holds.

    ``key`` is stable within its source (the absolute URL; ``archive-path!inner/path`` for
    archives; ``telegram:<chat id>:<message id>:<relative path>`` for Telegram) so that a scan
    processes each item once. ``locator`` is what :meth:`Source.fetch` needs to read it.
    ``kind_hint`` ("image", "video" or None) is a guess from the markup or metadata: the format
    is always sniffed from the bytes (:func:`sniff_media`).
    """

    key: str
    locator: str
    kind_hint: str | None = None
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "context", _frozen_context(self.context))


@dataclass(frozen=True)
class ItemError:
    """A problem with one item (or one page or feed) found while enumerating.

    ``code`` is stable and machine-readable (``http_status``, ``not_exported``, ``zip_bomb``…),
    ``reason`` is an English sentence for the analyst.
    """

    key: str
    locator: str
    code: str
    reason: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "context", _frozen_context(self.context))

    @classmethod
    def from_exception(
        cls,
        key: str,
        locator: str,
        exc: JikimiError,
        context: Mapping[str, ContextValue] | None = None,
    ) -> ItemError:
        """Record a jikimi error against an item, keeping its code and message."""
        return cls(key, locator, exc.code, exc.message, context or {})


class Source(ABC):
    """A place content appears: enumerates :class:`SourceItem`\\ s and fetches their bytes.

    Subclasses set ``type`` (the name in :data:`jikimi.sources.SOURCE_TYPES`) and are built
    from a JSON-able configuration by :meth:`from_config`; :meth:`to_config` gives it back, so a
    source can be stored as ``(type, config)`` and rebuilt anywhere (a Ray worker, a restart).
    """

    type: ClassVar[str]

    @abstractmethod
    def enumerate(self) -> Iterator[SourceItem | ItemError]:
        """Yield every item, and an :class:`ItemError` for each one that cannot be listed."""

    @abstractmethod
    def fetch(self, item: SourceItem) -> bytes:
        """The item's bytes, within the source's limits; raises a ``JikimiError`` otherwise."""

    @classmethod
    @abstractmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        """Build the source from its JSON-able configuration; ``SourceConfigError`` if invalid."""

    @abstractmethod
    def to_config(self) -> dict[str, Any]:
        """The JSON-able configuration that :meth:`from_config` turns back into this source."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections or open files (optional)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sniff_media(data: bytes) -> MediaFormat:
    """The media format of fetched bytes, from the bytes (never the name or Content-Type).

    Raises ``UnsupportedMedia`` (e.g. for "a JPEG that is really an HTML page").
    """
    return sniff_format(data[:64])


def media_kind(head: bytes) -> str | None:
    """"image", "video", or None when the bytes are not media jikimi reads."""
    try:
        fmt = sniff_format(head[:64])
    except UnsupportedMedia:
        return None
    return "image" if fmt.kind is MediaKind.IMAGE else "video"


# --- configuration ---------------------------------------------------------------------------
T = TypeVar("T")


class ConfigReader:
    """Reads a source configuration with clear errors: wrong types, missing and unknown keys."""

    def __init__(self, source_type: str, config: Mapping[str, Any]) -> None:
        if not isinstance(config, Mapping):
            raise SourceConfigError(
                f"The configuration of a {source_type!r} source must be a JSON object, "
                f"not {type(config).__name__}."
            )
        self.source_type = source_type
        self.config = config
        self.used: set[str] = set()

    def _fail(self, key: str, what: str) -> SourceConfigError:
        return SourceConfigError(
            f"Source {self.source_type!r}: {key!r} {what}.", field=key, source_type=self.source_type
        )

    def _get(self, key: str, kind: type[T] | tuple[type, ...], default: Any, required: bool) -> Any:
        self.used.add(key)
        if key not in self.config or self.config[key] is None:
            if required:
                raise self._fail(key, "is required")
            return default
        value = self.config[key]
        if isinstance(value, bool) and kind is not bool and kind != (int, float):
            raise self._fail(key, f"must be {_kind_name(kind)}, not a boolean")
        if isinstance(value, bool) and kind == (int, float):
            raise self._fail(key, "must be a number, not a boolean")
        if not isinstance(value, kind):
            raise self._fail(key, f"must be {_kind_name(kind)}, not {type(value).__name__}")
        return value

    def string(self, key: str, default: str | None = None, *, required: bool = False) -> Any:
        value = self._get(key, str, default, required)
        if isinstance(value, str) and required and not value.strip():
            raise self._fail(key, "must not be empty")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        return bool(self._get(key, bool, default, False))

    def integer(self, key: str, default: int, *, minimum: int = 0) -> int:
        value: int = self._get(key, int, default, False)
        if value < minimum:
            raise self._fail(key, f"must be at least {minimum}")
        return value

    def number(self, key: str, default: float, *, minimum: float = 0.0) -> float:
        value = float(self._get(key, (int, float), default, False))
        if value < minimum:
            raise self._fail(key, f"must be at least {minimum}")
        return value

    def strings(self, key: str, *, required: bool = False) -> list[str]:
        value = self._get(key, list, [], required)
        if required and not value:
            raise self._fail(key, "must list at least one value")
        if not all(isinstance(v, str) and v.strip() for v in value):
            raise self._fail(key, "must be a list of non-empty strings")
        return [v.strip() for v in value]

    def mapping(self, key: str) -> Mapping[str, Any]:
        value: Mapping[str, Any] = self._get(key, dict, {}, False)
        return value

    def finish(self) -> None:
        """Refuse keys the source does not know (a typo must not be silently ignored)."""
        unknown = sorted(set(self.config) - self.used)
        if unknown:
            raise SourceConfigError(
                f"Source {self.source_type!r}: unknown configuration key(s) "
                f"{', '.join(map(repr, unknown))}. Known: {', '.join(sorted(self.used))}.",
                source_type=self.source_type,
            )


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", bool: "true or false", int: "an integer", list: "a list",
             dict: "an object"}
    if isinstance(kind, tuple):
        return "a number"
    return names.get(kind, kind.__name__)
