"""FaceSignal: the ``face`` signal type (canonical value, distances in thousandths) and its
SignalIndex adapter."""

from __future__ import annotations

import base64
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from jikimi.errors import InvalidInput
from jikimi.faces import (
    EMBEDDING_DIM,
    REVIEW_THRESHOLD,
    STRICT_THRESHOLD,
    DetectedFace,
    FaceSignal,
    embedding_from_value,
    embedding_value,
    to_signal_distance,
)
from jikimi.matching import SignalIndex, SignalType

finite = arrays(np.float32, EMBEDDING_DIM,
                elements=st.floats(-1, 1, width=32, allow_nan=False, allow_infinity=False))


@settings(max_examples=60)
@given(vec=finite)
def test_value_round_trip_is_exact_and_canonical(vec: np.ndarray) -> None:
    value = embedding_value(vec)
    assert len(value) == 684
    back = embedding_from_value(value)
    assert np.array_equal(back, vec + np.float32(0))
    assert FaceSignal.normalise(value) == value
    assert FaceSignal.normalise(f"  {value}\n") == value
    assert len(FaceSignal.value_key(value)) == 64


def test_malformed_values_are_refused() -> None:
    good = embedding_value(np.zeros(EMBEDDING_DIM, np.float32))
    nan = base64.b64encode(np.full(EMBEDDING_DIM, np.nan, "<f4").tobytes()).decode()
    for bad in ("", "not base64!", good[:-4], good + "AAAA", nan, None, 42):
        with pytest.raises(InvalidInput):
            FaceSignal.normalise(bad)  # type: ignore[arg-type]


def test_is_a_signal_type() -> None:
    assert issubclass(FaceSignal, SignalType)
    assert FaceSignal.name == "face"
    assert FaceSignal.default_threshold == to_signal_distance(REVIEW_THRESHOLD) == 600
    assert to_signal_distance(STRICT_THRESHOLD) == 550
    assert not FaceSignal.indexed_in_database
    index: SignalIndex = FaceSignal.new_index()
    assert len(index) == 0


def test_distance_in_thousandths(detected: dict[str, list[DetectedFace]]) -> None:
    a = detected["obama/01.jpg"][0].embedding
    b = detected["obama/02.jpg"][0].embedding
    c = detected["rose_leslie/01.jpg"][0].embedding
    euclid = float(np.linalg.norm(a.astype(np.float64) - b))
    assert FaceSignal.distance(embedding_value(a), embedding_value(b)) == round(euclid * 1000)
    assert FaceSignal.distance(embedding_value(a), embedding_value(a)) == 0
    assert FaceSignal.distance(embedding_value(a), embedding_value(c)) > 550


def test_adapter_matches_the_signal_distance(detected: dict[str, list[DetectedFace]]) -> None:
    names = sorted(detected)
    values = [embedding_value(detected[n][0].embedding) for n in names]
    index = FaceSignal.new_index()
    index.add(list(range(len(values))), values)
    assert len(index) == len(values)
    query = values[names.index("obama/01.jpg")]
    hits = index.search(query, 550)
    expected = sorted(
        (i, FaceSignal.distance(query, v)) for i, v in enumerate(values)
        if FaceSignal.distance(query, v) <= 550)
    assert sorted(hits) == expected
    assert {names[i].split("/")[0] for i, _ in hits} == {"obama"}
    assert all(isinstance(d, int) for _, d in hits)
    # exactly at the threshold (rounded thousandths) is a match, one below is not
    far = max(d for _, d in hits)
    assert far in [d for _, d in index.search(query, far)]
    assert far not in [d for _, d in index.search(query, far - 1)]
    assert index.search(query, -1) == []
    copy = pickle.loads(pickle.dumps(index))
    assert copy.search(query, 550) == hits
    index.remove([i for i, _ in hits])
    assert index.search(query, 550) == []
    with pytest.raises(InvalidInput):
        index.add([1, 2], values[:1])
