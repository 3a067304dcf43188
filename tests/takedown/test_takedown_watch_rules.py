"""What the re-upload watch counts as the same content: never a face match (a face is the same
person, not the same picture, and waits for review), and an entry with no content id only as
itself."""

from __future__ import annotations

import pytest
from tests.conftest import World
from tests.review.seeding import seed_matches
from tests.scans.conftest import Media, Site

from jikimi import review
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.matching.models import BankEntry
from jikimi.scans import ItemMatch
from jikimi.takedown.watch import confirmed_original


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_faces_and_content_less_entries_are_not_reuploads(
        runtime: Runtime, world: World, site: Site, media: Media) -> None:
    seeded = seed_matches(runtime, world, site, media)
    first, second = seeded.match_ids[0], seeded.match_ids[1]
    with runtime.context(cli_actor("test")) as ctx:
        review.confirm(ctx, first, "same picture")
    with runtime.sessions() as session, session.begin():
        a, b = session.get(ItemMatch, first), session.get(ItemMatch, second)
        assert a is not None and b is not None
        entry_a, entry_b = session.get(BankEntry, a.entry_id), session.get(BankEntry, b.entry_id)
        assert entry_a is not None and entry_b is not None
        # Same registered content (one original): the watch links the second copy.
        entry_b.content_id = entry_a.content_id = "original-1"
        b.entry_id = entry_b.id
        session.flush()
        assert confirmed_original(session, b) is not None
        # A face match to the same case is never a re-upload.
        b.signal_type = "face"
        session.flush()
        assert confirmed_original(session, b) is None
        b.signal_type = a.signal_type
        # Entries without a content id are the same content only as themselves.
        entry_a.content_id = entry_b.content_id = ""
        session.flush()
        assert entry_a.id != entry_b.id
        assert confirmed_original(session, b) is None
        session.rollback()
