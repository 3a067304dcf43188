"""A folder or ZIP of seized media, nested ZIPs included.

Items are keyed by their path: a file in a folder by its filesystem path, a ZIP entry as
``archive-path!inner/path`` (``outer.zip!inner.zip!photo.jpg`` when nested; a literal ``!`` or
``%`` in a name is written ``%21``/``%25``). Hostile archives are refused entry by entry:
path traversal, absolute names, symlinks, encrypted entries, entries that expand beyond
``max_entry_bytes`` or by more than ``max_ratio`` (zip bombs), more than ``max_entries``
entries or ``max_total_bytes`` expanded in all, and ZIPs nested deeper than ``max_depth``.
"""

from __future__ import annotations

import io
import os
import stat
import threading
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path, PurePosixPath
from typing import IO, Any, Self

from jikimi.sources.base import (
    ConfigReader,
    ContextValue,
    ItemError,
    Source,
    SourceItem,
    media_kind,
)
from jikimi.sources.errors import ArchiveError

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_HEAD = 64
_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Limits against hostile archives; all JSON-able through the source configuration."""

    max_depth: int = 3
    """How many levels of ZIP inside ZIP are opened (the source's own ZIP is level 1)."""
    max_entries: int = 200_000
    """Files and entries listed in all, nested archives included."""
    max_total_bytes: int = 64 * 1024**3
    """Sum of the declared expanded sizes of every entry."""
    max_entry_bytes: int = 512 * 1024**2
    """Largest single file or entry (expanded)."""
    max_ratio: int = 200
    """Largest expanded/compressed ratio of an entry bigger than ``ratio_floor_bytes``."""
    ratio_floor_bytes: int = 1024 * 1024


def _escape(segment: str) -> str:
    return segment.replace("%", "%25").replace("!", "%21")


def _unescape(segment: str) -> str:
    return segment.replace("%21", "!").replace("%25", "%")


def split_locator(locator: str) -> list[str]:
    """``path!entry!entry`` → its unescaped segments."""
    return [_unescape(s) for s in locator.split("!")]


def is_zip(head: bytes) -> bool:
    return head.startswith(_ZIP_MAGIC)


class _Budget:
    def __init__(self) -> None:
        self.entries = 0
        self.total = 0
        self.exhausted = False


class ArchiveSource(Source):
    """A folder (walked without following symlinks) or a ZIP file."""

    type = "archive"

    def __init__(
        self, path: str | Path, *, limits: ArchiveLimits | None = None,
        skip_non_media: bool = True,
    ) -> None:
        self.path = Path(path).expanduser().absolute()
        self.limits = limits or ArchiveLimits()
        self.skip_non_media = skip_non_media
        self._lock = threading.Lock()
        self._zips: OrderedDict[str, zipfile.ZipFile] = OrderedDict()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        reader = ConfigReader(cls.type, config)
        path = reader.string("path", required=True)
        skip = reader.boolean("skip_non_media", True)
        raw = reader.mapping("limits")
        sub = ConfigReader("archive.limits", raw)
        default = ArchiveLimits()
        values = {f.name: sub.integer(f.name, getattr(default, f.name), minimum=1)
                  for f in fields(ArchiveLimits)}
        sub.finish()
        reader.finish()
        return cls(path, limits=ArchiveLimits(**values), skip_non_media=skip)

    def to_config(self) -> dict[str, Any]:
        return {"path": str(self.path), "skip_non_media": self.skip_non_media,
                "limits": asdict(self.limits)}

    def close(self) -> None:
        with self._lock:
            for zf in self._zips.values():
                zf.close()
            self._zips.clear()

    # --- enumerate ---------------------------------------------------------------------------
    def enumerate(self) -> Iterator[SourceItem | ItemError]:
        budget = _Budget()
        root = str(self.path)
        try:
            st = self.path.lstat()
        except OSError:
            yield ItemError(_escape(root), root, "not_found",
                            f"{root} does not exist or cannot be read.")
            return
        if stat.S_ISLNK(st.st_mode):
            yield ItemError(_escape(root), root, "symlink",
                            f"{root} is a symbolic link; point the source at the real path.")
            return
        if stat.S_ISDIR(st.st_mode):
            yield from self._walk(budget)
        else:
            yield from self._file_items(self.path, budget)

    def _walk(self, budget: _Budget) -> Iterator[SourceItem | ItemError]:
        for dirpath, dirnames, filenames in os.walk(self.path, followlinks=False):
            dirnames.sort()
            for name in sorted(filenames) + [d for d in dirnames
                                             if os.path.islink(os.path.join(dirpath, d))]:
                if budget.exhausted:
                    return
                full = Path(dirpath) / name
                key = _escape(str(full))
                st = full.lstat()
                if stat.S_ISLNK(st.st_mode):
                    yield ItemError(key, str(full), "symlink",
                                    f"{full} is a symbolic link; links are not followed.")
                    continue
                if not stat.S_ISREG(st.st_mode):
                    continue
                budget.entries += 1
                if budget.entries > self.limits.max_entries:
                    budget.exhausted = True
                    yield self._too_many(key, str(full))
                    return
                yield from self._file_items(full, budget)

    def _file_items(self, full: Path, budget: _Budget) -> Iterator[SourceItem | ItemError]:
        key = _escape(str(full))
        ctx: dict[str, ContextValue] = {"path": str(full), "archive": None, "entry": None}
        try:
            size = full.stat().st_size
            with full.open("rb") as fh:
                head = fh.read(_HEAD)
        except OSError as exc:
            yield ItemError(key, key, "not_found", f"Cannot read {full}: {exc.strerror}.", ctx)
            return
        if is_zip(head):
            if self.limits.max_depth < 1:
                yield self._too_deep(key, 0)
                return
            try:
                zf = zipfile.ZipFile(full)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                yield ItemError(key, key, "corrupt_archive", f"{full} is a damaged ZIP: {exc}.",
                                ctx)
                return
            with zf:
                yield from self._zip_items(zf, key, str(full), 1, budget)
            return
        if size > self.limits.max_entry_bytes:
            yield ItemError(key, key, "too_large", f"{full} is {size:,} bytes, more than "
                            f"max_entry_bytes ({self.limits.max_entry_bytes:,}).", ctx)
            return
        kind = media_kind(head)
        if kind is None and self.skip_non_media:
            return
        yield SourceItem(key, key, kind, ctx)

    def _zip_items(
        self, zf: zipfile.ZipFile, prefix: str, archive: str, depth: int, budget: _Budget
    ) -> Iterator[SourceItem | ItemError]:
        names: set[str] = set()
        for info in zf.infolist():
            if budget.exhausted:
                return
            if info.is_dir():
                continue
            key = f"{prefix}!{_escape(info.filename)}"
            ctx: dict[str, ContextValue] = {"path": archive, "archive": _unescape(prefix),
                                            "entry": info.filename, "depth": depth}
            budget.entries += 1
            if budget.entries > self.limits.max_entries:
                budget.exhausted = True
                yield self._too_many(key, key)
                return
            if info.filename in names:
                yield ItemError(key, key, "duplicate_entry",
                                f"The ZIP lists {info.filename!r} more than once; only the last "
                                "copy can be read. Extract it with a forensic tool.", ctx)
                continue
            names.add(info.filename)
            try:
                self._check_entry(info, key)
            except ArchiveError as exc:
                yield ItemError.from_exception(key, key, exc, ctx)
                continue
            budget.total += info.file_size
            if budget.total > self.limits.max_total_bytes:
                budget.exhausted = True
                yield ItemError(key, key, "zip_bomb",
                                f"The archive expands to more than max_total_bytes "
                                f"({self.limits.max_total_bytes:,}); listing stopped here.", ctx)
                return
            try:
                with zf.open(info) as fh:
                    head = fh.read(_HEAD)
                    nested = is_zip(head)
                    if nested and depth >= self.limits.max_depth:
                        yield self._too_deep(key, depth)
                        continue
                    data = head + self._read(fh, info, key, len(head)) if nested else b""
            except ArchiveError as exc:
                yield ItemError.from_exception(key, key, exc, ctx)
                continue
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
                    RuntimeError, ValueError) as exc:
                yield ItemError(key, key, "corrupt_archive",
                                f"Entry {info.filename!r} cannot be read: {exc}.", ctx)
                continue
            if nested:
                try:
                    inner = zipfile.ZipFile(io.BytesIO(data))
                except (zipfile.BadZipFile, ValueError, EOFError) as exc:
                    yield ItemError(key, key, "corrupt_archive",
                                    f"Nested ZIP {info.filename!r} is damaged: {exc}.", ctx)
                    continue
                with inner:
                    yield from self._zip_items(inner, key, archive, depth + 1, budget)
                continue
            kind = media_kind(head)
            if kind is None and self.skip_non_media:
                continue
            yield SourceItem(key, key, kind, ctx)

    def _check_entry(self, info: zipfile.ZipInfo, key: str) -> None:
        name = info.filename
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if (name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":")
                or ".." in parts or "\x00" in name):
            raise ArchiveError(f"Entry {name!r} would be written outside the archive "
                               "(path traversal); refused.", code="path_traversal")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ArchiveError(f"Entry {name!r} is a symbolic link; refused.", code="symlink")
        if info.flag_bits & 0x1:
            raise ArchiveError(f"Entry {name!r} is encrypted; decrypt the archive first.",
                               code="encrypted")
        lim = self.limits
        if info.file_size > lim.max_entry_bytes:
            raise ArchiveError(f"Entry {name!r} expands to {info.file_size:,} bytes, more than "
                               f"max_entry_bytes ({lim.max_entry_bytes:,}).", code="too_large")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > lim.ratio_floor_bytes and ratio > lim.max_ratio:
            raise ArchiveError(
                f"Entry {name!r} expands {ratio:,.0f} times ({info.compress_size:,} → "
                f"{info.file_size:,} bytes): a zip bomb; refused.", code="zip_bomb")

    def _read(self, fh: IO[bytes], info: zipfile.ZipInfo, key: str, already: int) -> bytes:
        """The rest of an entry, never more than its declared size and the entry limit."""
        limit = min(info.file_size, self.limits.max_entry_bytes)
        out = bytearray()
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            out += chunk
            if already + len(out) > limit:
                raise ArchiveError(f"Entry {info.filename!r} expands beyond its declared size "
                                   "or the entry limit: a zip bomb; refused.", code="zip_bomb")
        return bytes(out)

    def _too_many(self, key: str, locator: str) -> ItemError:
        return ItemError(key, locator, "too_many_entries",
                         f"More than max_entries ({self.limits.max_entries:,}) files and "
                         "entries; listing stopped here. Split the archive or raise the limit.")

    def _too_deep(self, key: str, depth: int) -> ItemError:
        return ItemError(key, key, "too_deep",
                         f"A ZIP nested {depth + 1} levels deep exceeds max_depth "
                         f"({self.limits.max_depth}); not opened.")

    # --- fetch -------------------------------------------------------------------------------
    def fetch(self, item: SourceItem) -> bytes:
        segments = split_locator(item.locator)
        full = Path(segments[0])
        self._check_inside(full)
        if len(segments) == 1:
            st = full.stat()
            if st.st_size > self.limits.max_entry_bytes:
                raise ArchiveError(f"{full} is larger than max_entry_bytes.", code="too_large")
            with full.open("rb") as fh:
                return fh.read(self.limits.max_entry_bytes)
        if len(segments) - 1 > self.limits.max_depth:
            raise ArchiveError(f"{item.locator} is nested deeper than max_depth.",
                               code="too_deep")
        with self._lock:
            container = "!".join(_escape(s) for s in segments[:1])
            zf = self._zip(container, lambda: zipfile.ZipFile(full))
            for depth, name in enumerate(segments[1:], start=1):
                prefix = "!".join(_escape(s) for s in segments[: depth + 1])
                try:
                    info = zf.getinfo(name)
                except KeyError as exc:
                    raise ArchiveError(f"{item.locator}: no entry {name!r}.",
                                       code="not_found") from exc
                self._check_entry(info, prefix)
                try:
                    with zf.open(info) as fh:
                        data = self._read(fh, info, prefix, 0)
                except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError,
                        RuntimeError) as exc:
                    raise ArchiveError(f"Entry {name!r} cannot be read: {exc}.",
                                       code="corrupt_archive") from exc
                if depth == len(segments) - 1:
                    return data
                zf = self._zip(prefix, lambda d=data: zipfile.ZipFile(io.BytesIO(d)))
        raise AssertionError("unreachable")

    def _zip(self, key: str, opener: Any) -> zipfile.ZipFile:
        zf = self._zips.get(key)
        if zf is None:
            try:
                zf = opener()
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                raise ArchiveError(f"{_unescape(key)} is not a readable ZIP: {exc}.",
                                   code="corrupt_archive") from exc
            assert isinstance(zf, zipfile.ZipFile)
            self._zips[key] = zf
            while len(self._zips) > 4:
                self._zips.popitem(last=False)[1].close()
        else:
            self._zips.move_to_end(key)
        return zf

    def _check_inside(self, full: Path) -> None:
        root = self.path.resolve()
        try:
            st = full.lstat()
        except OSError as exc:
            raise ArchiveError(f"{full} no longer exists.", code="not_found") from exc
        if stat.S_ISLNK(st.st_mode):
            raise ArchiveError(f"{full} is a symbolic link; refused.", code="symlink")
        resolved = full.resolve()
        if not (resolved == root or resolved.is_relative_to(root)):
            raise ArchiveError(f"{full} is outside the source {self.path}; refused.",
                               code="path_traversal")
        if not stat.S_ISREG(st.st_mode):
            raise ArchiveError(f"{full} is not a regular file.", code="not_found")
