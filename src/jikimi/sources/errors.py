"""Errors of :mod:`jikimi.sources`, part of jikimi's one exception tree.

Every error has a stable ``code`` so that a scan can record it against the item it concerns
(see :class:`jikimi.sources.base.ItemError`) and go on with the next one.
"""

from __future__ import annotations

from typing import Any

from jikimi.errors import InvalidInput, JikimiError


class SourceError(JikimiError):
    """Something went wrong while enumerating or fetching from a source."""

    code = "source_error"
    http_status = 502


class SourceConfigError(InvalidInput):
    """A source's configuration is missing a value or has a wrong one."""

    code = "invalid_source_config"


class FetchError(SourceError):
    """An HTTP fetch failed. ``code`` says how:

    ``bad_url``, ``blocked_address``, ``robots_disallowed``, ``connection_failed``,
    ``timeout``, ``http_status`` (``details["status"]`` holds the status), ``too_large``,
    ``too_many_redirects``, ``redirect_loop``.
    """

    code = "fetch_failed"

    def __init__(self, message: str, *, code: str, url: str, **details: Any) -> None:
        super().__init__(message, code=code, url=url, **details)
        self.url = url


class BlockedAddress(FetchError, InvalidInput):
    """The URL (or a redirect) leads to an address jikimi never fetches from: loopback,
    private, link-local, multicast, reserved or metadata (see :mod:`jikimi.core.perimeter`).
    A 422 and an :class:`InvalidInput`, not a 502: the request asked for something that is
    refused (forms show it beside what was typed)."""

    code = "blocked_address"
    http_status = 422


class ArchiveError(SourceError):
    """A folder or ZIP entry was refused. ``code``: ``path_traversal``, ``symlink``,
    ``encrypted``, ``zip_bomb``, ``too_large``, ``too_many_entries``, ``too_deep``,
    ``corrupt_archive``, ``not_found``."""

    code = "archive_error"


class ExportError(SourceError):
    """A Telegram export is malformed or names a file it should not. ``code``:
    ``malformed_export``, ``not_exported``, ``path_outside_export``, ``missing_file``,
    ``too_large``."""

    code = "malformed_export"
