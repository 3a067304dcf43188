"""Bad input and bad storage: refused addresses, oversized responses, junk media, bad URLs
and reasons, consent, a sealed file altered, swapped or missing, erasure of the case, and
the TLS certificate of an https server (self-signed, on 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import HTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from tests.conftest import World
from tests.evidence.conftest import PAGE, EvidenceCase, Site, _Handler, picture
from tests.evidence.test_capture import staff

from jikimi import cases, evidence
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.errors import Conflict, Forbidden, IntegrityError, InvalidInput
from jikimi.evidence.capture import CaptureOptions, tls_certificate
from jikimi.evidence.models import EvidenceItem
from jikimi.sources import FetchError

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE_ONLY
def test_refused_and_oversized(runtime: Runtime, world: World, ecase: EvidenceCase,
                               site: Site) -> None:
    site.files["/junk.png"] = ("image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    site.files["/junk-page"] = ("text/html", b"<html><img src='/junk.png'>"
                                b"<img src='http://169.254.169.254/latest/meta-data/x.png'>")
    with runtime.context(staff(world, "investigator_a")) as ctx:
        with pytest.raises(FetchError) as exc:
            evidence.capture_url(ctx, ecase.code, "http://169.254.169.254/latest/meta-data/")
        assert exc.value.code == "blocked_address"
        with pytest.raises(FetchError) as exc:
            evidence.capture_url(ctx, ecase.code, f"{site.base}/media/one.png",
                                 options=CaptureOptions(screenshot=False, max_bytes=1000))
        assert exc.value.code == "too_large"
        for bad in ("", "ftp://example.org/x", "not a url", "http://" + "a" * 5000):
            with pytest.raises(InvalidInput):
                evidence.capture_url(ctx, ecase.code, bad)
        with pytest.raises(InvalidInput):
            evidence.capture_url(ctx, ecase.code, f"{site.base}/go", reason="x" * 1001)
        # Junk media and a refused media address are recorded, not fatal.
        detail = evidence.capture_url(ctx, ecase.code, f"{site.base}/junk-page")
    errors = {r.url: r for r in detail.resources}
    junk = errors[f"{site.base}/junk.png"]
    assert junk.sha256 == hashlib.sha256(site.files["/junk.png"][1]).hexdigest()
    assert junk.pdq is None and junk.error is None
    assert "blocked_address" in (errors["http://169.254.169.254/latest/meta-data/x.png"].error
                                 or "")
    # Counsellors may not capture, and nothing without consent.
    with runtime.context(staff(world, "counsellor_a")) as ctx, pytest.raises(Forbidden):
        evidence.capture_url(ctx, ecase.code, f"{site.base}/go")
    with runtime.context(cli_actor("test")) as ctx:
        cases.record_consent(ctx, ecase.code, cases.ConsentPurpose.EVIDENCE_CAPTURE,
                             withdraw=True)
    with runtime.context(staff(world, "investigator_a")) as ctx, pytest.raises(Forbidden) as e:
        evidence.capture_url(ctx, ecase.code, f"{site.base}/go")
    assert e.value.code == "consent_required"


@SQLITE_ONLY
def test_sealed_files_altered_swapped_missing_and_erasure(
        runtime: Runtime, world: World, ecase: EvidenceCase, site: Site) -> None:
    with runtime.context(staff(world, "investigator_a")) as ctx:
        first = evidence.capture_url(ctx, ecase.code, f"{site.base}/media/one.png")
        second = evidence.capture_url(ctx, ecase.code, f"{site.base}/media/two.png")
        rows = {i: ctx.session.get(EvidenceItem, i) for i in (first.id, second.id)}
        uids = {i: r.uid for i, r in rows.items() if r is not None}
    folder = runtime.settings.resolved_data_dir / "evidence"
    path1, path2 = folder / f"{uids[first.id]}.jkev", folder / f"{uids[second.id]}.jkev"
    original1, original2 = path1.read_bytes(), path2.read_bytes()

    def opened(item_id: int) -> bytes:
        with runtime.context(staff(world, "investigator_a")) as ctx:
            return evidence.open_content(ctx, item_id, reason="test")

    assert hashlib.sha256(opened(first.id)).hexdigest() == first.warc_sha256
    altered = bytearray(original1)
    altered[len(altered) // 2] ^= 0x01
    path1.write_bytes(bytes(altered))
    with pytest.raises(IntegrityError) as exc:
        opened(first.id)
    assert exc.value.code == "evidence_corrupt"
    path1.write_bytes(original2)  # another item's sealed file in its place
    with pytest.raises(IntegrityError):
        opened(first.id)
    path1.unlink()
    with pytest.raises(IntegrityError) as exc:
        opened(first.id)
    assert exc.value.code == "evidence_missing"
    path1.write_bytes(original1)
    assert opened(first.id)

    # Erasure of the case at the victim's request destroys its evidence, recorded.
    with runtime.context(staff(world, "counsellor_a")) as ctx:
        cases.erase_case(ctx, ecase.code)
    assert not path1.exists() and not path2.exists()
    with runtime.context(staff(world, "investigator_a")) as ctx:
        log = evidence.custody_log(ctx, second.id)
        assert log[-2].action == "destroyed" and "victim" in log[-2].reason
        with pytest.raises(Conflict):
            evidence.open_content(ctx, second.id, reason="after erasure")
    assert original2  # kept only in this test's memory


@pytest.fixture
def https_site(tmp_path: Path) -> Iterator[tuple[str, bytes]]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "evidence-test.invalid")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    state = Site("", {"/post/123": ("text/html; charset=utf-8", PAGE.encode("utf-8")),
                      "/media/one.png": ("image/png", picture(1))}, [])
    server = HTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), {"site": state}))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}/", cert.public_bytes(
        serialization.Encoding.DER)
    server.shutdown()
    server.server_close()


def test_tls_certificate_fingerprint(https_site: tuple[str, bytes]) -> None:
    url, der = https_site
    cert, error = tls_certificate(url, timeout=5)
    assert error is None and cert is not None
    assert cert.sha256 == hashlib.sha256(der).hexdigest()
    assert cert.verified is False and cert.verify_error  # self-signed
    assert "evidence-test.invalid" in cert.subject and cert.peer_address == "127.0.0.1"
    assert tls_certificate("http://127.0.0.1/") == (None, None)
    missing, reason = tls_certificate("https://127.0.0.1:1/", timeout=2)
    assert missing is None and reason and "failed" in reason


@SQLITE_ONLY
def test_capture_over_https_with_a_self_signed_certificate(
        runtime: Runtime, world: World, ecase: EvidenceCase,
        https_site: tuple[str, bytes]) -> None:
    url, der = https_site
    with runtime.context(staff(world, "investigator_a")) as ctx:
        detail = evidence.capture_url(ctx, ecase.code, url + "post/123")
        warc = evidence.open_content(ctx, detail.id, reason="check")
    assert detail.tls_fingerprint == hashlib.sha256(der).hexdigest()
    assert detail.tls is not None and not detail.tls.verified
    assert detail.final_url.startswith("https://") and detail.page_title == "게시물 123"
    from jikimi.evidence.warc import read_warc

    meta = json.loads(next(e for e in read_warc(warc) if e.record_type == "metadata").payload)
    assert meta["fetched_without_tls_verification"] is True
    assert meta["tls_certificate"]["sha256"] == detail.tls_fingerprint
    # Refused when the installation asks for verified certificates only.
    with runtime.context(staff(world, "investigator_a")) as ctx, pytest.raises(FetchError):
        evidence.capture_url(ctx, ecase.code, url + "post/123", options=CaptureOptions(
            screenshot=False, accept_unverified_tls=False))
