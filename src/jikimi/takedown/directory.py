"""The platform directory: who runs a site, how it takes NCII reports, and which URLs are its.

The directory is data (``data/platforms.json``), edited by admins, so that a new platform or
a changed contact needs no code. Contacts are only those that ``legal-ko.md`` documents;
anything unverified carries ``verified: false`` and must be shown as such.

URL mapping is a suffix match on whole domain labels: the rule ``youtube.com`` matches
``youtube.com`` and ``m.youtube.com`` but never ``notyoutube.com`` or ``youtube.com.evil.net``;
when several rules match, the one with the most labels wins (``vm.tiktok.com`` before
``tiktok.com``). Hosts are normalised the way browsers do before matching: userinfo and port
dropped, backslashes read as slashes, case folded, trailing dots removed, Unicode labels in
IDNA (punycode) form. IP literals never match a domain rule.
"""

from __future__ import annotations

import enum
import ipaddress
import json
import re
import unicodedata
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from jikimi.core.text import is_email
from jikimi.errors import ConfigurationError

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_DIRECTORY_PATH = DATA_DIR / "platforms.json"

_LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_ID_RE = re.compile(r"^[a-z0-9_]{1,40}$")
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_STRIP_CHARS = "".join(chr(c) for c in range(0x21)) + "\x7f"


class ChannelKind(enum.StrEnum):
    EMAIL = "email"
    WEB_FORM = "web_form"
    API = "api"


class RuleKind(enum.StrEnum):
    DOMAIN = "domain"
    SUBDOMAIN = "subdomain"
    SHORT_LINK = "short_link"
    CDN = "cdn"


class FrozenModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Channel(FrozenModel):
    """One way to report to a platform. ``address`` is None when none is documented."""

    kind: ChannelKind
    address: str | None
    verified: bool
    note: str = ""
    sources: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _address_fits_kind(self) -> Channel:
        if self.address is None:
            if self.kind is ChannelKind.EMAIL:
                raise ValueError("an e-mail channel needs an address")
            return self
        if self.kind is ChannelKind.EMAIL:
            if not is_email(self.address):
                raise ValueError(f"not an e-mail address: {self.address!r}")
        elif not self.address.startswith("https://"):
            raise ValueError(f"a {self.kind.value} address must be an https:// URL")
        return self


class Phone(FrozenModel):
    number: str
    verified: bool
    note: str = ""


class DomainRule(FrozenModel):
    """A domain that belongs to a platform (its site, a short-link domain or a CDN)."""

    domain: str
    kind: RuleKind = RuleKind.DOMAIN
    include_subdomains: bool = True
    note: str = ""

    @field_validator("domain")
    @classmethod
    def _normalise(cls, value: str) -> str:
        host = normalise_host(value)
        if host is None or is_ip_literal(host) or "." not in host:
            raise ValueError(f"not a domain name: {value!r}")
        return host

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.domain.split("."))


class Platform(FrozenModel):
    """A platform as the directory records it."""

    id: str
    name: str
    legal_entity: str | None
    legal_entity_verified: bool
    jurisdiction: str | None = Field(description="ISO 3166-1 alpha-2, or None if unknown")
    entity_note: str | None = None
    language: str
    language_verified: bool
    response_hours: int = Field(gt=0, le=24 * 60)
    response_hours_basis: str
    channels: tuple[Channel, ...]
    phones: tuple[Phone, ...] = ()
    stopncii_partner: bool | None = None
    take_it_down_partner: bool | None = None
    kcsc_partner: bool | None = None
    notes: str = ""
    domains: tuple[DomainRule, ...]

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID_RE.match(value):
            raise ValueError("platform id must be lower-case letters, digits and _")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if not _LANG_RE.match(value):
            raise ValueError(f"not a language tag: {value!r}")
        return value

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Z]{2}", value):
            raise ValueError(f"jurisdiction must be an ISO country code, got {value!r}")
        return value

    @field_validator("channels")
    @classmethod
    def _has_channel(cls, value: tuple[Channel, ...]) -> tuple[Channel, ...]:
        if not value:
            raise ValueError("a platform needs at least one channel (address may be null)")
        return value

    def email_channel(self, *, verified_only: bool = True) -> Channel | None:
        """The first e-mail channel (verified ones only, unless asked otherwise)."""
        for channel in self.channels:
            if channel.kind is ChannelKind.EMAIL and (channel.verified or not verified_only):
                return channel
        return None

    @property
    def has_unverified_contacts(self) -> bool:
        return any(not c.verified for c in self.channels) or any(
            not p.verified for p in self.phones)


class PlatformDirectory(FrozenModel):
    """All platforms, with the domain index built once."""

    version: int
    compiled: str
    source_document: str = ""
    notes: tuple[str, ...] = ()
    platforms: tuple[Platform, ...]

    @model_validator(mode="after")
    def _unique(self) -> PlatformDirectory:
        seen_ids: set[str] = set()
        owners: dict[str, str] = {}
        for platform in self.platforms:
            if platform.id in seen_ids:
                raise ValueError(f"duplicate platform id {platform.id!r}")
            seen_ids.add(platform.id)
            for rule in platform.domains:
                if rule.domain in owners:
                    raise ValueError(
                        f"domain {rule.domain!r} is listed twice "
                        f"({owners[rule.domain]} and {platform.id})")
                owners[rule.domain] = platform.id
        return self

    @cached_property
    def _rules(self) -> Mapping[str, tuple[Platform, DomainRule]]:
        return {rule.domain: (p, rule) for p in self.platforms for rule in p.domains}

    def get(self, platform_id: str) -> Platform | None:
        return next((p for p in self.platforms if p.id == platform_id), None)

    def rule_for_host(self, host: str) -> tuple[Platform, DomainRule] | None:
        """The longest rule matching ``host`` (already normalised or not), or None."""
        normal = normalise_host(host)
        if normal is None or is_ip_literal(normal):
            return None
        labels = normal.split(".")
        for start in range(len(labels)):  # longest suffix first
            hit = self._rules.get(".".join(labels[start:]))
            if hit is not None and (start == 0 or hit[1].include_subdomains):
                return hit
        return None

    def platform_for_url(self, url: str) -> Platform | None:
        """The platform a URL belongs to, or None (also for IP hosts and unparsable URLs)."""
        host = host_of_url(url)
        if host is None:
            return None
        hit = self.rule_for_host(host)
        return hit[0] if hit else None


def is_ip_literal(host: str) -> bool:
    """True for IPv4/IPv6 literals, including the numeric forms browsers read as IPv4."""
    candidate = host.strip("[]")
    try:
        ipaddress.ip_address(candidate)
        return True
    except ValueError:
        pass
    if ":" in candidate:
        return True
    last = candidate.rstrip(".").rsplit(".", 1)[-1]
    # WHATWG URL: a host whose last label is a number (decimal, 0x-hex, octal) is IPv4.
    return bool(last) and bool(re.fullmatch(r"(0[xX][0-9a-fA-F]*|[0-9]+)", last))


def normalise_host(host: str) -> str | None:
    """Lower-case ASCII (IDNA) form of a host without trailing dots; None if not a valid name."""
    text = unicodedata.normalize("NFKC", unquote(host)).translate(_DOTS).strip().rstrip(".")
    if not text or len(text) > 253 * 4:
        return None
    if text.startswith("[") or ":" in text:
        return text.lower() if is_ip_literal(text) else None
    labels: list[str] = []
    for label in text.lower().split("."):
        if not label:
            return None
        if label.isascii():
            ascii_label = label
        else:
            try:
                ascii_label = label.encode("idna").decode("ascii")
            except UnicodeError:
                return None
        if len(ascii_label) > 63 or not re.fullmatch(r"[a-z0-9_-]+", ascii_label):
            return None
        labels.append(ascii_label)
    result = ".".join(labels)
    return result if len(result) <= 253 else None


def host_of_url(url: str) -> str | None:
    """The host of ``url`` as a browser would read it (scheme-less URLs allowed), or None."""
    text = url.strip(_STRIP_CHARS).replace("\t", "").replace("\n", "").replace("\r", "")
    text = text.replace("\\", "/")
    match = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text)
    rest = text[match.end():] if match else ""
    if match and rest.startswith("//"):
        text = rest
    elif match and not re.match(r"^[0-9]*(?:[/?#]|$)", rest):
        return None  # mailto:, data:, javascript: ... have no host
    elif not text.startswith("//"):  # scheme-less, possibly host:port
        text = "//" + text
    authority = re.split(r"[/?#]", text[2:], maxsplit=1)[0]
    authority = authority.rpartition("@")[2]
    if authority.startswith("["):
        end = authority.find("]")
        return authority[: end + 1].lower() if end > 0 else None
    host = authority.rpartition(":")[0] if ":" in authority else authority
    return normalise_host(host) if host else None


def load_directory(path: str | Path | None = None) -> PlatformDirectory:
    """Load and validate the directory (the packaged ``platforms.json`` by default)."""
    source = Path(path) if path is not None else DEFAULT_DIRECTORY_PATH
    try:
        return PlatformDirectory.model_validate(read_json(source, "platform directory"))
    except ValidationError as exc:
        raise validation_error("platform directory", source, exc) from exc


def read_json(source: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the {what} at {source}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"the {what} at {source} must be a JSON object")
    return data


def validation_error(what: str, source: Path, exc: ValidationError) -> ConfigurationError:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return ConfigurationError(
        f"the {what} at {source} is invalid at {where}: {first['msg']}; fix the file and retry",
        code="invalid_data_file",
    )

