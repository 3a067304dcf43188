"""An optional synthetic-media detector: an ONNX model that the centre chooses and configures.

jikimi ships no such model. A score from a model nobody has evaluated on material like the
centre's is not evidence, so this module reports three states, and the UI words each plainly:

* **not configured** (``JIKIMI_SYNTHETIC_MEDIA_MODEL`` unset): there is no detector; face
  matches are by similarity only, and nothing is presented as a detection;
* **configured, unevaluated**: the score is shown as coming from an unevaluated model;
* **configured and evaluated**: an evaluation record sits next to the model file
  (``<model>.evaluation.json``, below) and its numbers are shown with the score.

Either way a score is a hint for the person reviewing a match, never a decision.

Model contract (checked when the model is loaded; a model that does not follow it is a
``ConfigurationError`` that names what is wrong):

* **input**: exactly one, ``float32``, shape ``[N, 3, H, W]`` (``N`` is 1 or dynamic; ``H``
  and ``W`` fixed in the model, or dynamic and then 224). The whole image (EXIF orientation
  applied) or video frame, RGB, resized to ``W x H`` with bilinear filtering (aspect ratio not
  kept), channels first, values ``pixel / 255`` in ``[0, 1]``. No mean/std normalisation is
  applied: a model that needs one carries it in its graph (``Sub``/``Div`` nodes).
* **output**: the first output; exactly one value per image, the probability in ``[0, 1]``
  that the image is synthetic (generated or manipulated). A model that outputs logits ends
  with a ``Sigmoid`` node. A value outside ``[0, 1]`` breaks the contract and raises.
* **videos**: the sampled frames of the face search (:mod:`jikimi.faces.video`) are scored
  one by one; the video's score is the highest, with that frame's time.

Evaluation record (optional; JSON object in ``<model file>.evaluation.json``):
``dataset`` (text: what was tested, and whose material), ``synthetic`` and ``authentic``
(numbers of test items of each kind), ``threshold`` (the score the rates are taken at),
``true_positive_rate`` and ``false_positive_rate`` (in ``[0, 1]``), and optionally ``date``
and ``by``. A record that is missing, unreadable or incomplete means *unevaluated*.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from jikimi.errors import ConfigurationError

__all__ = [
    "DEFAULT_INPUT_SIDE",
    "DetectorStatus",
    "Evaluation",
    "SyntheticMediaModel",
    "SyntheticScore",
    "detector_status",
    "evaluation_path",
    "load_model",
]

DEFAULT_INPUT_SIDE = 224
"""Input height and width when the model leaves them dynamic."""
_MAX_SIDE = 2048


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What an evaluation of the configured model found (from its evaluation record)."""

    dataset: str
    synthetic: int
    authentic: int
    threshold: float
    true_positive_rate: float
    false_positive_rate: float
    date: str = ""
    by: str = ""

    def to_json(self) -> dict[str, object]:
        return {"dataset": self.dataset, "synthetic": self.synthetic,
                "authentic": self.authentic, "threshold": self.threshold,
                "true_positive_rate": self.true_positive_rate,
                "false_positive_rate": self.false_positive_rate, "date": self.date,
                "by": self.by}


@dataclass(frozen=True, slots=True)
class DetectorStatus:
    """Whether a synthetic-media model is configured, usable and evaluated."""

    configured: bool
    model: str | None = None
    """The model file's name (not its path)."""
    evaluation: Evaluation | None = None
    error: str | None = None
    """Why the configured model cannot be used (it is then not used at all)."""
    evaluation_error: str | None = None
    """Why an evaluation record next to the model was not accepted."""

    @property
    def usable(self) -> bool:
        return self.configured and self.error is None

    @property
    def evaluated(self) -> bool:
        return self.evaluation is not None

    @property
    def note(self) -> str:
        """What this state means for a score, in plain words (English; pages translate)."""
        if not self.configured:
            return ("No synthetic-media detector is configured: matches are by face "
                    "similarity only.")
        if self.error:
            return "The configured synthetic-media model cannot be used: " + self.error
        if self.evaluation is None:
            return ("The score comes from an unevaluated model: it is not evidence that the "
                    "material is or is not synthetic.")
        e = self.evaluation
        return (f"Model evaluated on {e.dataset} ({e.synthetic} synthetic, {e.authentic} "
                f"authentic items): at a score of {e.threshold:g} or more, it flagged "
                f"{e.true_positive_rate:.1%} of the synthetic and {e.false_positive_rate:.1%} "
                "of the authentic ones. A hint for the reviewer, never a decision.")


@dataclass(frozen=True, slots=True)
class SyntheticScore:
    """A model's score for one file: a hint for the reviewer, never a decision."""

    score: float
    model: str
    evaluated: bool
    time: float | None = None
    """For a video: the time of its highest-scoring sampled frame."""

    def to_json(self) -> dict[str, object]:
        return {"score": round(self.score, 4), "model": self.model,
                "evaluated": self.evaluated, "time": self.time}


def evaluation_path(model: Path) -> Path:
    """Where the evaluation record of ``model`` is read from."""
    return model.with_name(model.name + ".evaluation.json")


def read_evaluation(model: Path) -> Evaluation | None:
    """The evaluation record next to ``model``; None when there is none; ``ValueError`` with
    the reason when there is one that cannot be used."""
    path = evaluation_path(model)
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path.name} is not readable JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise ValueError(f"{path.name} must hold a JSON object")
    try:
        dataset = str(raw["dataset"]).strip()
        counts = [raw["synthetic"], raw["authentic"]]
        rates = [raw["threshold"], raw["true_positive_rate"], raw["false_positive_rate"]]
    except KeyError as exc:
        raise ValueError(f"{path.name} lacks the field {exc.args[0]!r}") from exc
    if not dataset:
        raise ValueError(f"{path.name}: 'dataset' must say what the model was tested on")
    if not all(isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in counts):
        raise ValueError(f"{path.name}: 'synthetic' and 'authentic' must be positive integers")
    if not all(isinstance(r, int | float) and not isinstance(r, bool) and math.isfinite(r)
               and 0 <= r <= 1 for r in rates):
        raise ValueError(f"{path.name}: 'threshold' and the rates must be numbers in [0, 1]")
    return Evaluation(dataset[:500], counts[0], counts[1], float(rates[0]), float(rates[1]),
                      float(rates[2]), str(raw.get("date", ""))[:40],
                      str(raw.get("by", ""))[:200])


class SyntheticMediaModel:
    """A loaded model that follows the contract above. ``score`` is thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        try:
            import onnxruntime as ort  # type: ignore[import-untyped]
        except ImportError as exc:  # pragma: no cover - a dependency of jikimi
            raise ConfigurationError(
                "JIKIMI_SYNTHETIC_MEDIA_MODEL is set but onnxruntime is not installed "
                "(pip install onnxruntime).") from exc
        if not path.is_file():
            raise ConfigurationError(
                f"JIKIMI_SYNTHETIC_MEDIA_MODEL names {path}, which is not a file.",
                code="synthetic_model_missing")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session: Any = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for a bad file
            raise ConfigurationError(
                f"The synthetic-media model {path.name} cannot be loaded: it is not a valid "
                f"ONNX model ({type(exc).__name__}: {str(exc).strip()[:300]}). Check the file "
                "or unset JIKIMI_SYNTHETIC_MEDIA_MODEL.", code="synthetic_model_invalid"
            ) from exc
        self.input_name, self.height, self.width = self._check_input()
        self._check_output()

    def _check_input(self) -> tuple[str, int, int]:
        inputs = self._session.get_inputs()
        if len(inputs) != 1:
            raise self._contract(f"it has {len(inputs)} inputs, not one")
        spec = inputs[0]
        if spec.type != "tensor(float)":
            raise self._contract(f"its input is {spec.type}, not tensor(float)")
        shape = list(spec.shape)
        if len(shape) != 4:
            raise self._contract(f"its input has shape {shape}, not [N, 3, H, W]")
        n, c, h, w = shape
        if isinstance(n, int) and n != 1:
            raise self._contract(f"its input takes batches of {n}; the contract is 1 or dynamic")
        if c != 3:
            raise self._contract(f"its input has {c} channels, not 3 (RGB, channels first)")
        sides = [s if isinstance(s, int) and s > 0 else DEFAULT_INPUT_SIDE for s in (h, w)]
        if max(sides) > _MAX_SIDE:
            raise self._contract(f"its input is {sides[1]} x {sides[0]}, over {_MAX_SIDE} px")
        return str(spec.name), sides[0], sides[1]

    def _check_output(self) -> None:
        outputs = self._session.get_outputs()
        if not outputs:
            raise self._contract("it has no output")
        if outputs[0].type not in ("tensor(float)", "tensor(double)", "tensor(float16)"):
            raise self._contract(f"its first output is {outputs[0].type}, not a float tensor")

    def _contract(self, what: str) -> ConfigurationError:
        return ConfigurationError(
            f"The synthetic-media model {self.name} does not follow jikimi's contract: {what} "
            "(see jikimi.faces.synthetic).", code="synthetic_model_invalid")

    def prepare(self, image: Image.Image) -> np.ndarray[Any, np.dtype[np.float32]]:
        """The input tensor for one image, as the contract says."""
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        resized = rgb.resize((self.width, self.height), Image.Resampling.BILINEAR)
        pixels = np.asarray(resized, dtype=np.float32) / np.float32(255.0)
        return np.ascontiguousarray(pixels.transpose(2, 0, 1)[None, ...])

    def score(self, image: Image.Image) -> float:
        """The model's probability that ``image`` is synthetic, in [0, 1]."""
        try:
            out = self._session.run(None, {self.input_name: self.prepare(image)})
        except Exception as exc:
            raise ConfigurationError(
                f"The synthetic-media model {self.name} failed on an image "
                f"({type(exc).__name__}: {str(exc).strip()[:300]}).",
                code="synthetic_model_failed") from exc
        values = np.asarray(out[0], dtype=np.float64).reshape(-1)
        if values.size != 1:
            raise self._contract(f"its first output has {values.size} values, not one")
        value = float(values[0])
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise self._contract(f"it output {value!r}, not a probability in [0, 1]")
        return value


_cache_lock = threading.Lock()
_cache: dict[tuple[str, int, int], SyntheticMediaModel] = {}


def load_model(path: Path) -> SyntheticMediaModel:
    """The model at ``path``, loaded once per file version (path, size, modification time)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise ConfigurationError(
            f"JIKIMI_SYNTHETIC_MEDIA_MODEL names {path}, which cannot be read "
            f"({exc.strerror or exc}).", code="synthetic_model_missing") from exc
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _cache_lock:
        model = _cache.get(key)
        if model is None:
            model = SyntheticMediaModel(path)
            _cache.clear()
            _cache[key] = model
        return model


def detector_status(model_path: Path | None) -> DetectorStatus:
    """What the configuration says about the detector, without raising: for the UI."""
    if model_path is None or str(model_path).strip() in ("", "."):  # unset, or set empty
        return DetectorStatus(configured=False)
    name = model_path.name
    try:
        load_model(model_path)
    except ConfigurationError as exc:
        return DetectorStatus(configured=True, model=name, error=exc.message)
    try:
        evaluation = read_evaluation(model_path)
    except ValueError as exc:
        return DetectorStatus(configured=True, model=name, evaluation_error=str(exc))
    return DetectorStatus(configured=True, model=name, evaluation=evaluation)
