"""Capture from a confirmed match: the item of a scan's match on the local gallery, for the
match's case; unconfirmed matches and other centres are refused."""

from __future__ import annotations

import pytest
from tests.conftest import World
from tests.evidence.test_capture import staff
from tests.review.seeding import seed_matches
from tests.scans.conftest import Media, media  # noqa: F401 - fixtures for the gallery
from tests.scans.conftest import Site as Gallery
from tests.scans.conftest import site as gallery_site  # noqa: F401

from jikimi import cases, evidence, review
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.errors import Conflict, Forbidden


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
    with runtime.context(staff(world, "admin_b")) as ctx, pytest.raises(Forbidden):
        evidence.capture_from_match(ctx, match_id)
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
