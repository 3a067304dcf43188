"""The optional synthetic-media detector: the ONNX contract, the evaluation record, and what
is said when no model, a broken model or an unevaluated model is configured.

The models are built in the test with onnx's helper API (mean pixel -> sigmoid and a few
contract breakers): they exercise the plumbing and detect nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from faces_media import FACES, face_clip, mean_pixel_model
from PIL import Image

from jikimi.errors import ConfigurationError
from jikimi.faces import SyntheticMediaModel, detector_status, load_model
from jikimi.faces.synthetic import evaluation_path

EVALUATION = {"dataset": "benign generated test images", "synthetic": 200, "authentic": 300,
              "threshold": 0.5, "true_positive_rate": 0.9, "false_positive_rate": 0.05,
              "date": "2026-11-25"}


def test_nothing_is_a_detector_when_no_model_is_configured() -> None:
    for unset in (None, Path("")):
        status = detector_status(unset)
        assert not status.configured and not status.usable and not status.evaluated
        assert status.note.startswith("No synthetic-media detector is configured")


def test_an_unevaluated_model_scores_and_says_so(tmp_path: Path) -> None:
    path = mean_pixel_model(tmp_path / "mean.onnx")
    status = detector_status(path)
    assert status.usable and status.model == "mean.onnx" and not status.evaluated
    assert "unevaluated model" in status.note
    model = load_model(path)
    assert load_model(path) is model  # loaded once per file version
    assert (model.height, model.width) == (224, 224)  # dynamic sides: the contract's default
    white, black = Image.new("RGB", (300, 200), "white"), Image.new("L", (50, 50), 0)
    assert model.score(white) > 0.99 and model.score(black) < 0.01
    tensor = model.prepare(Image.new("RGB", (10, 10), (255, 0, 51)))
    assert tensor.shape == (1, 3, 224, 224) and tensor.dtype == np.float32
    assert np.allclose(tensor[0, :, 5, 5], [1.0, 0.0, 0.2])  # RGB, channels first, /255


def test_fixed_input_size_and_an_evaluation_record(tmp_path: Path) -> None:
    path = mean_pixel_model(tmp_path / "fixed.onnx", shape=[1, 3, 64, 48])
    model = SyntheticMediaModel(path)
    assert (model.height, model.width) == (64, 48)
    assert model.prepare(Image.new("RGB", (500, 20))).shape == (1, 3, 64, 48)
    evaluation_path(path).write_text(json.dumps(EVALUATION))
    status = detector_status(path)
    assert status.evaluated and status.evaluation is not None
    assert status.evaluation.true_positive_rate == 0.9
    assert "benign generated test images" in status.note and "90.0%" in status.note
    for broken in ("{not json", json.dumps([1]), json.dumps({**EVALUATION, "synthetic": 0}),
                   json.dumps({k: v for k, v in EVALUATION.items() if k != "dataset"}),
                   json.dumps({**EVALUATION, "false_positive_rate": 7})):
        evaluation_path(path).write_text(broken)
        status = detector_status(path)
        assert status.usable and not status.evaluated and status.evaluation_error
        assert "unevaluated model" in status.note


def test_corrupt_and_missing_model_files(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(np.random.default_rng(0).bytes(2048))
    with pytest.raises(ConfigurationError, match="not a valid ONNX model") as caught:
        load_model(corrupt)
    assert caught.value.code == "synthetic_model_invalid"
    status = detector_status(corrupt)
    assert status.configured and not status.usable and "not a valid ONNX model" in status.note
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(mean_pixel_model(tmp_path / "whole.onnx").read_bytes()[:100])
    assert not detector_status(truncated).usable
    missing = detector_status(tmp_path / "missing.onnx")
    assert missing.configured and not missing.usable and "cannot be read" in (missing.error or "")
    assert not detector_status(tmp_path).usable  # a directory


def test_models_that_break_the_contract(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="1 channels"):
        load_model(mean_pixel_model(tmp_path / "grey.onnx", channels=1))
    with pytest.raises(ConfigurationError, match="batches of 4"):
        load_model(mean_pixel_model(tmp_path / "batch.onnx", shape=[4, 3, 32, 32]))
    with pytest.raises(ConfigurationError, match="shape"):
        load_model(mean_pixel_model(tmp_path / "flat.onnx", shape=["N", 3]))
    two = load_model(mean_pixel_model(tmp_path / "two.onnx", outputs=2))
    with pytest.raises(ConfigurationError, match="2 values"):
        two.score(Image.new("RGB", (8, 8)))
    logits = load_model(mean_pixel_model(tmp_path / "logits.onnx", sigmoid=False))
    with pytest.raises(ConfigurationError, match="not a probability"):
        logits.score(Image.new("RGB", (8, 8), "white"))


def test_videos_are_scored_frame_by_frame(tmp_path: Path) -> None:
    """Through the service: the highest frame's score and time; the face search goes on."""
    from jikimi.faces.video import detect_media_faces

    model = load_model(mean_pixel_model(tmp_path / "mean.onnx"))
    clip = face_clip(tmp_path / "clip.mp4", FACES / "obama" / "02.jpg", seconds=2.0)
    scores: list[tuple[float | None, float]] = []
    found = detect_media_faces(clip, frame_hook=lambda t, img: scores.append(
        (t, model.score(img))))
    assert [t for t, _ in scores] == [0.0, 1.0] and len(found.faces) == 1
    assert all(0 < s < 1 for _, s in scores)
