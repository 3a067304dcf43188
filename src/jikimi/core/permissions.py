"""The data directory is the installation's: 0700, its files 0600 (the database holds
encrypted contact data, but also who works where and every audit entry)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def _tighten(path: Path) -> None:
    """Take every group and other permission away (the owner's stay as they are)."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
        if current & 0o077:
            path.chmod(current & ~0o077)
    except OSError:
        pass  # not ours to change (a mounted volume, another owner): leave it


def secure_data_dir(data_dir: Path, sqlite_path: Path | None = None) -> None:
    """Create the data directory 0700 and make it and its top-level entries private; create
    the SQLite file 0600 before SQLite does (its -wal and -shm files take the same mode)."""
    data_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    _tighten(data_dir)
    if sqlite_path is not None:
        sqlite_path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        if not sqlite_path.exists():
            os.close(os.open(sqlite_path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
        for path in (sqlite_path, Path(f"{sqlite_path}-wal"), Path(f"{sqlite_path}-shm")):
            if path.exists():
                _tighten(path)
    try:
        entries = list(data_dir.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.is_symlink():
            continue
        _tighten(entry)


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (None for other databases and in-memory SQLite)."""
    if not url.startswith("sqlite") or "///" not in url:
        return None
    path = url.split("///", 1)[1].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None
