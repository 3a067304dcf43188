"""classify_recheck: removed only on unambiguous evidence."""

from __future__ import annotations

import pytest

from jikimi.takedown import RemovalOutcome, classify_recheck, load_markers

R = RemovalOutcome


@pytest.mark.parametrize(("status", "outcome", "reason"), [
    (404, R.REMOVED, "http_404"), (410, R.REMOVED, "http_410"),
    (401, R.UNREACHABLE, "http_401"), (403, R.UNREACHABLE, "http_403"),
    (429, R.UNREACHABLE, "http_429"), (451, R.UNREACHABLE, "http_451"),
    (500, R.UNREACHABLE, "http_500"), (503, R.UNREACHABLE, "http_503"),
    (400, R.ERROR, "http_400"), (302, R.ERROR, "http_302"), (418, R.ERROR, "http_418"),
])
def test_status_codes(status: int, outcome: RemovalOutcome, reason: str) -> None:
    verdict = classify_recheck(status, "https://example.org/a", b"", None)
    assert (verdict.outcome, verdict.reason) == (outcome, reason)


def test_no_response() -> None:
    verdict = classify_recheck(None, None, None, None, error="timed out")
    assert verdict.outcome is R.UNREACHABLE and verdict.detail == "timed out"


def test_content_match_decides_for_a_served_page() -> None:
    assert classify_recheck(200, "https://example.org/a", b"<img>", True).outcome \
        is R.STILL_PRESENT
    changed = classify_recheck(200, "https://example.org/a", b"<img>", False)
    assert changed.removed and changed.reason == "content_changed"
    unknown = classify_recheck(200, "https://example.org/a", b"<html>", None)
    assert unknown.outcome is R.STILL_PRESENT and unknown.reason == "page_served"


def test_known_deleted_pages_by_platform() -> None:
    page = b"<html><title>YouTube</title>This video isn't available anymore</html>"
    verdict = classify_recheck(200, "https://www.youtube.com/watch?v=x", page, None)
    assert verdict.removed and verdict.reason == "deleted_page_marker"
    assert "youtube" in verdict.detail
    korean = "<p>삭제되었거나 존재하지 않는 게시물입니다.</p>".encode()
    assert classify_recheck(200, "https://blog.naver.com/x/1", korean, None).removed
    # The same wording on a site the marker is not for proves nothing.
    assert not classify_recheck(200, "https://example.org/", page, None).removed
    # Media that still matches wins over a marker elsewhere on the page.
    assert classify_recheck(200, "https://www.youtube.com/watch?v=x", page, True).outcome \
        is R.STILL_PRESENT
    # An explicit platform id overrides the URL.
    assert classify_recheck(200, "https://mirror.example/x", page, None,
                            platform_id="youtube").removed


def test_login_wall_is_unreachable() -> None:
    verdict = classify_recheck(200, "https://www.facebook.com/x", "You must log in to continue",
                               None)
    assert verdict.outcome is R.UNREACHABLE and verdict.reason == "login_wall"


def test_markers_file_is_valid_and_unverified() -> None:
    markers = load_markers()
    assert "youtube" in markers.platforms
    assert not any(m.verified for p in markers.platforms.values() for m in p.body)
