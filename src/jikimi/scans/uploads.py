"""Staff uploads into the import area: a ZIP of seized media, or a zipped Telegram Desktop
export, that an ``archive`` or ``telegram`` source then reads.

The one function every door calls is :func:`store_upload` (the API's
``POST /api/v1/sources/uploads``; a web form can hand it the same file). The upload is checked
before anything is kept: it must be a ZIP whose central directory can be read, with no entry
that escapes its folder (absolute names, ``..``, drive letters, NUL), no symbolic links or
encrypted entries, at most ``max_entries`` entries, and no zip bomb (an entry that expands more
than ``max_ratio`` times, or more than ``max_expanded_bytes`` in all). A ZIP of media is kept
as it is (the archive source opens it entry by entry with its own limits); a Telegram export
is unpacked, counting the bytes really written. Everything lands in
``<first import root>/centre-<id>/<uuid>/`` (folders 0700, files 0600), belongs to the
uploader's centre and is audited (``source.upload``).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from pydantic import BaseModel, Field

from jikimi.core.actors import ActorKind, Role
from jikimi.core.context import ServiceContext
from jikimi.core.perimeter import check_local_path, import_roots, upload_root
from jikimi.errors import Forbidden, InvalidInput, JikimiError, UnsupportedMedia

UPLOAD_KINDS = ("archive", "telegram")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_CHUNK = 1024 * 1024
_SAFE_NAME = re.compile(r"[^\w.\-가-힣]+")


@dataclass(frozen=True)
class UploadLimits:
    """Limits of one upload. ``max_bytes`` defaults to the installation's
    ``JIKIMI_MAX_UPLOAD_BYTES``."""

    max_bytes: int | None = None
    max_entries: int = 100_000
    max_expanded_bytes: int = 16 * 1024**3
    max_ratio: int = 200
    """Largest expanded/compressed ratio of an entry bigger than ``ratio_floor_bytes``."""
    ratio_floor_bytes: int = 1024 * 1024


class UploadTooLarge(JikimiError):
    code = "upload_too_large"
    http_status = 413


class UploadRefused(InvalidInput):
    """The upload is not a ZIP jikimi keeps: damaged, hostile or not what its kind says."""

    code = "upload_refused"
    http_status = 422


class UploadOut(BaseModel):
    """Where an upload was stored, and the configuration that reads it."""

    id: str = Field(description="the upload's id (its folder's name)")
    kind: str = Field(description="archive or telegram")
    filename: str
    path: str = Field(description="give this as the source's path")
    size: int = Field(description="bytes uploaded")
    entries: int = Field(description="files in the ZIP")
    expanded_bytes: int = Field(description="declared size of the files once unpacked")
    source_config: dict[str, str] = Field(
        description="the configuration of an archive or telegram source that reads it")


def may_upload(ctx: ServiceContext) -> None:
    """Analysts and administrators (and the system) upload; checked before a body is read."""
    if ctx.actor.kind is ActorKind.SYSTEM or ctx.actor.has_role(Role.ANALYST, Role.ADMIN):
        return
    raise Forbidden("uploads for sources are made by analysts and administrators")


def _safe_filename(filename: str) -> str:
    base = PurePosixPath(filename.replace("\\", "/")).name
    cleaned = _SAFE_NAME.sub("_", base).strip("._")[:120]
    stem = cleaned[:-4] if cleaned.lower().endswith(".zip") else cleaned
    return f"{stem or 'upload'}.zip"


def _size(body: IO[bytes]) -> int:
    body.seek(0, os.SEEK_END)
    size = body.tell()
    body.seek(0)
    return size


def _entry_problem(info: zipfile.ZipInfo) -> tuple[str, str] | None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if (name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":")
            or ".." in parts or "\x00" in name):
        return "path_traversal", (f"the entry {name!r} would be written outside its folder "
                                  "(path traversal)")
    if stat.S_ISLNK(info.external_attr >> 16):
        return "symlink", f"the entry {name!r} is a symbolic link"
    if info.flag_bits & 0x1:
        return "encrypted", f"the entry {name!r} is encrypted; upload it decrypted"
    return None


def check_zip(zf: zipfile.ZipFile, limits: UploadLimits) -> tuple[int, int]:
    """``(entries, expanded bytes)`` of a ZIP that may be kept; :class:`UploadRefused`
    (traversal, link, encryption, too many entries, zip bomb) otherwise."""
    entries = expanded = 0
    for info in zf.infolist():
        entries += 1
        if entries > limits.max_entries:
            raise UploadRefused(f"the ZIP has more than {limits.max_entries:,} entries",
                                code="too_many_entries")
        problem = _entry_problem(info)
        if problem is not None:
            raise UploadRefused(f"{problem[1]}; the upload was refused", code=problem[0])
        expanded += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_floor_bytes and ratio > limits.max_ratio:
            raise UploadRefused(
                f"the entry {info.filename!r} expands {ratio:,.0f} times "
                f"({info.compress_size:,} → {info.file_size:,} bytes): a zip bomb; refused",
                code="zip_bomb")
        if expanded > limits.max_expanded_bytes:
            raise UploadRefused(f"the ZIP expands to more than {limits.max_expanded_bytes:,} "
                                "bytes: refused as a zip bomb", code="zip_bomb")
    if entries == 0:
        raise UploadRefused("the ZIP is empty", code="empty_archive")
    return entries, expanded


def store_upload(ctx: ServiceContext, kind: str, filename: str, body: IO[bytes], *,
                 limits: UploadLimits | None = None) -> UploadOut:
    """Check and keep an uploaded ZIP in the uploader's centre's import folder; returns the
    path (and configuration) to give an ``archive`` or ``telegram`` source. ``body`` is a
    seekable binary file (the API spools the request body to one)."""
    may_upload(ctx)
    if kind not in UPLOAD_KINDS:
        raise InvalidInput(f"an upload is an 'archive' (a ZIP of media) or a 'telegram' "
                           f"export (zipped), not {kind!r}", code="bad_upload_kind")
    limits = limits or UploadLimits()
    max_bytes = limits.max_bytes or ctx.settings.max_upload_bytes
    size = _size(body)
    if size > max_bytes:
        raise UploadTooLarge(f"the upload is {size:,} bytes, more than the limit of "
                             f"{max_bytes:,} (JIKIMI_MAX_UPLOAD_BYTES)")
    if size == 0:
        raise UploadRefused("the upload is empty", code="empty_zip")
    head = body.read(4)
    body.seek(0)
    if not head.startswith(_ZIP_MAGIC):
        raise UnsupportedMedia("the upload is not a ZIP file; zip the folder or the Telegram "
                               "Desktop export first", code="not_a_zip")
    try:
        zf = zipfile.ZipFile(body)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise UploadRefused(f"the ZIP is damaged or truncated ({exc}); upload it again",
                            code="corrupt_archive") from exc
    with zf:
        entries, expanded = check_zip(zf, limits)
        centre_id = ctx.actor.centre_id
        upload_id = uuid.uuid4().hex
        area = upload_root(ctx.settings)
        folder = area / (f"centre-{centre_id}" if centre_id is not None else "shared") / upload_id
        folder.mkdir(mode=0o700, parents=True)
        folder.parent.chmod(0o700)  # the centre's own folder (the root is the operator's)
        name = _safe_filename(filename)
        try:
            if kind == "archive":
                target = folder / name
                body.seek(0)
                with _private_file(target) as out:
                    shutil.copyfileobj(body, out, _CHUNK)
                path = target
            else:
                path = _unpack_export(zf, folder, limits)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    staff_centre = centre_id if ctx.actor.is_staff else None
    resolved = check_local_path(path, import_roots(ctx.settings), centre_id=staff_centre,
                                upload_area=area)
    ctx.audit("source.upload", "upload", upload_id, centre_id=centre_id,
              details={"kind": kind, "filename": name, "size": size, "entries": entries,
                       "expanded_bytes": expanded, "path": str(resolved)})
    return UploadOut(id=upload_id, kind=kind, filename=name, path=str(resolved), size=size,
                     entries=entries, expanded_bytes=expanded,
                     source_config={"path": str(resolved)})


def _private_file(path: Path) -> IO[bytes]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb")


def _unpack_export(zf: zipfile.ZipFile, folder: Path, limits: UploadLimits) -> Path:
    """Unpack a zipped Telegram export, counting the bytes really written; the folder that
    holds its ``result.json`` (the shallowest one)."""
    written = 0
    for info in zf.infolist():
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        target = folder.joinpath(*parts)
        if info.is_dir():
            target.mkdir(mode=0o700, parents=True, exist_ok=True)
            continue
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not target.resolve().is_relative_to(folder.resolve()):
            raise UploadRefused(f"the entry {info.filename!r} would be written outside its "
                                "folder", code="path_traversal")
        entry_bytes = 0
        try:
            with zf.open(info) as src, _private_file(target) as out:
                while chunk := src.read(_CHUNK):
                    entry_bytes += len(chunk)
                    written += len(chunk)
                    if entry_bytes > info.file_size or written > limits.max_expanded_bytes:
                        raise UploadRefused(f"the entry {info.filename!r} expands beyond its "
                                            "declared size or the limit: a zip bomb; refused",
                                            code="zip_bomb")
                    out.write(chunk)
        except FileExistsError as exc:
            raise UploadRefused(f"the ZIP lists {info.filename!r} twice", code="duplicate_entry"
                                ) from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError,
                RuntimeError) as exc:
            raise UploadRefused(f"the entry {info.filename!r} cannot be read ({exc}): the "
                                "ZIP is damaged or truncated", code="corrupt_archive") from exc
    found = sorted(folder.rglob("result.json"), key=lambda p: (len(p.parts), str(p)))
    if not found:
        raise UploadRefused("the ZIP holds no result.json: it is not a Telegram Desktop "
                            "export (export the chat as JSON, then zip its folder)",
                            code="not_a_telegram_export")
    return found[0].parent
