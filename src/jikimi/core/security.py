"""Passwords, TOTP, tokens and encryption keys.

The installation's secrets live in one JSON file (mode 0600) created on first start: a master
key for AES-GCM encryption of contact data and evidence, a key for signing session-bound CSRF
tokens, and the centre's Ed25519 signing key. Nothing secret is ever in the repository.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jikimi.errors import ConfigurationError, IntegrityError

# Test suites may ask for cheap Argon2 parameters; the name says why no one else should.
_password_hasher = (
    PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    if os.environ.get("JIKIMI_INSECURE_FAST_PASSWORD_HASHING_FOR_TESTS") == "1"
    else PasswordHasher()
)

# An alphabet without look-alikes (no 0/O, 1/I/L) for secrets people read and type.
READABLE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


# --- passwords -------------------------------------------------------------------------------
def hash_password(password: str) -> str:
    """Argon2id hash of a password (or any low-entropy secret people type)."""
    return _password_hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises on a wrong or malformed hash."""
    try:
        return _password_hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return hash_password("timing-equaliser")


def burn_password_check(password: str) -> None:
    """Spend the time of a real check, so unknown accounts cannot be told apart by timing."""
    verify_password(_dummy_hash(), password)


def generate_password(length: int = 16) -> str:
    """A random password that is easy to read aloud and type."""
    return "".join(secrets.choice(READABLE_ALPHABET.lower() + READABLE_ALPHABET)
                   for _ in range(length))


def generate_readable_secret(groups: int = 4, group_size: int = 4) -> str:
    """A secret like ``K7QF-3MZP-WX9A-5TRE``: 80 bits, read and typed without confusion."""
    return "-".join(
        "".join(secrets.choice(READABLE_ALPHABET) for _ in range(group_size))
        for _ in range(groups)
    )


def normalise_readable_secret(text: str) -> str:
    """Uppercase, strip spaces and dashes, map look-alikes, so typing slips still match."""
    cleaned = text.upper().replace("-", "").replace(" ", "").strip()
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    return cleaned


# --- TOTP ------------------------------------------------------------------------------------
def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name="jikimi")


TOTP_STEP_SECONDS = 30
"""The length of one TOTP time step (RFC 6238's default, what authenticator apps use)."""


def totp_step_at(now: dt.datetime) -> int:
    """The TOTP time step (RFC 6238 counter) that ``now`` (timezone-aware) falls in."""
    return int(now.timestamp()) // TOTP_STEP_SECONDS


def totp_step(secret: str, code: str, now: dt.datetime, *,
              after_step: int | None = None) -> int | None:
    """The time step a code belongs to, or None if it is not a code of ``secret`` now.

    A code of the current step or of one step either side (clock drift) matches, but only a
    step later than ``after_step`` (the last step accepted for the secret), so that a code,
    once used, is never accepted again. Should a code match two steps, the later is returned:
    recorded, it leaves neither to be used again.
    """
    code = code.strip().replace(" ", "")
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS)
    current = totp_step_at(now)
    matched = None
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and (
                after_step is None or step > after_step):
            matched = step
    return matched


# --- opaque tokens (sessions, API tokens) ----------------------------------------------------
def new_token(prefix: str) -> str:
    """A high-entropy bearer token; only its SHA-256 is stored."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- the key file ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Keyring:
    """The installation's secret keys, loaded from the key file."""

    master_key: bytes
    signing_secret: bytes
    ed25519_private: bytes

    def encrypt(self, plaintext: bytes, *, context: str) -> bytes:
        """AES-256-GCM; ``context`` binds the ciphertext to its record (AAD)."""
        nonce = os.urandom(12)
        sealed = AESGCM(self.master_key).encrypt(nonce, plaintext, context.encode("utf-8"))
        return b"\x01" + nonce + sealed

    def decrypt(self, blob: bytes, *, context: str) -> bytes:
        if len(blob) < 1 + 12 + 16 or blob[0] != 1:
            raise IntegrityError("encrypted field is malformed", code="decrypt_failed")
        try:
            return AESGCM(self.master_key).decrypt(blob[1:13], blob[13:], context.encode("utf-8"))
        except InvalidTag as exc:
            raise IntegrityError(
                "encrypted field failed authentication: wrong key file or tampered data",
                code="decrypt_failed",
            ) from exc

    def secret_digest(self, secret: str, *, context: str) -> str:
        """Keyed digest of a high-entropy secret (victims' case secrets): fast to check, and
        useless to anyone who has the database but not the key file."""
        return hmac.new(self.signing_secret, f"{context}:{secret}".encode(),
                        hashlib.sha256).hexdigest()

    def sign(self, message: str) -> str:
        """HMAC-SHA256 of ``message`` under the signing secret (for CSRF tokens)."""
        return hmac.new(self.signing_secret, message.encode("utf-8"), hashlib.sha256).hexdigest()

    @property
    def ed25519(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.ed25519_private)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def load_or_create_keyring(path: Path) -> Keyring:
    """Load the key file, creating it (mode 0600) on first start."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "version": 1,
            "master_key": _b64(AESGCM.generate_key(bit_length=256)),
            "signing_secret": _b64(secrets.token_bytes(32)),
            "ed25519_private": _b64(secrets.token_bytes(32)),
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle)
    return load_keyring(path)


def load_keyring(path: Path) -> Keyring:
    try:
        payload = json.loads(path.read_text())
        return Keyring(
            master_key=base64.b64decode(payload["master_key"]),
            signing_secret=base64.b64decode(payload["signing_secret"]),
            ed25519_private=base64.b64decode(payload["ed25519_private"]),
        )
    except FileNotFoundError as exc:
        raise ConfigurationError(
            f"key file {path} is missing: run `jikimi db upgrade` or set JIKIMI_SECRET_KEY_FILE"
        ) from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(f"key file {path} is unreadable: {exc}") from exc
