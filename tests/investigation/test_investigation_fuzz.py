"""Schemathesis against the investigation API as an investigator: never a server error."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from tests.conftest import World


def test_no_server_errors(app, world: World) -> None:  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [r.ok() for r in schema.get_all_operations()
                  if r.ok().path.startswith("/api/v1/investigation")]
    assert len(operations) == 5
    headers = {"Authorization": f"Bearer {world.staff['investigator_a'].token}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def exercise(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error])

        exercise()
