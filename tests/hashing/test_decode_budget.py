"""Issue 13: one process-wide decode memory budget bounds what concurrent decodes hold; a
decode that does not fit waits and then fails with Busy, an image larger than the whole
budget is refused, nested decodes of one image are counted once."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pytest
from PIL import Image

from jikimi.errors import Busy, MediaTooLarge
from jikimi.hashing import decode as decode_module
from jikimi.hashing import fingerprint_bytes, registration_variants
from jikimi.hashing.decode import MB, DecodeBudget, decoded_bytes


def png(width: int, height: int, mode: str = "RGB") -> bytes:
    img = Image.linear_gradient("L").resize((width, height)).convert(mode)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def budget(monkeypatch: pytest.MonkeyPatch) -> Iterator[DecodeBudget]:
    """A small budget for this test only."""
    small = DecodeBudget(64 * MB)
    monkeypatch.setattr(decode_module, "_budget", small)
    yield small


def test_decodes_reserve_and_release(budget: DecodeBudget) -> None:
    data = png(2000, 1500)
    fingerprint_bytes(data, with_variants=True)
    registration_variants(data)
    assert budget.used == 0
    expected = decoded_bytes(Image.open(io.BytesIO(data)))
    # nested decodes (thumbnail, then the full-size source) are counted once
    assert expected <= budget.peak <= expected + MB


def test_a_decode_that_does_not_fit_waits_then_is_busy(budget: DecodeBudget) -> None:
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with budget.reserve(60 * MB):
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(10)
        with pytest.raises(Busy) as busy:
            with budget.reserve(20 * MB, wait_seconds=0.05):
                pass
        assert busy.value.http_status == 503 and busy.value.code == "decode_busy"
        assert busy.value.details["retry_after"] >= 1
    finally:
        release.set()
        thread.join(10)
    with budget.reserve(20 * MB, wait_seconds=0.05):  # room again once the first is done
        assert budget.used == 20 * MB
    assert budget.used == 0


def test_waiting_decode_proceeds_when_room_frees(budget: DecodeBudget) -> None:
    order: list[str] = []
    first_in = threading.Event()

    def first() -> None:
        with budget.reserve(50 * MB):
            first_in.set()
            order.append("first")
            threading.Event().wait(0.05)
        order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(10)
    with budget.reserve(50 * MB, wait_seconds=10):
        order.append("second")
    thread.join(10)
    assert order == ["first", "first done", "second"]


def test_one_image_may_not_take_more_than_the_budget(budget: DecodeBudget) -> None:
    big = png(5000, 4000)  # 20 MP: about 90 MB decoded, more than the 64 MB budget
    with pytest.raises(MediaTooLarge) as refused:
        fingerprint_bytes(big)
    assert refused.value.code == "media_too_large_for_memory"
    assert "JIKIMI_DECODE_MEMORY_MB" in refused.value.message
    assert budget.used == 0


def test_estimate_counts_conversion() -> None:
    rgb = Image.open(io.BytesIO(png(1000, 1000)))
    grey = Image.open(io.BytesIO(png(1000, 1000, "L")))
    assert decoded_bytes(rgb) > 4_000_000
    assert decoded_bytes(grey) > 5_000_000  # 1 byte stored + 4 for the RGB copy
