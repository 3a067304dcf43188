"""Removal checks and the perimeter: without JIKIMI_FETCH_ALLOW_LOOPBACK a request's URL on
this machine is never fetched (and so never counted as removed); with it, loopback is checked
but private and metadata addresses stay refused."""

from __future__ import annotations

from tests.conftest import World
from tests.scans.conftest import Site
from tests.takedown.seed import seed_case, seed_match

from jikimi import review
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.takedown import service
from jikimi.takedown.checks import VERIFY_POLICY, _Target, check_url
from jikimi.takedown.verification import RemovalOutcome


def _sent_request(runtime: Runtime, world: World, url: str) -> int:
    seeded = seed_case(runtime, world.centre_a)
    match_id = seed_match(runtime, seeded, url)
    with runtime.context(cli_actor()) as ctx:
        review.confirm(ctx, match_id)
        request_id = service.list_requests(ctx)[0].id
        service.send_request(ctx, request_id)
        service.mark_sent(ctx, request_id)
    return request_id


def test_removal_check_does_not_fetch_loopback_without_the_flag(
        runtime: Runtime, world: World, site: Site) -> None:
    url = f"{site.url}/media/other-101.jpg"
    request_id = _sent_request(runtime, world, url)
    del site.files["/media/other-101.jpg"]  # fetched, its 404 would count as removed
    strict = Runtime.open(runtime.settings.model_copy(update={"fetch_allow_loopback": False}))
    try:
        report = service.verify(strict, cli_actor(), request_id)
    finally:
        strict.close()
    assert (report.checked, report.removed, report.changes) == (1, 0, [])
    with runtime.context(cli_actor()) as ctx:
        detail = service.get_request(ctx, request_id)
    assert detail.status == "sent"
    assert [(c.http_status, c.outcome) for c in detail.checks] == [(None, "unreachable")]
    assert "loopback" in (detail.checks[0].detail or "")
    # the same installation with the flag checks it for real
    assert service.verify(runtime, cli_actor(), request_id).removed == 1


def test_with_the_flag_private_and_metadata_urls_are_still_not_fetched() -> None:
    from jikimi.core.perimeter import NetworkGuard
    from jikimi.sources import HttpClient

    with HttpClient(VERIFY_POLICY, guard=NetworkGuard(allow_loopback=True)) as client:
        for url in ("http://10.0.0.1/x.jpg", "http://169.254.169.254/latest/meta-data/",
                    "http://[fd00:ec2::254]/x.jpg", "http://100.64.1.1/x.jpg"):
            result = check_url(client, _Target(1, 1, url, None, {}, True))
            assert result.outcome is RemovalOutcome.UNREACHABLE, url
            assert result.http_status is None and "jikimi does not fetch" in result.detail
