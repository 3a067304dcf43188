"""Sealed evidence files: a key per item, wrapped by the installation's master key.

A sealed file is ``JKEV1`` + a 12-byte nonce + AES-256-GCM ciphertext of the item's WARC file,
with the item's uid as authenticated data (a file swapped for another item's fails to open).
The item key is stored in the database wrapped by :class:`jikimi.core.security.Keyring`; when
it is deleted the file is unreadable everywhere, backups included.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import event
from sqlalchemy.orm import Session

from jikimi.core.security import Keyring
from jikimi.errors import IntegrityError, NotFound

log = logging.getLogger("jikimi.evidence")

MAGIC = b"JKEV1"
_UID_RE = re.compile(r"^[0-9a-f]{32}$")


def _key_context(uid: str) -> str:
    return f"evidence-key:{uid}"


def _aad(uid: str) -> bytes:
    return f"evidence:{uid}".encode("ascii")


def seal(keys: Keyring, uid: str, data: bytes) -> tuple[bytes, bytes]:
    """``(wrapped item key, sealed bytes)`` for ``data``."""
    item_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    sealed = MAGIC + nonce + AESGCM(item_key).encrypt(nonce, data, _aad(uid))
    return keys.encrypt(item_key, context=_key_context(uid)), sealed


def unseal(keys: Keyring, uid: str, wrapped_key: bytes, sealed: bytes) -> bytes:
    """The plaintext of a sealed file; :class:`IntegrityError` when it was altered."""
    if len(sealed) < len(MAGIC) + 12 + 16 or not sealed.startswith(MAGIC):
        raise IntegrityError(f"evidence file of item {uid} is malformed", code="evidence_corrupt")
    item_key = keys.decrypt(wrapped_key, context=_key_context(uid))
    nonce = sealed[len(MAGIC):len(MAGIC) + 12]
    try:
        return AESGCM(item_key).decrypt(nonce, sealed[len(MAGIC) + 12:], _aad(uid))
    except InvalidTag as exc:
        raise IntegrityError(
            f"evidence file of item {uid} failed authentication: it was altered or belongs to "
            "another item", code="evidence_corrupt") from exc


class EvidenceStore:
    """Sealed files in one directory (``$JIKIMI_DATA_DIR/evidence``), written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, uid: str) -> Path:
        if not _UID_RE.match(uid):
            raise NotFound(f"no evidence file {uid!r}")
        return self.root / f"{uid}.jkev"

    def write(self, uid: str, sealed: bytes) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        final = self._path(uid)
        temp = final.with_suffix(".tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(sealed)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, final)

    def read(self, uid: str) -> bytes:
        try:
            return self._path(uid).read_bytes()
        except FileNotFoundError as exc:
            raise IntegrityError(f"the evidence file of item {uid} is missing from "
                                 f"{self.root}", code="evidence_missing") from exc

    def delete(self, uid: str) -> bool:
        try:
            self._path(uid).unlink()
        except FileNotFoundError:
            return False
        return True

    def delete_after_commit(self, session: Session, uid: str) -> bool:
        """Delete the file once ``session``'s transaction commits (not if it rolls back: the
        record would still hold its key and say it is held); returns whether the file is
        there to delete."""
        present = self._path(uid).exists()
        session.info.setdefault(_DELETE_AFTER_COMMIT, []).append((self, uid))
        return present


_DELETE_AFTER_COMMIT = "jikimi.evidence.delete_after_commit"


@event.listens_for(Session, "after_commit")
def _delete_committed(session: Session) -> None:
    for store, uid in session.info.pop(_DELETE_AFTER_COMMIT, []):
        try:
            store.delete(uid)
        except OSError:  # its key is gone with the commit: what is left cannot be read
            log.warning("the destroyed evidence file %s could not be deleted", uid,
                        exc_info=True)


@event.listens_for(Session, "after_rollback")
def _keep_rolled_back(session: Session) -> None:
    session.info.pop(_DELETE_AFTER_COMMIT, None)
