"""Evidence packages: a ZIP for police or a court, verifiable with one command and no database.

Layout::

    manifest.json   what the package holds: every file with its SHA-256 and size, every item
                    with its capture details and hashes (no victim data)
    manifest.sig    Ed25519 signature of manifest.json's exact bytes (base64), by the centre
    custody.json    the chain of custody of every item, this export included
    report.pdf      the report in Korean
    items/...       each item's WARC file, decrypted (left out with ``hashes_only``)

:func:`verify_package` needs only the ZIP and the centre's public key (``jikimi keys
export-public``): it checks the signature, then every file listed against its hash, and names
each file that is missing, altered, damaged or not listed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from jikimi import accounts
from jikimi.accounts.names import actor_names
from jikimi.core.context import ServiceContext
from jikimi.core.names import actor_label
from jikimi.core.security import Keyring
from jikimi.errors import InvalidInput
from jikimi.evidence.models import EvidenceItem
from jikimi.evidence.service import (
    Custody,
    Need,
    authorise_case,
    case_items,
    clean_reason,
    custody_entries,
    decrypt_item,
    detail_of,
    record_custody,
)

FORMAT = "jikimi-evidence-package/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
_CHUNK = 1024 * 1024


# --- keys ------------------------------------------------------------------------------------
def public_key_pem(keys: Keyring) -> bytes:
    """The centre's Ed25519 public key as PEM (SubjectPublicKeyInfo)."""
    return keys.ed25519.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_key_fingerprint(public: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key (printed in reports, easy to read out)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM, or from 32 raw bytes in base64 or hex."""
    text = data.strip()
    try:
        if text.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(text)
            if isinstance(key, Ed25519PublicKey):
                return key
            raise InvalidInput("the key file holds a public key that is not Ed25519",
                               code="bad_public_key")
        raw = bytes.fromhex(text.decode()) if len(text) == 64 else base64.b64decode(text)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"the key file is not an Ed25519 public key ({exc})",
                           code="bad_public_key") from exc


# --- export ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportResult:
    path: Path
    case_code: str
    items: int
    files: int
    hashes_only: bool
    sha256: str
    """SHA-256 of the ZIP file itself (to write down on the hand-over form)."""


def _item_entry(item: EvidenceItem) -> dict[str, Any]:
    d = detail_of(item)
    return {
        "id": d.id, "kind": d.kind, "status": d.status,
        "requested_url": d.url, "final_url": d.final_url, "redirects": d.redirects,
        "http_status": d.http_status, "content_type": d.content_type, "size": d.size,
        "headers": d.headers, "page_title": d.page_title,
        "sha256": d.sha256, "md5": d.md5, "pdq": d.pdq, "pdq_quality": d.pdq_quality,
        "tls_fingerprint": d.tls_fingerprint,
        "tls": d.tls.model_dump(mode="json") if d.tls else None,
        "captured_at_utc": d.captured_at.astimezone(dt.UTC).isoformat(),
        "captured_at_kst": d.captured_at_kst, "captured_by": d.captured_by,
        "captured_by_name": d.captured_by_name, "reason": d.reason, "match_id": d.match_id,
        "warc_name": d.warc_name, "warc_sha256": d.warc_sha256, "warc_size": d.warc_size,
        "screenshot_sha256": d.screenshot_sha256,
        "destroyed_at_utc": d.destroyed_at.isoformat() if d.destroyed_at else None,
        "media": [{"url": r.url, "final_url": r.final_url, "role": r.role, "sha256": r.sha256,
                   "md5": r.md5, "pdq": r.pdq, "size": r.size, "status": r.status,
                   "error": r.error} for r in d.resources],
    }


def _digest(data: bytes) -> dict[str, Any]:
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def export_package(ctx: ServiceContext, case_code: str, dest: Path, *,
                   hashes_only: bool = False, reason: str = "",
                   via: str = "service") -> ExportResult:
    """Write the case's evidence package to ``dest`` (investigators and admins)."""
    case = authorise_case(ctx, case_code, Need.EXPORT)
    why = clean_reason(reason)
    items = case_items(ctx, case)
    now = dt.datetime.now(dt.UTC)
    files: dict[str, bytes] = {}
    for item in items:
        if item.status != "held":
            continue
        if hashes_only:
            record_custody(ctx, item, Custody.HASHES_EXPORTED, reason=why, via=via,
                           package=dest.name)
        else:
            files[f"items/{item.id:06d}-{item.warc_name}"] = decrypt_item(ctx, item)
            record_custody(ctx, item, Custody.EXPORTED, reason=why, via=via, package=dest.name)
    ctx.session.flush()
    custody = [e.model_dump(mode="json") for item in items
               for e in custody_entries(ctx, item)]
    custody_bytes = json.dumps(custody, ensure_ascii=False, indent=2).encode("utf-8")
    centre = accounts.resolve_centre(ctx.session, case.centre_id)
    public = ctx.keys.ed25519.public_key()
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "case_code": case.code,
        "centre": centre.name,
        "created_at_utc": now.isoformat(),
        "created_by": ctx.actor.ref,
        "created_by_name": ctx.actor.label,
        "reason": why,
        "hashes_only": hashes_only,
        "signing_key": {"algorithm": "Ed25519",
                        "public_key_sha256": public_key_fingerprint(public)},
        "items": [_item_entry(i) for i in items],
    }
    from jikimi.evidence.report import build_report  # fpdf2 loads in ~1 s: only when needed

    refs = {ctx.actor.ref, *(i.captured_by for i in items), *(e["actor"] for e in custody)}
    staff = {ref: actor_label(ref, "ko", known, viewer_centre_id=case.centre_id)
             for ref, known in actor_names(ctx.session, refs).items() if known.name}
    report = build_report(manifest, custody, staff)  # display names, not e-mail addresses
    files["custody.json"] = custody_bytes
    files["report.pdf"] = report
    manifest["files"] = [{"path": name, **_digest(data)} for name, data in sorted(files.items())]
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2,
                                sort_keys=True).encode("utf-8")
    signature = base64.b64encode(ctx.keys.ed25519.sign(manifest_bytes)) + b"\n"

    dest = dest.expanduser()
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = dest.with_name(f".{dest.name}.partial")
    with zipfile.ZipFile(temp, "w") as zf:
        zf.writestr(_entry(MANIFEST, now), manifest_bytes, zipfile.ZIP_DEFLATED)
        zf.writestr(_entry(SIGNATURE, now), signature, zipfile.ZIP_STORED)
        for name, data in sorted(files.items()):
            method = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
            zf.writestr(_entry(name, now), data, method)
    os.replace(temp, dest)
    ctx.audit("evidence.package", "case", case.code, centre_id=case.centre_id,
              details={"items": len(items), "hashes_only": hashes_only, "via": via,
                       "reason": why, "file": dest.name})
    return ExportResult(dest, case.code, len(items), len(files) + 2, hashes_only,
                        _file_sha256(dest))


def export_to_temporary(ctx: ServiceContext, case_code: str, *, hashes_only: bool = False,
                        reason: str = "", via: str = "service") -> ExportResult:
    """The package in a private temporary folder (for downloads); :func:`discard` it after."""
    folder = Path(tempfile.mkdtemp(prefix="jikimi-package-"))
    try:
        return export_package(ctx, case_code, folder / "package.zip", hashes_only=hashes_only,
                              reason=reason, via=via)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def discard(result: ExportResult) -> None:
    """Remove a package written by :func:`export_to_temporary`."""
    shutil.rmtree(result.path.parent, ignore_errors=True)


def _entry(name: str, when: dt.datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when.astimezone(dt.UTC).timetuple()[:6])
    info.external_attr = 0o644 << 16
    return info


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- verify (no database) --------------------------------------------------------------------
@dataclass
class VerifyResult:
    signature_ok: bool = False
    case_code: str = ""
    checked: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(file name, what is wrong with it)."""
    key_fingerprint: str = ""

    @property
    def ok(self) -> bool:
        return self.signature_ok and not self.problems

    @property
    def bad_files(self) -> list[str]:
        return [name for name, _ in self.problems]


def verify_package(path: Path, public_key: Ed25519PublicKey) -> VerifyResult:
    """Check a package's signature and every file's hash; never raises on a bad package."""
    result = VerifyResult(key_fingerprint=public_key_fingerprint(public_key))
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        result.problems.append((str(path), f"not a readable ZIP file: {exc}"))
        return result
    with zf:
        names = [i.filename for i in zf.infolist()]
        try:
            manifest_bytes = zf.read(MANIFEST)
            signature = base64.b64decode(zf.read(SIGNATURE).strip(), validate=True)
        except KeyError as exc:
            result.problems.append((MANIFEST if MANIFEST not in names else SIGNATURE,
                                    f"missing from the package ({exc})"))
            return result
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            result.problems.append((MANIFEST, f"damaged: {exc}"))
            return result
        try:
            public_key.verify(signature, manifest_bytes)
            result.signature_ok = True
        except InvalidSignature:
            result.problems.append((MANIFEST, "the signature does not match: the manifest was "
                                    "replaced or altered, or it was signed with another key"))
            return result
        try:
            manifest = json.loads(manifest_bytes)
            listed = {f["path"]: f for f in manifest["files"]}
            result.case_code = str(manifest.get("case_code", ""))
        except (ValueError, KeyError, TypeError) as exc:
            result.problems.append((MANIFEST, f"signed but unreadable: {exc}"))
            return result
        for name, entry in sorted(listed.items()):
            if name not in names:
                result.problems.append((name, "listed in the manifest but missing"))
                continue
            digest = hashlib.sha256()
            size = 0
            try:
                with zf.open(name) as handle:
                    while chunk := handle.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                result.problems.append((name, f"damaged or altered: {exc}"))
                continue
            result.checked.append(name)
            if digest.hexdigest() != entry.get("sha256") or size != entry.get("size"):
                result.problems.append((name, "SHA-256 does not match the manifest: altered"))
        for item in manifest.get("items", []):
            _check_item(zf, item, listed, result)
        for name in names:
            if name not in listed and name not in (MANIFEST, SIGNATURE):
                result.problems.append((name, "not listed in the manifest: added"))
        if names.count(MANIFEST) > 1 or len(set(names)) != len(names):
            result.problems.append((MANIFEST, "the ZIP holds two entries of the same name"))
    return result


def _check_item(zf: zipfile.ZipFile, item: dict[str, Any], listed: dict[str, Any],
                result: VerifyResult) -> None:
    """An item's WARC file holds the bytes whose SHA-256 the manifest (and report) states."""
    name = f"items/{int(item.get('id', 0)):06d}-{item.get('warc_name', '')}"
    if name not in listed or any(n == name for n, _ in result.problems):
        return
    if listed[name].get("sha256") != item.get("warc_sha256"):
        result.problems.append((name, "the manifest's item and file hashes disagree"))
        return
    from jikimi.evidence.warc import read_warc

    try:
        for entry in read_warc(zf.read(name)):
            if entry.record_type == "response" and entry.uri == item.get("final_url"):
                if hashlib.sha256(entry.payload).hexdigest() != item.get("sha256"):
                    result.problems.append((name, "the captured bytes do not match the "
                                            "item's SHA-256"))
                return
    except Exception as exc:  # a WARC that cannot be read is a failure of this file
        result.problems.append((name, f"not a readable WARC file: {exc}"[:300]))
        return
    result.problems.append((name, "holds no response for the item's final URL"))
