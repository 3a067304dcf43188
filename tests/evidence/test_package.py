"""Evidence packages: export through the CLI, verify with only the public key, tampering
detected and named, the Korean report read back with pdftotext and rendered with pdftoppm."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests.conftest import World
from tests.evidence.conftest import EvidenceCase, Site
from tests.evidence.test_capture import staff
from tests.foundation.test_cli import jikimi

from jikimi import evidence
from jikimi.core.runtime import Runtime
from jikimi.evidence.package import export_package, load_public_key, verify_package
from jikimi.evidence.report import HEADINGS, TITLE


def _rewrite(src: Path, dest: Path, changes: dict[str, bytes]) -> None:
    """Copy a ZIP, replacing some entries' contents (a tamperer who recomputes CRCs)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, changes.get(info.filename, zin.read(info.filename)))


def _flip_byte_in_entry(src: Path, dest: Path, name: str, at: int = 100) -> None:
    """Change one byte of an entry's stored data in place (CRC left as it was)."""
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as zf:
        info = zf.getinfo(name)
    # Local header: 30 bytes + file name + extra field, then the data.
    name_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    data[start + at] ^= 0x01
    dest.write_bytes(bytes(data))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the API test: both
def test_export_verify_and_tampering(runtime: Runtime, world: World, ecase: EvidenceCase,
                                     site: Site, cli_env: dict[str, str], tmp_path: Path) -> None:
    with runtime.context(staff(world, "investigator_a")) as ctx:
        page = evidence.capture_url(ctx, ecase.code, f"{site.base}/go", reason="게시물 신고",
                                    via="test")
    # The operator at the console captures too (recorded as system:cli:<name>).
    out = jikimi(cli_env, "evidence", "capture", ecase.code, f"{site.base}/media/one.png",
                 "--no-screenshot", "--format", "json", "--by", "kim", "--reason", "원본 이미지")
    image = evidence.EvidenceDetail.model_validate_json(out.stdout)
    assert image.kind == "image" and image.pdq and image.media_count == 0
    assert image.captured_by == "system:cli:kim" and image.reason == "원본 이미지"

    package = tmp_path / "out" / "package.zip"
    out = jikimi(cli_env, "evidence", "export", ecase.code, "--to", str(package),
                 "--reason", "경찰 제출", "--by", "kim").stdout
    assert "2 item(s)" in out
    key = tmp_path / "centre.pem"
    jikimi(cli_env, "keys", "export-public", str(key))
    assert key.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")

    with zipfile.ZipFile(package) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
        custody = json.loads(zf.read("custody.json"))
        everything = b"".join(zf.read(n) for n in names)
    items = [n for n in names if n.startswith("items/")]
    assert len(items) == 2 and {"manifest.json", "manifest.sig", "custody.json",
                                "report.pdf"} <= set(names)
    assert manifest["case_code"] == ecase.code and not manifest["hashes_only"]
    by_id = {i["id"]: i for i in manifest["items"]}
    assert by_id[page.id]["sha256"] == page.sha256
    assert by_id[page.id]["redirects"] == [f"{site.base}/go"]
    assert by_id[image.id]["pdq"] == image.pdq
    exported = [e for e in custody if e["action"] == "exported"]
    assert {e["item_id"] for e in exported} == {page.id, image.id}
    assert all(e["actor"] == "system:cli:kim" and e["via"] == "cli" and e["reason"] == "경찰 제출"
               for e in exported)
    # Never the victim's contact data (name and phone given at intake).
    assert b"010-1234-5678" not in everything
    assert "피해자".encode() not in everything

    # Untouched: verifies with only the public key, in a process without any installation.
    bare = {"JIKIMI_DATA_DIR": str(tmp_path / "nowhere"), "JIKIMI_DATABASE_URL": ""}
    result = jikimi(bare, "evidence", "verify", str(package), "--key", str(key))
    assert "package verified" in result.stdout
    assert not (tmp_path / "nowhere").exists()

    # One byte changed inside an item: verify fails and names the file.
    flipped = tmp_path / "flipped.zip"
    _flip_byte_in_entry(package, flipped, items[0])
    result = jikimi(bare, "evidence", "verify", str(flipped), "--key", str(key), check=False)
    assert result.returncode == 1
    assert f"FAILED   {items[0]}" in result.stdout and "VERIFICATION FAILED" in result.stdout

    # A careful tamperer (valid ZIP, new CRC): the hash names the file.
    pdf = zipfile.ZipFile(package).read("report.pdf")
    altered = tmp_path / "altered.zip"
    _rewrite(package, altered, {"report.pdf": pdf[:-10] + bytes([pdf[-10] ^ 1]) + pdf[-9:]})
    public = load_public_key(key.read_bytes())
    check = verify_package(altered, public)
    assert not check.ok and check.signature_ok and check.bad_files == ["report.pdf"]

    # The manifest replaced (hashes updated to cover the altered report): the signature fails.
    forged = dict(manifest)
    forged["files"] = [dict(f, sha256="0" * 64) if f["path"] == "report.pdf" else f
                       for f in manifest["files"]]
    replaced = tmp_path / "replaced.zip"
    _rewrite(package, replaced, {"manifest.json": json.dumps(forged).encode()})
    check = verify_package(replaced, public)
    assert not check.ok and not check.signature_ok and check.bad_files == ["manifest.json"]
    assert "signature does not match" in check.problems[0][1]

    # Signed, but the item's stated SHA-256 is not that of the bytes in its WARC file.
    wrong = dict(manifest, items=[dict(i, sha256="f" * 64) if i["id"] == page.id else i
                                  for i in manifest["items"]])
    wrong_bytes = json.dumps(wrong).encode()
    inconsistent = tmp_path / "inconsistent.zip"
    _rewrite(package, inconsistent, {
        "manifest.json": wrong_bytes,
        "manifest.sig": base64.b64encode(runtime.keys.ed25519.sign(wrong_bytes))})
    check = verify_package(inconsistent, public)
    assert check.signature_ok and check.bad_files == [
        n for n in items if n.startswith(f"items/{page.id:06d}-")]

    # Another centre's key does not verify the package.
    other = Ed25519PrivateKey.generate().public_key()
    assert not verify_package(package, other).signature_ok

    # An added file is named too.
    added = tmp_path / "added.zip"
    shutil.copy(package, added)
    with zipfile.ZipFile(added, "a") as zf:
        zf.writestr("items/extra.warc.gz", b"x")
    assert verify_package(added, public).bad_files == [
        "items/extra.warc.gz"]

    # Hashes only: no items, still verifies.
    hashes = tmp_path / "hashes.zip"
    with runtime.context(staff(world, "admin_a")) as ctx:
        export_package(ctx, ecase.code, hashes, hashes_only=True, via="test")
    with zipfile.ZipFile(hashes) as zf:
        assert not [n for n in zf.namelist() if n.startswith("items/")]
        assert json.loads(zf.read("manifest.json"))["hashes_only"] is True
    assert verify_package(hashes, public).ok

    # The report: Korean headings and the case code, as text; Hangul drawn, as pixels.
    report = tmp_path / "report.pdf"
    report.write_bytes(zipfile.ZipFile(package).read("report.pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(report), "-"], capture_output=True,
                          text=True, check=True).stdout
    for heading in (TITLE, *HEADINGS):
        assert heading in text, heading
    assert ecase.code in text and page.sha256[:24] in text  # long hashes wrap in the cells
    assert "010-1234-5678" not in text
    fonts = subprocess.run(["pdffonts", str(report)], capture_output=True, text=True,
                           check=True).stdout
    assert "NotoSansCJKkr" in fonts.replace("KR", "kr") and "yes yes" in fonts
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(report),
                    str(prefix)], check=True)
    rendered = next(tmp_path.glob("page*.png"))
    target = Path(__file__).resolve().parents[3] / "test-results" / "evidence-report-p1.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(rendered, target)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_verify_rejects_junk(tmp_path: Path, runtime: Runtime) -> None:
    from jikimi.evidence.package import public_key_pem

    public = load_public_key(public_key_pem(runtime.keys))
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    assert not verify_package(junk, public).ok
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("report.pdf", b"%PDF")
    result = verify_package(empty, public)
    assert not result.ok and result.bad_files == ["manifest.json"]
    with pytest.raises(Exception, match="Ed25519"):
        load_public_key(b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
