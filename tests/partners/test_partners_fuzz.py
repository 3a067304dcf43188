"""Schemathesis over the partner operations with a partner key and an administrator's token:
generated (valid and invalid) input never gets a server error."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from tests.conftest import World
from tests.partners.conftest import add_partner


def test_partner_operations_fuzz(app, runtime, world: World) -> None:  # type: ignore[no-untyped-def]
    key = add_partner(runtime, "Fuzz", rate_per_minute=100000).key
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    ops = [r.ok() for r in schema.get_all_operations()]
    ops = [o for o in ops if "partner" in o.path or "stopncii" in o.path]
    assert len(ops) >= 12
    for operation in ops:
        as_partner = "/partner/" in operation.path or "stopncii" in operation.path
        token = key if as_partner else world.staff["admin_a"].token
        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def exercise(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            case.validate_response(response, checks=[not_a_server_error])
        exercise()
