"""Capture from a confirmed match: the item of a scan's match on the local gallery, for the
match's case; unconfirmed matches and other centres are refused."""

from __future__ import annotations

import pytest
from tests.conftest import World
from tests.evidence.test_capture import staff
from tests.review.seeding import seed_matches
from tests.review.test_pages import session_for
from tests.scans.conftest import Media, media  # noqa: F401 - fixtures for the gallery
from tests.scans.conftest import Site as Gallery
from tests.scans.conftest import site as gallery_site  # noqa: F401

from jikimi import cases, evidence, review
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.errors import Conflict, Forbidden, NotFound


@pytest.fixture
def gallery(gallery_site: Gallery) -> Gallery:  # noqa: F811
    return gallery_site


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_capture_from_confirmed_match(runtime: Runtime, world: World, gallery: Gallery,
                                      media: Media) -> None:  # noqa: F811
    seeded = seed_matches(runtime, world, gallery, media)
    match_id = seeded.by_name["copy-mirrored.png"][0]
    with runtime.context(cli_actor("test")) as ctx:
        cases.record_consent(ctx, seeded.case_code, cases.ConsentPurpose.EVIDENCE_CAPTURE)
    with runtime.context(staff(world, "admin_a")) as ctx, pytest.raises(Conflict) as exc:
        evidence.capture_from_match(ctx, match_id)
    assert exc.value.code == "match_not_confirmed"
    with runtime.context(staff(world, "analyst_a")) as ctx:
        review.confirm(ctx, match_id, "같은 사진")
    with runtime.context(staff(world, "admin_b")) as ctx, pytest.raises(NotFound):
        evidence.capture_from_match(ctx, match_id)  # another centre's match: not found
    with runtime.context(staff(world, "analyst_a")) as ctx, pytest.raises(Forbidden):
        evidence.capture_from_match(ctx, match_id)
    with runtime.context(staff(world, "admin_a")) as ctx:
        detail = evidence.capture_from_match(ctx, match_id, via="test")
    assert detail.case_code == seeded.case_code and detail.match_id == match_id
    assert detail.url.endswith("/copy-mirrored.png") and detail.kind == "image"
    assert detail.pdq and detail.reason.startswith(f"confirmed match {match_id}")
    assert "gallery.html" in detail.reason  # where it was seen
    with runtime.context(staff(world, "admin_a")) as ctx:
        listed = evidence.list_evidence(ctx, seeded.case_code)
    assert [i.id for i in listed] == [detail.id]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_capture_from_the_review_page(app, runtime: Runtime, world: World,  # type: ignore[no-untyped-def]
                                      gallery: Gallery, media: Media) -> None:  # noqa: F811
    """The confirmed match's page offers "capture as evidence" to investigators; the form
    captures the item for the case and lands on the evidence page."""
    seeded = seed_matches(runtime, world, gallery, media)
    match_id = seeded.by_name["copy-mirrored.png"][0]
    with runtime.context(cli_actor("test")) as ctx:
        cases.record_consent(ctx, seeded.case_code, cases.ConsentPurpose.EVIDENCE_CAPTURE)
    with runtime.context(staff(world, "analyst_a")) as ctx:
        review.confirm(ctx, match_id, "같은 사진")
    analyst, _ = session_for(app, world.staff["analyst_a"])
    page = analyst.get(f"/review/{match_id}", headers={"Accept-Language": "ko"})
    assert page.status_code == 200 and "증거로 수집" not in page.text  # analysts don't capture
    admin, admin_csrf = session_for(app, world.staff["admin_a"], totp=True)
    page = admin.get(f"/review/{match_id}", headers={"Accept-Language": "ko"})
    assert page.status_code == 200 and "증거로 수집" in page.text
    assert admin.post(f"/matches/{match_id}/evidence", data={"reason": "x"}).status_code == 403
    assert admin.post("/matches/999999/evidence",
                      data={"reason": "x", "csrf_token": admin_csrf}).status_code == 404
    assert admin.post("/matches/not-a-number/evidence",
                      data={"reason": "x", "csrf_token": admin_csrf}).status_code == 422
    assert admin.post(f"/matches/{match_id}/evidence",
                      data={"reason": "x" * 5000, "csrf_token": admin_csrf}).status_code == 422
    r = admin.post(f"/matches/{match_id}/evidence",
                   data={"reason": "고소 준비", "csrf_token": admin_csrf})
    assert r.status_code == 303 and r.headers["location"].startswith("/evidence/")
    with runtime.context(staff(world, "admin_a")) as ctx:
        listed = evidence.list_evidence(ctx, seeded.case_code)
    assert [f"/evidence/{i.id}" for i in listed] == [r.headers["location"]]
