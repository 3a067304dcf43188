"""Notices through a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from tests.takedown.conftest import Recorder, free_port

from jikimi.core.config import SmtpSettings
from jikimi.errors import InvalidInput
from jikimi.takedown import (
    Centre,
    Fingerprint,
    MailDeliveryError,
    NoticeInput,
    NoticeItem,
    compose_email,
    load_directory,
    make_message_id,
    render_notice,
    send_email,
)

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
DIRECTORY = load_directory()
VICTIM_NAME = "김지은"  # never given to the notice; must never appear in a message


@pytest.fixture
def smtp(smtp_server: tuple[Recorder, int]) -> tuple[Recorder, SmtpSettings]:
    """The takedown tests' SMTP server (conftest), as the mail module's settings."""
    recorder, port = smtp_server
    return recorder, SmtpSettings(host="127.0.0.1", port=port)


def notice_input(platform_id: str) -> NoticeInput:
    platform = DIRECTORY.get(platform_id)
    assert platform is not None
    return NoticeInput(
        centre=Centre("중앙디지털성범죄피해자지원센터", "delete@centre.example.org", "02-735-8994"),
        platform=platform,
        legal_basis=("sexual_violence_prevention_act:7-3(1)",
                     "telecommunications_business_act:22-5(1)", "sexual_crimes_act:14"),
        items=(NoticeItem("https://www.tumblr.com/u/post/1", (Fingerprint("pdq", PDQ),)),
               NoticeItem("https://blog.naver.com/u/2")),
        case_code="DSC-2026-000123", request_id="TR-7",
        deadline=dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC),
        issued_at=dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC))


def received(raw: bytes) -> EmailMessage:
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize(("platform_id", "lang", "statute"), [
    ("naver", "ko", "「전기통신사업법」 제22조의5제1항"),
    ("tumblr", "en", "Article 22-5(1) of the Telecommunications Business Act"),
])
def test_notice_arrives_with_its_language_urls_and_statutes(
        smtp: tuple[Recorder, SmtpSettings], platform_id: str, lang: str,
        statute: str) -> None:
    recorder, settings = smtp
    notice = render_notice(notice_input(platform_id))
    message_id = make_message_id(f"outbox-{platform_id}-1", "centre.example.org")
    message = compose_email(notice, "delete@centre.example.org",
                            ["abuse@platform.example", "copy@centre.example.org"],
                            message_id, date=dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC))
    send_email(settings, message, timeout=5)
    assert len(recorder.messages) == 1
    rcpts, raw = recorder.messages[0]
    assert rcpts == ["abuse@platform.example", "copy@centre.example.org"]
    mail = received(raw)
    assert mail["Message-ID"] == message_id
    assert mail["Subject"] == notice.subject
    assert mail["Content-Language"] == lang
    assert mail["X-Jikimi-Request-Id"] == "TR-7"
    body = mail.get_content().replace("\r\n", "\n")  # CRLF on the wire
    assert body == notice.body
    assert statute in body
    assert "https://www.tumblr.com/u/post/1" in body and "https://blog.naver.com/u/2" in body
    assert PDQ in body and "DSC-2026-000123" in body
    assert VICTIM_NAME not in raw.decode("utf-8", "replace") and VICTIM_NAME not in body


def test_resending_is_the_same_message(smtp: tuple[Recorder, SmtpSettings]) -> None:
    recorder, settings = smtp
    notice = render_notice(notice_input("naver"))
    message_id = make_message_id("outbox-42", "centre.example.org")
    assert message_id == make_message_id("outbox-42", "centre.example.org")
    for _ in range(2):  # e.g. after a crash between SMTP acceptance and the "sent" mark
        send_email(settings, compose_email(notice, "delete@centre.example.org",
                                           ["abuse@platform.example"], message_id,
                                           date=dt.datetime(2026, 12, 1, tzinfo=dt.UTC)))
    first, second = (received(raw) for _, raw in recorder.messages)
    assert first["Message-ID"] == second["Message-ID"] == message_id
    assert first.as_bytes() == second.as_bytes()


def test_refused_recipient_is_a_permanent_error(smtp: tuple[Recorder, SmtpSettings]) -> None:
    _, settings = smtp
    message = compose_email(render_notice(notice_input("naver")), "delete@centre.example.org",
                            ["reject@platform.example"], "<a.1@centre.example.org>")
    with pytest.raises(MailDeliveryError) as info:
        send_email(settings, message, timeout=5)
    assert not info.value.retryable and info.value.smtp_code == 550


def test_partial_refusal_is_not_retried(smtp: tuple[Recorder, SmtpSettings]) -> None:
    recorder, settings = smtp
    message = compose_email(render_notice(notice_input("naver")), "delete@centre.example.org",
                            ["abuse@platform.example", "reject@platform.example"],
                            "<a.2@centre.example.org>")
    with pytest.raises(MailDeliveryError, match="accepted the others") as info:
        send_email(settings, message, timeout=5)
    assert not info.value.retryable
    assert recorder.messages[0][0] == ["abuse@platform.example"]


def test_unreachable_server_is_retryable() -> None:
    settings = SmtpSettings(host="127.0.0.1", port=free_port())
    message = compose_email(render_notice(notice_input("naver")), "delete@centre.example.org",
                            ["abuse@platform.example"], "<a.3@centre.example.org>")
    with pytest.raises(MailDeliveryError, match=r"127\.0\.0\.1") as info:
        send_email(settings, message, timeout=2)
    assert info.value.retryable and info.value.code == "mail_delivery_failed"


def test_no_header_injection() -> None:
    notice = render_notice(notice_input("naver"))
    hostile = dataclasses.replace(notice, subject="hi\r\nBcc: attacker@evil.example")
    message = compose_email(hostile, "delete@centre.example.org", ["abuse@platform.example"],
                            "<a.4@centre.example.org>")
    assert message["Bcc"] is None and "\n" not in str(message["Subject"])
    for bad_address in ("abuse@platform.example\r\nBcc: x@evil.example", "not an address"):
        with pytest.raises(InvalidInput):
            compose_email(notice, "delete@centre.example.org", [bad_address],
                          "<a.5@centre.example.org>")
    for bad_id in ("no-brackets@x", "<a\r\nb@x>", "<@>"):
        with pytest.raises(InvalidInput):
            compose_email(notice, "delete@centre.example.org", ["abuse@platform.example"],
                          bad_id)
