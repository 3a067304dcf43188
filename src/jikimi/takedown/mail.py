"""E-mail for notices: composition (pure) and one SMTP send (the only I/O here).

The Message-ID is chosen when the outbox row is created and passed in, never generated at
send time, so a message re-sent after a crash is the same message to the receiver.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import smtplib
import ssl
from collections.abc import Callable, Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from jikimi.core.config import SmtpSettings
from jikimi.core.text import is_email
from jikimi.errors import InvalidInput, JikimiError
from jikimi.takedown.notices import Notice, single_line

_MESSAGE_ID_RE = re.compile(r"^<[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,128}@[A-Za-z0-9.-]{1,253}>$")
DEFAULT_TIMEOUT_SECONDS = 30.0
MAX_SUBJECT_CHARS = 150
# Headers are not folded: CPython's folder puts the space between two encoded words outside
# them, where RFC 2047 readers drop it ("요청 번호" arrives as "요청번호"). One unfolded encoded
# word is longer than RFC 2047's 75 characters but is read correctly by common clients; the
# subject is capped so that the line stays far below SMTP's 998.
_POLICY = SMTP.clone(max_line_length=998)


class MailDeliveryError(JikimiError):
    """The SMTP server could not be reached or did not accept the message.

    ``retryable`` is False for permanent refusals (5xx: bad recipient, rejected content,
    authentication), which the outbox marks dead instead of retrying.
    """

    code = "mail_delivery_failed"
    http_status = 502

    def __init__(self, message: str, *, retryable: bool, smtp_code: int | None = None) -> None:
        super().__init__(message, retryable=retryable, smtp_code=smtp_code)
        self.retryable = retryable
        self.smtp_code = smtp_code


def make_message_id(outbox_key: str, domain: str) -> str:
    """A stable Message-ID for an outbox entry: the same key always gives the same id."""
    digest = hashlib.sha256(outbox_key.encode("utf-8")).hexdigest()[:32]
    return f"<takedown.{digest}@{domain.strip().lower()}>"


def _address(value: str | Address, role: str) -> Address:
    if isinstance(value, Address):
        return value
    text = single_line(value)
    if not is_email(text) or not text.isascii():
        raise InvalidInput(f"{role} {value!r} is not an ASCII e-mail address", code="invalid_email")
    local, _, domain = text.rpartition("@")
    return Address(addr_spec=f"{local}@{domain}")


def compose_email(notice: Notice, sender: str | Address, recipients: Sequence[str | Address],
                  message_id: str, *, date: dt.datetime | None = None,
                  reply_to: str | Address | None = None) -> EmailMessage:
    """The notice as a UTF-8 e-mail with a fixed Message-ID (and Date, when given)."""
    if not _MESSAGE_ID_RE.match(message_id):
        raise InvalidInput(f"message_id {message_id!r} must look like <id@domain>",
                           code="invalid_message_id")
    if not recipients:
        raise InvalidInput("an e-mail needs at least one recipient")
    message = EmailMessage(policy=_POLICY)
    message["From"] = _address(sender, "sender")
    message["To"] = [_address(r, "recipient") for r in recipients]
    if reply_to is not None:
        message["Reply-To"] = _address(reply_to, "reply-to")
    message["Subject"] = single_line(notice.subject)[:MAX_SUBJECT_CHARS]
    message["Message-ID"] = message_id
    if date is not None:
        if date.tzinfo is None:
            raise InvalidInput("the e-mail date must carry a time zone")
        message["Date"] = format_datetime(date)
    if notice.request_id:
        message["X-Jikimi-Request-Id"] = single_line(notice.request_id)
    message.set_content(notice.body, charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = single_line(notice.language)  # set_content clears Content-*
    return message


def send_email(settings: SmtpSettings, message: EmailMessage, *,
               timeout: float = DEFAULT_TIMEOUT_SECONDS,
               ssl_context: ssl.SSLContext | None = None) -> None:
    """Hand ``message`` to the SMTP server (SSL or STARTTLS as configured); raise
    :class:`MailDeliveryError` if it is not accepted for every recipient."""
    sender = message["From"].addresses[0].addr_spec
    recipients = [a.addr_spec for a in message["To"].addresses]
    send_raw(settings, sender, recipients, message.as_bytes(), timeout=timeout,
             ssl_context=ssl_context)


def send_raw(settings: SmtpSettings, sender: str, recipients: Sequence[str], raw: bytes, *,
             before_data: Callable[[], None] | None = None,
             timeout: float = DEFAULT_TIMEOUT_SECONDS,
             ssl_context: ssl.SSLContext | None = None) -> None:
    """Send an already composed message (the outbox's stored bytes) to ``recipients``.

    ``before_data`` runs after the server accepted the sender and every recipient and just
    before the DATA command: the outbox records "sending" there, so that the only window in
    which a crash leaves the outcome unknown is DATA itself (see ``jikimi.takedown.outbox``).
    An exception from ``before_data`` aborts the transaction before any message is handed over.
    """
    if not recipients:
        raise InvalidInput("an e-mail needs at least one recipient")
    context = ssl_context or ssl.create_default_context()
    where = f"{settings.host}:{settings.port}"
    try:
        client: smtplib.SMTP
        if settings.ssl:
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout,
                                      context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        with client:
            if settings.starttls and not settings.ssl:
                client.starttls(context=context)
            if settings.username:
                client.login(settings.username, settings.password or "")
            refused = _transaction(client, sender, recipients, raw, before_data)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise MailDeliveryError(
            f"the SMTP server at {where} refused every recipient ({_describe(exc.recipients)}); "
            "check the platform's address in the directory",
            retryable=all(400 <= c < 500 for c in codes), smtp_code=codes[0] if codes else None,
        ) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise MailDeliveryError(
            f"the SMTP server at {where} rejected the login ({exc.smtp_code}); "
            "check JIKIMI_SMTP_URL", retryable=False, smtp_code=exc.smtp_code) from exc
    except smtplib.SMTPResponseException as exc:
        raise MailDeliveryError(
            f"the SMTP server at {where} answered {exc.smtp_code}: {_text(exc.smtp_error)}",
            retryable=exc.smtp_code < 500, smtp_code=exc.smtp_code) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise MailDeliveryError(
            f"could not deliver through the SMTP server at {where}: {exc!r}; "
            "it will be retried", retryable=True) from exc
    if refused:
        raise MailDeliveryError(
            f"the SMTP server at {where} refused some recipients ({_describe(refused)}) and "
            "accepted the others; do not resend to all, fix the refused addresses",
            retryable=False,
            smtp_code=next(iter(refused.values()))[0])


def _transaction(client: smtplib.SMTP, sender: str, recipients: Sequence[str], raw: bytes,
                 before_data: Callable[[], None] | None) -> dict[str, tuple[int, bytes]]:
    """MAIL, RCPT for each recipient, then ``before_data``, then DATA (as ``sendmail`` does,
    with the hook in between). Returns the refused recipients when some were accepted."""
    client.ehlo_or_helo_if_needed()
    code, resp = client.mail(sender)
    if code != 250:
        _reset(client)
        raise smtplib.SMTPSenderRefused(code, resp, sender)
    refused: dict[str, tuple[int, bytes]] = {}
    for recipient in recipients:
        code, resp = client.rcpt(recipient)
        if code not in (250, 251):
            refused[recipient] = (code, resp)
    if len(refused) == len(recipients):
        _reset(client)
        raise smtplib.SMTPRecipientsRefused(refused)
    if before_data is not None:
        try:
            before_data()
        except BaseException:
            _reset(client)
            raise
    code, resp = client.data(raw)
    if code != 250:
        _reset(client)
        raise smtplib.SMTPDataError(code, resp)
    return refused


def _reset(client: smtplib.SMTP) -> None:
    try:
        client.rset()
    except smtplib.SMTPServerDisconnected:
        pass


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _describe(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in refused.items())
