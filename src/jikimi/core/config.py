"""Settings, read from JIKIMI_* environment variables and an optional file.

One variable, ``JIKIMI_DATA_DIR``, gives a whole separate installation: the SQLite database,
the key file and every other file live under it unless a more specific setting says otherwise.
An optional settings file (``JIKIMI_CONFIG_FILE``, default ``$JIKIMI_DATA_DIR/jikimi.env``)
holds the same keys in dotenv form; environment variables win over it.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from jikimi.errors import ConfigurationError

Language = Literal["ko", "en"]
SUPPORTED_LANGUAGES: tuple[Language, ...] = ("ko", "en")


class SmtpSettings(BaseModel):
    """Where outgoing mail goes, parsed from ``smtp://user:pass@host:587?starttls=1``."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False


def parse_smtp_url(url: str) -> SmtpSettings:
    """Parse an ``smtp://`` or ``smtps://`` URL into :class:`SmtpSettings`."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigurationError(
            f"JIKIMI_SMTP_URL must look like smtp://user:pass@host:587?starttls=1, got {url!r}"
        )
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
    ssl = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or (465 if ssl else 587 if starttls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=starttls,
        ssl=ssl,
    )


def _config_file() -> str | None:
    explicit = os.environ.get("JIKIMI_CONFIG_FILE")
    if explicit:
        return explicit
    data_dir = os.environ.get("JIKIMI_DATA_DIR", "var")
    candidate = Path(data_dir) / "jikimi.env"
    return str(candidate) if candidate.is_file() else None


class Settings(BaseSettings):
    """All of jikimi's configuration. Construct with :func:`load_settings`."""

    model_config = SettingsConfigDict(env_prefix="JIKIMI_", extra="ignore")

    data_dir: Path = Field(default=Path("var"))
    database_url: str | None = None
    secret_key_file: Path | None = None
    lang: Language = "ko"
    smtp_url: str | None = None
    smtp_from: str = "jikimi@localhost"
    base_url: str = "http://127.0.0.1:8000"
    # Sessions and login protection.
    session_hours: int = 8
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    login_rate_per_minute: int = 20
    max_body_bytes: int = 1_000_000
    # Media uploads (hash, match, bank files): fingerprinted in memory, never stored.
    max_upload_bytes: int = 200_000_000
    # Optional synthetic-media detector: an ONNX model file (see jikimi.faces.synthetic).
    synthetic_media_model: Path | None = None
    # Set when served behind TLS (or detected per request from the scheme).
    secure_cookies: bool = False
    # Addresses of reverse proxies whose X-Forwarded-Proto is believed (comma-separated):
    # requests they forward over https get HSTS.
    trusted_proxies: str = ""
    # Decoded pixels all image decodes of one process may hold at once (MB), and how long a
    # web request waits for room before 503 (the CLI and scans wait longer).
    decode_memory_mb: int = Field(default=1024, ge=16)
    decode_wait_seconds: float = Field(default=5.0, ge=0, le=300)
    # The perimeter (jikimi.core.perimeter): server-side fetches never reach loopback unless
    # this is set (tests and demos only; private ranges stay refused), and archive/telegram
    # sources read only under the import roots (colon-separated; default $DATA_DIR/imports).
    fetch_allow_loopback: bool = False
    import_roots: str | None = None
    # What a returned commit survives, the same on SQLite and PostgreSQL: "disk" (a crash of
    # the host) or "process" (a crash of jikimi only); see jikimi.core.database.
    commit_durability: Literal["disk", "process"] = "disk"

    @cached_property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.resolve()

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to SQLite under the data directory."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{self.resolved_data_dir / 'jikimi.sqlite3'}"

    @property
    def trusted_proxy_set(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.trusted_proxies.split(",") if p.strip())

    @property
    def key_file(self) -> Path:
        """The file holding the installation's secrets (mode 0600)."""
        return self.secret_key_file or self.resolved_data_dir / "secrets.json"

    @property
    def smtp(self) -> SmtpSettings | None:
        return parse_smtp_url(self.smtp_url) if self.smtp_url else None


def load_settings() -> Settings:
    """Read settings from the environment and the optional settings file."""
    return Settings(_env_file=_config_file())
