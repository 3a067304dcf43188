"""ExactIndex: digest -> ids, upserts, removal, snapshots, bad input."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jikimi.errors import IntegrityError, InvalidInput
from jikimi.matching.exact_index import ExactIndex


def sha(i: int) -> str:
    return hashlib.sha256(str(i).encode()).hexdigest()


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["add", "remove"]), st.integers(0, 15), st.integers(0, 4)),
        max_size=40,
    )
)
def test_equals_model(ops: list[tuple[str, int, int]]) -> None:
    index = ExactIndex("sha256")
    model: dict[int, str] = {}
    for op, entry_id, content in ops:
        if op == "add":
            index.add([entry_id], [sha(content)])
            model[entry_id] = sha(content)
        else:
            assert index.remove([entry_id]) == (1 if entry_id in model else 0)
            model.pop(entry_id, None)
    assert len(index) == len(model)
    for content in range(5):
        want = sorted(i for i, d in model.items() if d == sha(content))
        assert index.search(sha(content)) == want
        assert index.search(sha(content).upper()) == want


def test_md5_and_bad_input() -> None:
    index = ExactIndex("md5")
    digest = hashlib.md5(b"x").hexdigest()
    index.add([1, 2], [digest, digest])
    assert index.search(digest) == [1, 2]
    with pytest.raises(InvalidInput, match="expected 32"):
        index.search(sha(1))
    with pytest.raises(InvalidInput, match="not hexadecimal"):
        index.add([3], ["zz" * 16])
    with pytest.raises(InvalidInput, match="not hex"):
        index.add([3], [123])  # type: ignore[list-item]
    with pytest.raises(InvalidInput, match="one id per hash"):
        index.add([3, 4], [digest])
    with pytest.raises(InvalidInput, match="twice"):
        index.add([3, 3], [digest, digest])
    with pytest.raises(InvalidInput, match="digest kind"):
        ExactIndex("sha1")  # type: ignore[arg-type]


def test_snapshot_round_trip_and_damage(tmp_path: Path) -> None:
    index = ExactIndex()
    index.add(range(100), [sha(i % 7) for i in range(100)])
    path = tmp_path / "sha.idx"
    index.save(path)
    loaded = ExactIndex.load(path)
    assert loaded.kind == "sha256" and len(loaded) == 100
    assert loaded.search(sha(3)) == index.search(sha(3))
    data = bytearray(path.read_bytes())
    path.write_bytes(bytes(data[:-10]))
    with pytest.raises(IntegrityError):
        ExactIndex.load(path)
    data[4096 + 5] ^= 1  # inside the ids array
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError):
        ExactIndex.load(path)
