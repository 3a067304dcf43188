"""Fixtures for jikimi.hashing tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from hashing_media import encode, scene


@pytest.fixture(scope="session")
def photo_jpeg() -> bytes:
    """A 640x480 benign scene as JPEG."""
    return encode(scene(1), "JPEG", quality=90)
