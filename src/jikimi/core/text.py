"""Text that people type: refuse control characters (NUL breaks PostgreSQL, others hide text)."""

from __future__ import annotations

import re
import unicodedata

from jikimi.errors import InvalidInput

_SINGLE_LINE_BAD = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MULTI_LINE_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str, field: str, *, max_chars: int, multiline: bool = False,
               allow_empty: bool = True) -> str:
    """Strip, normalise to NFC and check ``value``; raise :class:`InvalidInput` naming ``field``."""
    text = unicodedata.normalize("NFC", value).strip()
    pattern = _MULTI_LINE_BAD if multiline else _SINGLE_LINE_BAD
    if pattern.search(text):
        raise InvalidInput(f"{field} contains control characters; remove them and retry",
                           code="control_characters")
    if not allow_empty and not text:
        raise InvalidInput(f"{field} cannot be empty")
    if len(text) > max_chars:
        raise InvalidInput(f"{field} is longer than {max_chars} characters")
    return text


_ADDR = r"[^@\s\x00-\x1f\x7f]"
EMAIL_RE = re.compile(rf"^{_ADDR}{{1,64}}@{_ADDR}{{1,189}}\.{_ADDR}{{2,}}$")


def is_email(value: str) -> bool:
    """A plausible e-mail address (local@domain.tld, no spaces or control characters)."""
    return len(value) <= 254 and EMAIL_RE.match(value) is not None
