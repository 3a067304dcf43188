"""Detection and embedding on the shared reference photos."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import pytest
from faces_media import FACES, jpeg, person_of, subject
from PIL import Image

from jikimi.faces import EMBEDDING_DIM, DetectedFace, detect_faces


def test_every_reference_photo_has_exactly_one_face(
    photos: list[Path], detected: dict[str, list[DetectedFace]]
) -> None:
    assert len(photos) == 28
    counts = {name: len(faces) for name, faces in detected.items()}
    assert all(n == 1 for n in counts.values()), counts
    for path in photos:
        face = detected[f"{person_of(path)}/{path.name}"][0]
        with Image.open(path) as img:
            width, height = img.size
        left, top, right, bottom = face.box
        assert 0 <= left < right <= width and 0 <= top < bottom <= height, (path, face.box)
        assert right - left >= 100  # portraits: the face is not tiny
        assert face.embedding.shape == (EMBEDDING_DIM,)
        assert face.embedding.dtype == np.float32
        assert np.isfinite(face.embedding).all()
        assert 1.0 < float(np.linalg.norm(face.embedding)) < 2.0
        assert face.detection_score > 0


def test_same_person_closer_than_different_people(
    detected: dict[str, list[DetectedFace]],
) -> None:
    """The calibration set's separation, as the shared README measured it (0.61 vs 0.66)."""
    same, diff = [], []
    for (a, fa), (b, fb) in itertools.combinations(detected.items(), 2):
        d = float(np.linalg.norm(subject(fa).embedding - subject(fb).embedding))
        (same if a.split("/")[0] == b.split("/")[0] else diff).append(d)
    assert (len(same), len(diff)) == (43, 335)
    assert max(same) < 0.65
    assert min(diff) > 0.64
    assert np.median(same) < 0.4 < 0.85 < np.median(diff)


def test_box_is_in_original_pixels_whatever_the_size() -> None:
    """A 2500 px photo is detected at 800 px; its box is scaled back to the original."""
    path = FACES / "df_angelina" / "03.jpg"
    full = detect_faces(path)[0]
    with Image.open(path) as img:
        half = img.convert("RGB").resize((img.width // 2, img.height // 2))
    small = detect_faces(jpeg(half))[0]
    assert np.allclose(np.array(small.box) * 2, full.box, atol=12)
    assert float(np.linalg.norm(small.embedding - full.embedding)) < 0.15


def test_exif_orientation_is_applied() -> None:
    """A photo stored sideways with an EXIF rotation tag is detected upright, boxed in the
    upright image's pixels."""
    path = FACES / "obama" / "04.jpg"
    upright = detect_faces(path)[0]
    with Image.open(path) as img:
        rgb = img.convert("RGB")
    stored = rgb.transpose(Image.Transpose.ROTATE_90)  # displayed upright with orientation 6
    exif = Image.Exif()
    exif[0x0112] = 6
    faces = detect_faces(jpeg(stored, exif=exif.tobytes()))
    assert len(faces) == 1
    assert np.allclose(faces[0].box, upright.box, atol=6)
    assert float(np.linalg.norm(faces[0].embedding - upright.embedding)) < 0.1


def test_pillow_image_and_greyscale_inputs(detected: dict[str, list[DetectedFace]]) -> None:
    """Decoded frames (a video's, say) can be passed as Pillow images; greyscale works."""
    path = FACES / "rose_leslie" / "02.jpg"
    reference = detected["rose_leslie/02.jpg"][0]
    with Image.open(path) as img:
        img.load()
        as_image = detect_faces(img)
        grey = detect_faces(jpeg(img.convert("L")))
    assert as_image[0].box == reference.box
    assert np.allclose(as_image[0].embedding, reference.embedding, atol=1e-5)
    assert len(grey) == 1
    assert float(np.linalg.norm(grey[0].embedding - reference.embedding)) < 0.2


def test_png_and_bytes_inputs(detected: dict[str, list[DetectedFace]]) -> None:
    path = FACES / "df_person04" / "01.jpg"
    buf = io.BytesIO()
    with Image.open(path) as img:
        img.save(buf, "PNG")
    faces = detect_faces(buf.getvalue())
    assert len(faces) == 1
    reference = detected["df_person04/01.jpg"][0]
    assert float(np.linalg.norm(faces[0].embedding - reference.embedding)) < 0.05
    assert detect_faces(path.read_bytes())[0].box == reference.box


@pytest.mark.parametrize("max_faces", [0, -1])
def test_max_faces_must_be_positive(max_faces: int) -> None:
    with pytest.raises(ValueError):
        detect_faces(FACES / "obama" / "01.jpg", max_faces=max_faces)
