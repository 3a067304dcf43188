"""Takedown fixtures: an installation whose notices have a sender address, and a real SMTP
server (aiosmtpd on 127.0.0.1) that records what it receives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from tests.scans.conftest import media, site  # noqa: F401

from jikimi.core.config import Settings

SENDER = "takedown@centre.example.org"


class Recorder:
    """Every message the SMTP server accepted: envelope recipients and the raw bytes."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        if address.startswith("reject"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"

    def parsed(self) -> list[EmailMessage]:
        out = []
        for _rcpt, raw in self.messages:
            message = message_from_bytes(raw, policy=policy.default)
            assert isinstance(message, EmailMessage)
            out.append(message)
        return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield recorder, controller.port
    finally:
        controller.stop()


@pytest.fixture
def smtp_port(smtp_server: tuple[Recorder, int]) -> int:
    return smtp_server[1]


@pytest.fixture
def settings(tmp_path: Path, database_url: str, request: pytest.FixtureRequest) -> Settings:
    """The installation of one test, sending through the test's SMTP server if it has one."""
    smtp_url = None
    if "smtp_server" in request.fixturenames:
        smtp_url = f"smtp://127.0.0.1:{request.getfixturevalue('smtp_port')}"
    return Settings(data_dir=tmp_path / "var", database_url=database_url, smtp_from=SENDER,
                    smtp_url=smtp_url)
