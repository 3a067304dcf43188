"""Matches seeded in-process for the review tests: a minor's case bank, a URL source on the
local site, one scan."""

from __future__ import annotations

from dataclasses import dataclass

from tests.scans.conftest import Media, Site

from jikimi.core.runtime import Runtime


@dataclass
class Seeded:
    case_code: str
    source_id: int
    match_ids: list[int]
    """The scan's matches, in queue order."""
    by_name: dict[str, list[int]]
    """Matches by the matched file's name (copy-mirrored.png ...)."""


def seed_matches(runtime: Runtime, world, site: Site, media: Media) -> Seeded:  # type: ignore[no-untyped-def]
    """Centre A: a minor's case whose bank holds the registered images; a scan of the local
    gallery (three transformed copies, unrelated images, a fake and a missing file)."""
    from jikimi import accounts, cases, matching, review, scans
    from jikimi.core.actors import cli_actor
    from jikimi.hashing import fingerprint_bytes
    from jikimi.matching import Matcher

    def actor(key: str):  # type: ignore[no-untyped-def]
        with runtime.context(cli_actor("test")) as ctx:
            return accounts.actor_for(accounts.get_user(ctx, world.staff[key].id))

    counsellor, analyst = actor("counsellor_a"), actor("analyst_a")
    with runtime.context(counsellor) as ctx:
        centre = accounts.resolve_centre(ctx.session, world.centre_a)
        code = cases.open_case(ctx, centre, cases.IntakeChannel.WEB, minor=True).case.code
    with runtime.context(counsellor) as ctx:
        ref = cases.case_ref(ctx, code)
        matching.create_bank(ctx, "victim-a", case=ref, case_access_checked=True)
        for n, data in enumerate(media.registered):
            matching.add_entries(ctx, "victim-a", matching.entries_for_fingerprints(
                fingerprint_bytes(data, with_variants=True), label=f"victim-{n}"),
                case_access_checked=True)
    with runtime.context(analyst) as ctx:
        source_id = scans.add_source(ctx, "urls", "gallery",
                                     {"urls": [site.url + "/gallery.html"],
                                      "http": {"min_host_interval": 0.0}}).id
    matcher = Matcher(keys=runtime.keys)
    with runtime.sessions() as session:
        matcher.sync(session)
    scans.run_scan(runtime, analyst, matcher, source_id)
    with runtime.context(analyst) as ctx:
        entries = review.queue(ctx)
    by_name: dict[str, list[int]] = {}
    for e in entries:
        by_name.setdefault(e.locator.rsplit("/", 1)[-1], []).append(e.match_id)
    return Seeded(code, source_id, [e.match_id for e in entries], by_name)


def scan_folder(runtime: Runtime, actor, folder, name: str = "seized") -> int:  # type: ignore[no-untyped-def]
    """A folder scanned as an ``archive`` source of ``actor``'s centre, with a matcher synced
    to the banks as they are now; the source's id."""
    from jikimi import scans
    from jikimi.matching import Matcher

    with runtime.context(actor) as ctx:
        source: int = scans.add_source(ctx, "archive", name, {"path": str(folder)}).id
    matcher = Matcher(keys=runtime.keys)
    with runtime.sessions() as session:
        matcher.sync(session)
    scans.run_scan(runtime, actor, matcher, source)
    return source
