"""Configuration by environment variables and an optional file."""

from __future__ import annotations

from pathlib import Path

import pytest

from jikimi.core.config import load_settings, parse_smtp_url
from jikimi.errors import ConfigurationError


def test_one_variable_gives_a_separate_installation(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JIKIMI_DATABASE_URL", "JIKIMI_SECRET_KEY_FILE", "JIKIMI_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JIKIMI_DATA_DIR", str(tmp_path / "inst"))
    settings = load_settings()
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'inst' / 'jikimi.sqlite3'}"
    assert settings.key_file == tmp_path / "inst" / "secrets.json"
    assert settings.lang == "ko"


def test_specific_settings_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIKIMI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JIKIMI_DATABASE_URL", "postgresql://u:p@db:5432/jikimi")
    monkeypatch.setenv("JIKIMI_SECRET_KEY_FILE", str(tmp_path / "keys" / "k.json"))
    monkeypatch.setenv("JIKIMI_LANG", "en")
    settings = load_settings()
    assert settings.sqlalchemy_url == "postgresql+psycopg://u:p@db:5432/jikimi"
    assert settings.key_file == tmp_path / "keys" / "k.json"
    assert settings.lang == "en"


def test_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JIKIMI_LANG", raising=False)
    monkeypatch.setenv("JIKIMI_DATA_DIR", str(tmp_path))
    (tmp_path / "jikimi.env").write_text("JIKIMI_LANG=en\nJIKIMI_SESSION_HOURS=2\n")
    settings = load_settings()
    assert settings.lang == "en" and settings.session_hours == 2


def test_bad_language_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIKIMI_LANG", "fr")
    with pytest.raises(ValueError):
        load_settings()


def test_smtp_url() -> None:
    smtp = parse_smtp_url("smtp://user%40x:p%2Fss@mail.example:587?starttls=1")
    assert (smtp.host, smtp.port, smtp.username, smtp.password, smtp.starttls) == (
        "mail.example", 587, "user@x", "p/ss", True)
    assert parse_smtp_url("smtps://mail.example").port == 465
    assert parse_smtp_url("smtp://localhost").port == 25
    for bad in ("http://x", "smtp://", "mail.example:25"):
        with pytest.raises(ConfigurationError):
            parse_smtp_url(bad)
