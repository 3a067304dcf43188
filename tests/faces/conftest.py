"""Shared face fixtures: the reference photos and their faces, detected once per session
(dlib takes ~0.15 s per photo)."""

from __future__ import annotations

from pathlib import Path

import pytest
from faces_media import FACES, label, photo_paths

from jikimi.faces import DetectedFace, detect_faces


@pytest.fixture(scope="session")
def photos() -> list[Path]:
    paths = photo_paths()
    if not paths:
        pytest.skip(f"the shared face photos are not at {FACES}")
    return paths


@pytest.fixture(scope="session")
def detected(photos: list[Path]) -> dict[str, list[DetectedFace]]:
    """Every photo's faces, keyed ``person/NN.jpg``."""
    return {label(p): detect_faces(p) for p in photos}
