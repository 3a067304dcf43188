"""A capture as a WARC 1.1 file (ISO 28500), readable and replayable by any web-archive tool.

Records, in order: ``warcinfo``; for the page, each media file and each resource the browser
loaded, a ``response`` (status line, headers, body) and its ``request``; the screenshot as a
``resource`` record ``urn:screenshot:<url>`` (image/png) and the DOM as the browser rendered it
as ``urn:dom:<url>`` (text/html), the conventions of Webrecorder's tools; last a ``metadata``
record (application/json) with the capture's details: requested and final URL, redirects,
certificate, times in UTC and KST, who captured it and why, the hashes, and the headers exactly
as received. Bodies are stored as delivered after content decoding, so the replayed headers
leave out ``Content-Encoding`` and ``Transfer-Encoding``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator  # type: ignore[import-untyped]
from warcio.statusandheaders import StatusAndHeaders  # type: ignore[import-untyped]
from warcio.warcwriter import WARCWriter  # type: ignore[import-untyped]

from jikimi.evidence.capture import Capture, Fetched, replay_headers

SOFTWARE = "jikimi/0.1 evidence capture (warcio)"


def warc_date(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _write_exchange(writer: Any, fetched: Fetched, user_agent: str) -> None:
    date = warc_date(fetched.at)
    headers = list(replay_headers(fetched.headers).items())
    headers.append(("Content-Length", str(len(fetched.body))))
    response = writer.create_warc_record(
        fetched.url, "response", payload=io.BytesIO(fetched.body),
        http_headers=StatusAndHeaders(f"{fetched.status} {_reason(fetched.status)}".strip(),
                                      headers, protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Date": date})
    parts = urlsplit(fetched.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request = writer.create_warc_record(
        fetched.url, "request", payload=io.BytesIO(b""),
        http_headers=StatusAndHeaders(f"GET {target} HTTP/1.1",
                                      [("Host", parts.netloc), ("User-Agent", user_agent)],
                                      is_http_request=True),
        warc_headers_dict={"WARC-Date": date,
                           "WARC-Concurrent-To": response.rec_headers.get_header(
                               "WARC-Record-ID")})
    writer.write_record(response)
    writer.write_record(request)


def build_warc(capture: Capture, details: dict[str, Any], filename: str) -> bytes:
    """The gzipped WARC file of ``capture``; ``details`` go into its metadata record."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="1.1")
    info = writer.create_warcinfo_record(filename, {
        "software": SOFTWARE,
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
                      "warc-format/warc-1.1/",
        "description": f"evidence capture of {capture.primary.requested_url}",
        "isPartOf": str(details.get("case_code", "")),
    })
    writer.write_record(info)
    for fetched in (capture.primary, *capture.media, *capture.resources):
        _write_exchange(writer, fetched, capture.user_agent)
    url = capture.primary.url
    date = warc_date(capture.finished_at)
    if capture.screenshot is not None:
        writer.write_record(writer.create_warc_record(
            f"urn:screenshot:{url}", "resource", payload=io.BytesIO(capture.screenshot),
            warc_content_type="image/png", warc_headers_dict={"WARC-Date": date}))
    if capture.rendered_html is not None:
        writer.write_record(writer.create_warc_record(
            f"urn:dom:{url}", "resource",
            payload=io.BytesIO(capture.rendered_html.encode("utf-8")),
            warc_content_type="text/html; charset=utf-8", warc_headers_dict={"WARC-Date": date}))
    payload = json.dumps(details, ensure_ascii=False, indent=2, sort_keys=True,
                         default=str).encode("utf-8")
    writer.write_record(writer.create_warc_record(
        url, "metadata", payload=io.BytesIO(payload), warc_content_type="application/json",
        warc_headers_dict={"WARC-Date": date}))
    return out.getvalue()


@dataclass(frozen=True)
class WarcEntry:
    """One record read back from a WARC file."""

    record_type: str
    uri: str
    content_type: str
    http_status: int | None
    http_headers: dict[str, str]
    payload: bytes
    warc_headers: dict[str, str]


def read_warc(data: bytes) -> Iterator[WarcEntry]:
    """The records of a (gzipped or plain) WARC file, payloads de-chunked and decoded."""
    for record in ArchiveIterator(io.BytesIO(data)):
        status: int | None = None
        http: dict[str, str] = {}
        if record.http_headers is not None and record.rec_type == "response":
            code = record.http_headers.get_statuscode()
            status = int(code) if code and code.isdigit() else None
            http = {k.lower(): v for k, v in record.http_headers.headers}
        yield WarcEntry(
            record_type=record.rec_type,
            uri=record.rec_headers.get_header("WARC-Target-URI") or "",
            content_type=(record.rec_headers.get_header("Content-Type") or ""),
            http_status=status,
            http_headers=http,
            payload=record.content_stream().read(),
            warc_headers=dict(record.rec_headers.headers),
        )
