"""The case page shows the copies found for the case: the places (linked to the review) for
those who review matches, the counts for everyone who may see the case."""

from __future__ import annotations

from tests.review.seeding import seed_matches
from tests.review.test_pages import session_for


def test_case_page_shows_the_copies_found(app, runtime, world, site, media) -> None:  # type: ignore[no-untyped-def]
    seeded = seed_matches(runtime, world, site, media)
    admin, _csrf = session_for(app, world.staff["admin_a"], totp=True)
    page = admin.get(f"/cases/{seeded.case_code}")
    assert page.status_code == 200
    for match_id in seeded.match_ids:
        assert f'href="/review/{match_id}"' in page.text
    assert "발견되었습니다" in page.text
    # Anyone else who may see the case gets the counts, not the places.
    analyst_b, _c = session_for(app, world.staff["analyst_b"])
    assert analyst_b.get(f"/cases/{seeded.case_code}").status_code == 403
