"""SQLite's writers take turns (core.sqlite_writers): a write transaction holds its turn from
BEGIN to commit or rollback; a writer of another process or thread waits for it and goes when
it ends; a writer that waits past the busy timeout gets SQLite's own error and holds nothing."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from jikimi.core import database
from jikimi.core.database import make_engine


def turn_taken(lock_file: Path) -> bool:
    """Whether some connection holds the writers' turn (a lock of another open file)."""
    fd = os.open(lock_file, os.O_CREAT | os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the lock if it was taken here
    return False


HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_turn(lock_file: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock_file), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "jikimi.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    engine.dispose()
    return f"sqlite:///{path}", Path(f"{path}.writers")


def test_a_transaction_holds_the_turn_until_it_commits_or_rolls_back(
        db: tuple[str, Path]) -> None:
    url, lock_file = db
    engine = make_engine(url)
    assert not turn_taken(lock_file)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
        assert turn_taken(lock_file)
    assert not turn_taken(lock_file)
    with engine.connect() as conn:
        conn.begin()
        conn.execute(text("INSERT INTO t VALUES (2)"))
        assert turn_taken(lock_file)
        conn.rollback()
        assert not turn_taken(lock_file)
    with pytest.raises(OperationalError), engine.begin() as conn:  # a failed statement
        conn.execute(text("INSERT INTO missing VALUES (1)"))
    assert not turn_taken(lock_file)
    with engine.connect() as conn:  # a connection closed in its transaction
        conn.begin()
        conn.execute(text("INSERT INTO t VALUES (3)"))
        conn.invalidate()
    assert not turn_taken(lock_file)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT x FROM t")).scalars().all() == [1]
    engine.dispose()


def test_a_writer_of_another_process_goes_first_and_the_next_follows_at_once(
        db: tuple[str, Path]) -> None:
    url, lock_file = db
    engine = make_engine(url)
    holder = hold_turn(lock_file, 0.6)
    began = time.monotonic()
    with engine.begin() as conn:  # waits for the other process's turn to end
        waited = time.monotonic() - began
        conn.execute(text("INSERT INTO t VALUES (1)"))
    assert holder.wait(10) == 0
    assert waited >= 0.4
    engine.dispose()


def test_threads_of_one_process_take_turns(db: tuple[str, Path]) -> None:
    url, _lock_file = db
    engine = make_engine(url)
    inside = threading.Event()
    order: list[str] = []

    def second() -> None:
        inside.wait(10)
        with engine.begin() as conn:
            order.append("second began")
            conn.execute(text("INSERT INTO t VALUES (2)"))

    thread = threading.Thread(target=second)
    thread.start()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
        inside.set()
        time.sleep(0.3)  # the other thread is waiting for its turn meanwhile
        order.append("first commits")
    thread.join(10)
    assert order == ["first commits", "second began"]
    with engine.connect() as conn:
        assert sorted(conn.execute(text("SELECT x FROM t")).scalars()) == [1, 2]
    engine.dispose()


def test_a_writer_waiting_past_the_busy_timeout_gets_sqlites_error_and_holds_nothing(
        db: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    url, lock_file = db
    monkeypatch.setattr(database, "SQLITE_BUSY_SECONDS", 0.3)
    engine = make_engine(url)
    holder = hold_turn(lock_file, 30)
    try:
        with pytest.raises(OperationalError, match="database is locked"), \
                engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        holder.kill()
        holder.wait(10)
    with engine.begin() as conn:  # nothing was left held by the failed wait
        conn.execute(text("INSERT INTO t VALUES (2)"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT x FROM t")).scalars().all() == [2]
    engine.dispose()
