"""Helpers for the face tests: where the reference photos are, generated images (scenes with
no face, composites), generated video clips, and a tiny ONNX model. The photos are read in
place from ../shared/data/faces and only ever modified in memory (a clip that shows one is
written to a test's temporary directory)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper
from PIL import Image, ImageDraw

from jikimi.faces import DetectedFace

FACES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "faces"


def photo_paths() -> list[Path]:
    return sorted(FACES.glob("*/*.jpg"))


def person_of(path: Path) -> str:
    return path.parent.name


def label(path: Path) -> str:
    return f"{person_of(path)}/{path.name}"


def subject(faces: list[DetectedFace]) -> DetectedFace:
    """The largest face (the reference set's README: the largest face is the subject)."""
    return max(faces, key=lambda f: (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))


def background(width: int, height: int, seed: int) -> Image.Image:
    """An unrelated generated scene: a colour gradient with random shapes, no face."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    c0, c1 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    t = ((x / width + y / height) / 2)[..., None]
    pixels = (c0 * (1 - t) + c1 * t).astype(np.uint8)
    img = Image.fromarray(pixels, "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(25):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        x1, y1 = x0 + int(rng.integers(20, width // 3)), y0 + int(rng.integers(20, height // 3))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.rectangle([x0, y0, x1, y1], fill=colour)
        else:
            draw.ellipse([x0, y0, x1, y1], fill=colour)
    return img


def composite(photo: Path, seed: int, scale: float = 0.6) -> bytes:
    """The photo scaled and pasted into a larger generated scene, as JPEG bytes."""
    with Image.open(photo) as src:
        src = src.convert("RGB")
        rng = np.random.default_rng(seed)
        canvas = background(int(src.width * 1.6), int(src.height * 1.4), seed)
        small = src.resize((int(src.width * scale), int(src.height * scale)),
                           Image.Resampling.LANCZOS)
        x = int(rng.integers(0, canvas.width - small.width))
        y = int(rng.integers(0, canvas.height - small.height))
        canvas.paste(small, (x, y))
    return jpeg(canvas)


def jpeg(img: Image.Image, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, **kwargs)
    return buf.getvalue()


def face_clip(path: Path, photo: Path | None, *, seconds: float = 3.0, fps: int = 5,
              size: tuple[int, int] = (480, 360), shown: tuple[float, float] = (1.0, 2.5),
              face_px: int = 260) -> Path:
    """A generated H.264 clip (moving generated scenes, no face) with ``photo`` scaled to
    ``face_px`` and pasted into the frames shown between ``shown[0]`` and ``shown[1]``
    seconds. The photo is modified in memory only; the clip is written to ``path``."""
    face = None
    if photo is not None:
        with Image.open(photo) as img:
            face = img.convert("RGB")
            face.thumbnail((face_px, face_px))
    scenes = [background(*size, seed=s) for s in range(3)]
    frames = bytearray()
    for k in range(round(seconds * fps)):
        frame = scenes[k % 3].copy()
        if face is not None and shown[0] <= k / fps < shown[1]:
            frame.paste(face, ((size[0] - face.width) // 2, (size[1] - face.height) // 2))
        frames += frame.tobytes()
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s",
         f"{size[0]}x{size[1]}", "-r", str(fps), "-i", "pipe:0", "-c:v", "libx264",
         "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)],
        input=bytes(frames), check=True, capture_output=True)
    return path


def mean_pixel_model(path: Path, *, shape: list[int | str] | None = None, channels: int = 3,
                     sigmoid: bool = True, outputs: int = 1) -> Path:
    """score = sigmoid(10 * (mean pixel - 0.5)): white ~ 0.99, black ~ 0.01."""
    dims: list[int | str] = shape or ["N", channels, "H", "W"]
    x = helper.make_tensor_value_info("pixels", TensorProto.FLOAT, dims)
    y = helper.make_tensor_value_info("score", TensorProto.FLOAT, ["N", outputs])
    axes = list(range(1, len(dims)))
    consts = [helper.make_tensor("axes", TensorProto.INT64, [len(axes)], axes),
              helper.make_tensor("half", TensorProto.FLOAT, [], [0.5]),
              helper.make_tensor("ten", TensorProto.FLOAT, [], [10.0]),
              helper.make_tensor("shape", TensorProto.INT64, [2], [-1, 1]),
              helper.make_tensor("reps", TensorProto.INT64, [2], [1, outputs])]
    nodes = [helper.make_node("ReduceMean", ["pixels", "axes"], ["mean"], keepdims=0),
             helper.make_node("Sub", ["mean", "half"], ["centred"]),
             helper.make_node("Mul", ["centred", "ten"], ["logit"]),
             helper.make_node("Sigmoid" if sigmoid else "Identity", ["logit"], ["p"]),
             helper.make_node("Reshape", ["p", "shape"], ["col"]),
             helper.make_node("Tile", ["col", "reps"], ["score"])]
    graph = helper.make_graph(nodes, "mean_pixel", [x], [y], initializer=consts)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path
