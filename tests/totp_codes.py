"""TOTP codes for tests that log in or enrol: jikimi accepts a code only for a time step later
than the last it accepted for the secret, so a test that logs the same account in twice within
30 seconds must not type the same code twice. Every test takes its codes from here."""

from __future__ import annotations

import time

import pyotp

from jikimi.core.security import TOTP_STEP_SECONDS

SEND_WITHIN_SECONDS = 10.0
"""A code handed out is accepted for at least this long: the time a browser on a loaded
machine may take to type it and send it."""

_last_step: dict[str, int] = {}


def unused_totp_code(secret: str) -> str:
    """A code of ``secret`` for the earliest step not handed out before (in this process)
    that the server accepts from now until :data:`SEND_WITHIN_SECONDS` later: the previous
    step, the current one or the next (its clock-drift window), so up to three logins of one
    account in one step go without waiting. A fourth waits for the next step."""
    while True:
        now = time.time()
        current = int(now) // TOTP_STEP_SECONDS
        earliest = int(now + SEND_WITHIN_SECONDS) // TOTP_STEP_SECONDS - 1
        step = max(earliest, _last_step.get(secret, earliest - 1) + 1)
        if step <= current + 1:
            _last_step[secret] = step
            return str(pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS).generate_otp(step))
        time.sleep((step - 1) * TOTP_STEP_SECONDS - now + 0.01)
