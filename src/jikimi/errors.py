"""One exception tree for all of jikimi.

Callers catch by meaning: ``except jikimi.errors.MediaError`` for anything wrong with a file,
``except jikimi.errors.NotFound`` for a missing record. Every error carries a stable ``code``
(used by the API and for translation) and an English message that says what to do next; the
API and the web translate the message by its ``code`` when a Korean text exists.
"""

from __future__ import annotations

from typing import Any


class JikimiError(Exception):
    """Base of every error jikimi raises on purpose."""

    code: str = "error"
    http_status: int = 400

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


# --- media -----------------------------------------------------------------------------------
class MediaError(JikimiError):
    """Something is wrong with a file handed to jikimi for fingerprinting."""

    code = "media_error"
    http_status = 422


class UnsupportedMedia(MediaError):
    """The bytes are not an image or video format jikimi can read."""

    code = "unsupported_media"
    http_status = 415


class MediaTooLarge(MediaError):
    """The file exceeds a configured limit (bytes, pixels, frames, duration or decode time)."""

    code = "media_too_large"
    http_status = 413


class CorruptMedia(MediaError):
    """The file claims a known format but cannot be decoded (truncated, damaged or hostile)."""

    code = "corrupt_media"
    http_status = 422


# --- records and permissions -----------------------------------------------------------------
class NotFound(JikimiError):
    """The record does not exist, or the caller may not know that it exists."""

    code = "not_found"
    http_status = 404


class Forbidden(JikimiError):
    """The caller is known but may not do this."""

    code = "forbidden"
    http_status = 403


class NotAuthenticated(JikimiError):
    """No valid session, token or key came with the request."""

    code = "not_authenticated"
    http_status = 401


class Conflict(JikimiError):
    """The request contradicts the record's current state (e.g. a forbidden status change)."""

    code = "conflict"
    http_status = 409


class ConcurrentChange(Conflict):
    """Another unit of work changed the same records at the same moment and the database
    refused this one (PostgreSQL: a unique key taken meanwhile, a deadlock, a serialisation
    failure): nothing of it was kept; reloading and retrying sees the other change."""

    code = "concurrent_change"
    http_status = 409


class InvalidInput(JikimiError):
    """The request is well-formed but its values are not acceptable."""

    code = "invalid_input"
    http_status = 422


class RateLimited(JikimiError):
    """Too many attempts; try again later."""

    code = "rate_limited"
    http_status = 429


class Busy(JikimiError):
    """The server is at capacity for this kind of work (e.g. the decode memory budget); the
    same request will work a little later (HTTP 503 with ``Retry-After``)."""

    code = "busy"
    http_status = 503


class ConfigurationError(JikimiError):
    """The installation is misconfigured (missing key file, bad database URL...)."""

    code = "configuration_error"
    http_status = 500


class IntegrityError(JikimiError):
    """Stored data failed an integrity check (audit chain, signature, checksum)."""

    code = "integrity_error"
    http_status = 500
