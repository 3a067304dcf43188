"""The Korean PDF report of an evidence package: case code, items, hashes, capture details,
timeline, and how to verify the package. Built from the manifest and the custody log only, so
it can hold nothing that is not in the package — and never the victim's contact data."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from jikimi.core.names import actor_label
from jikimi.core.pdf import PdfDocument
from jikimi.core.text import is_email

KST = ZoneInfo("Asia/Seoul")
_HEX = re.compile(r"[0-9a-f]{16,}")

TITLE = "디지털 성범죄 증거 보고서"
HEADINGS = ("1. 개요", "2. 증거 목록", "3. 수집 상세", "4. 시간순 기록", "5. 무결성 확인 방법")

KIND_KO = {"page": "웹 페이지", "image": "이미지", "video": "동영상", "file": "파일"}
ACTION_KO = {
    "captured": "수집", "listed": "목록 조회", "viewed": "열람", "previewed": "미리보기(흐림)",
    "unblurred": "흐림 해제 열람", "decrypted": "복호화", "exported": "반출(원본 포함)",
    "hashes_exported": "반출(해시만)", "destroyed": "폐기",
}
STATUS_KO = {"held": "보관 중", "destroyed": "폐기됨"}


def _kst(iso: str | None) -> str:
    if not iso:
        return ""
    return dt.datetime.fromisoformat(iso).astimezone(KST).strftime("%Y-%m-%d %H:%M:%S KST")


def _who(name: str, ref: str, names: Mapping[str, str]) -> str:
    """A name people read: the display name looked up at export, else the recorded name
    unless it is an e-mail address (staff are recorded by e-mail for the chain of custody),
    else words for the reference (never ``staff:4``)."""
    if names.get(ref):
        return names[ref]
    return name if name and name != ref and not is_email(name) else actor_label(ref, "ko")


def build_report(manifest: dict[str, Any], custody: list[dict[str, Any]],
                 names: Mapping[str, str] | None = None) -> bytes:
    """The report as PDF bytes; ``names`` maps actor references to display names (the
    manifest and custody log keep what was recorded)."""
    names = names or {}
    code = manifest["case_code"]
    doc = PdfDocument(TITLE, subject=f"사건 번호 {code}",
                      created=dt.datetime.fromisoformat(manifest["created_at_utc"]))
    items: list[dict[str, Any]] = manifest["items"]

    doc.heading(HEADINGS[0])
    doc.key_values([
        ("사건 번호", code),
        ("작성 기관", manifest.get("centre", "")),
        ("작성 일시 (UTC)", manifest["created_at_utc"]),
        ("작성 일시 (KST)", _kst(manifest["created_at_utc"])),
        ("작성자", _who(manifest.get("created_by_name", ""), manifest["created_by"], names)),
        ("증거 수", f"{len(items)}건"),
        ("패키지 구성", "해시값만 (원본 미포함)" if manifest["hashes_only"]
         else "증거 원본(WARC) 포함"),
        ("서명", "Ed25519, manifest.json에 대한 서명(manifest.sig)"),
        ("서명 키 지문 (SHA-256)", manifest["signing_key"]["public_key_sha256"]),
    ], mono_keys={"서명 키 지문 (SHA-256)"})
    doc.paragraph("이 보고서와 패키지에는 피해자의 이름, 연락처 등 개인 연락 정보가 포함되어 있지 "
                  "않습니다. 사건은 가명 사건 번호로만 표시됩니다.")

    doc.heading(HEADINGS[1])
    doc.table(["번호", "종류", "수집 일시 (KST)", "최종 URL", "SHA-256", "상태"],
              [[str(i["id"]), KIND_KO.get(i["kind"], i["kind"]), _kst(i["captured_at_utc"]),
                i["final_url"], i["sha256"], STATUS_KO.get(i["status"], i["status"])]
               for i in items],
              widths=[0.6, 0.9, 1.7, 3.0, 3.4, 0.9], mono_columns={4})

    doc.heading(HEADINGS[2])
    for item in items:
        doc.heading(f"증거 {item['id']} — {KIND_KO.get(item['kind'], item['kind'])}", level=2)
        tls = item.get("tls") or {}
        rows = [
            ("요청 URL", item["requested_url"]),
            ("최종 URL", item["final_url"]),
            ("리디렉션", " → ".join(item["redirects"]) if item["redirects"] else "없음"),
            ("HTTP 상태", str(item["http_status"])),
            ("Content-Type", item.get("content_type", "")),
            ("크기 (바이트)", f"{item['size']:,}"),
            ("SHA-256", item["sha256"]),
            ("MD5", item["md5"]),
            ("PDQ", item.get("pdq") or "해당 없음"),
            ("TLS 인증서 지문 (SHA-256)", item.get("tls_fingerprint") or "해당 없음 (http)"),
        ]
        if tls:
            rows += [("TLS 인증서 주체", tls.get("subject", "")),
                     ("TLS 인증서 발급자", tls.get("issuer", "")),
                     ("인증서 검증", "성공" if tls.get("verified") else
                      f"실패: {tls.get('verify_error', '')}")]
        rows += [
            ("수집 일시 (UTC)", item["captured_at_utc"]),
            ("수집 일시 (KST)", _kst(item["captured_at_utc"])),
            ("수집자", _who(item.get("captured_by_name", ""), item["captured_by"], names)),
            ("수집 사유", item.get("reason") or ""),
            ("WARC 파일", item["warc_name"]),
            ("WARC SHA-256", item["warc_sha256"]),
            ("스크린샷 SHA-256", item.get("screenshot_sha256") or "없음"),
            ("상태", STATUS_KO.get(item["status"], item["status"])),
        ]
        doc.key_values(rows, mono_keys={k for k, v in rows if _HEX.fullmatch(v)})
        media = [m for m in item.get("media", []) if m.get("sha256")]
        if media:
            doc.paragraph(f"함께 수집된 미디어 {len(media)}건:")
            doc.table(["URL", "SHA-256", "PDQ"],
                      [[m["url"], m["sha256"], m.get("pdq") or ""] for m in media],
                      widths=[3, 3.2, 3.2], mono_columns={1, 2}, size=7.5)

    doc.heading(HEADINGS[3])
    events = sorted(custody, key=lambda e: (e["at"], e["id"]))
    doc.table(["일시 (KST)", "증거", "행위", "수행자", "경로", "사유"],
              [[_kst(e["at"]), str(e["item_id"]), ACTION_KO.get(e["action"], e["action"]),
                _who(e.get("actor_name", ""), e["actor"], names), e.get("via", ""),
                e.get("reason", "")]
               for e in events],
              widths=[1.8, 0.6, 1.3, 2.6, 0.7, 2.4])

    doc.heading(HEADINGS[4])
    doc.paragraph("패키지의 모든 파일의 SHA-256 값은 manifest.json에 기록되어 있으며, "
                  "manifest.json은 센터의 Ed25519 키로 서명되어 있습니다(manifest.sig). "
                  "센터에서 받은 공개 키로 다음 명령을 실행하면 데이터베이스 없이 서명과 "
                  "모든 해시를 확인할 수 있습니다.")
    doc.paragraph(f"jikimi evidence verify {code}.zip --key centre-public.pem", mono=True)
    doc.paragraph("파일 하나라도 바뀌면 해당 파일 이름과 함께 확인이 실패합니다. WARC 파일은 "
                  "ISO 28500 표준 형식으로, 웹 아카이브 도구로 재생할 수 있습니다.")
    return doc.to_bytes()
