"""Face embeddings: threshold calibration on ../shared/data/faces and faces per second.

For every photo in the shared reference set (28 photos of 10 people, one subject per photo;
the photos are read in place, never copied), :func:`jikimi.faces.detect_faces` finds the
faces and embeds them; a photo with 0 or more than 1 face is reported, and the largest face
is taken as its subject. Then every same-person and different-person pair is compared
(Euclidean distance), true-accept and false-accept rates are printed at several thresholds
with exact (Clopper-Pearson) 95 % intervals, since 43 same-person and 335 different-person
pairs cannot show rates finer than that; the strict and review thresholds are picked by the
rules below; a distance histogram is written as a PNG (drawn with Pillow); and throughput is
measured: one thread, two threads, and two processes (this machine has 2 cores).

Videos: three generated clips (640x360, 1280x720, 1920x1080; 25 fps H.264, one of the photos
pasted into every frame, made in a temporary directory) go through
:func:`jikimi.faces.detect_video_faces` (probe, FFmpeg decode of the sampled frames, detection
and embedding of each): sampled frames per second end to end, and decoding alone.

Reference in the same run: dlib's classic threshold 0.6 (its author's LFW calibration) is a
row of the table.

    .venv/bin/python benchmarks/bench_faces.py
    .venv/bin/python benchmarks/bench_faces.py --repeat 3 --plot docs/faces-histogram.png
    .venv/bin/python benchmarks/bench_faces.py --video-only --repeat 3
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "src"))

from jikimi.faces import (  # noqa: E402
    REVIEW_THRESHOLD,
    STRICT_THRESHOLD,
    DetectedFace,
    VideoSampling,
    detect_faces,
    detect_video_faces,
)
from jikimi.faces.video import sample_frames  # noqa: E402

FACES = ROOT.parent / "shared" / "data" / "faces"
THRESHOLDS = (0.40, 0.45, 0.50, 0.55, 0.58, 0.60, 0.62, 0.65, 0.70)
STRICT_MARGIN = 0.10
"""Strict threshold: at least this far below the closest different-person pair, on a 0.05
grid (the set is small: a new pair of look-alikes may well come closer)."""
CLASSIC_THRESHOLD = 0.60
"""dlib's own same-person threshold (calibrated by its author on LFW): the review threshold,
when the calibration set shows no false accept at it."""


@dataclass(frozen=True)
class Photo:
    path: Path
    person: str
    faces: list[DetectedFace]
    seconds: float

    @property
    def name(self) -> str:
        return f"{self.person}/{self.path.name}"

    @property
    def subject(self) -> DetectedFace:
        """The largest face (the set's README: the largest face is the subject)."""
        return max(self.faces, key=lambda f: (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))


def photo_paths() -> list[Path]:
    return sorted(FACES.glob("*/*.jpg"))


# --- statistics ------------------------------------------------------------------------------
def _binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 1.0 if k >= n else 0.0
    total = 0.0
    for i in range(k + 1):
        log_term = (math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                    + i * math.log(p) + (n - i) * math.log1p(-p))
        total += math.exp(log_term)
    return min(total, 1.0)


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact two-sided interval for a proportion k/n (bisection on the binomial CDF)."""
    alpha = 1.0 - confidence

    def solve(target: float, kk: int) -> float:
        lo, hi = 0.0, 1.0
        for _ in range(100):
            mid = (lo + hi) / 2
            if _binom_cdf(kk, n, mid) > target:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    lower = 0.0 if k == 0 else solve(1 - alpha / 2, k - 1)
    upper = 1.0 if k == n else solve(alpha / 2, k)
    return lower, upper


# --- embedding and timing --------------------------------------------------------------------
def embed_all(paths: Sequence[Path]) -> list[Photo]:
    out = []
    for path in paths:
        start = time.perf_counter()
        faces = detect_faces(path)
        out.append(Photo(path, path.parent.name, faces, time.perf_counter() - start))
    return out


def _count_faces(path: Path) -> int:
    return len(detect_faces(path))


def throughput(paths: Sequence[Path], repeat: int) -> dict[str, tuple[float, float]]:
    """Best-of-``repeat`` (faces/s, images/s) one thread, two threads, two processes."""
    _count_faces(paths[0])  # load the models in this process
    results: dict[str, tuple[float, float]] = {}
    for label, workers, kind in (("1 thread", 1, "thread"), ("2 threads", 2, "thread"),
                                 ("2 processes", 2, "process")):
        best = math.inf
        faces = 0
        pool_cls = ThreadPoolExecutor if kind == "thread" else ProcessPoolExecutor
        with pool_cls(max_workers=workers) as pool:
            list(pool.map(_count_faces, paths[:workers]))  # warm every worker's models
            for _ in range(repeat):
                start = time.perf_counter()
                faces = sum(pool.map(_count_faces, paths))
                best = min(best, time.perf_counter() - start)
        results[label] = (faces / best, len(paths) / best)
    return results


# --- thresholds ------------------------------------------------------------------------------
def pair_distances(photos: Sequence[Photo]) -> tuple[list[float], list[float], list[str]]:
    same: list[float] = []
    diff: list[float] = []
    notes: list[str] = []
    usable = [p for p in photos if p.faces]
    for a, b in itertools.combinations(usable, 2):
        d = float(np.linalg.norm(a.subject.embedding.astype(np.float64) - b.subject.embedding))
        (same if a.person == b.person else diff).append(d)
        notes.append(f"{a.name} {b.name} {d:.3f} {'same' if a.person == b.person else 'diff'}")
    return same, diff, notes


def pick_thresholds(same: Sequence[float], diff: Sequence[float]) -> tuple[float, float]:
    closest_diff = min(diff)
    strict = math.floor((closest_diff - STRICT_MARGIN) / 0.05 + 1e-9) * 0.05
    review = CLASSIC_THRESHOLD if closest_diff > CLASSIC_THRESHOLD else strict
    return round(strict, 2), round(review, 2)


def rate_table(same: Sequence[float], diff: Sequence[float],
               thresholds: Sequence[float]) -> list[str]:
    rows = [
        "| threshold | TAR (same-person accepted) | TAR 95 % CI | FAR (different-person "
        "accepted) | FAR 95 % upper bound |",
        "|---|---|---|---|---|",
    ]
    for t in thresholds:
        ta = sum(d <= t for d in same)
        fa = sum(d <= t for d in diff)
        tl, th = clopper_pearson(ta, len(same))
        _fl, fh = clopper_pearson(fa, len(diff))
        rows.append(f"| {t:.2f} | {ta}/{len(same)} = {ta / len(same):.1%} | {tl:.1%} – {th:.1%} "
                    f"| {fa}/{len(diff)} = {fa / len(diff):.2%} | ≤ {fh:.2%} |")
    return rows


# --- histogram -------------------------------------------------------------------------------
def draw_histogram(same: Sequence[float], diff: Sequence[float], strict: float, review: float,
                   out: Path) -> None:
    """Share of pairs per 0.025 bin, same-person blue, different-person orange (Pillow only)."""
    width, height = 1000, 560
    left, right, top, bottom = 80, 30, 60, 90
    lo, hi, step = 0.0, 1.2, 0.025
    bins = round((hi - lo) / step)
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img, "RGBA")
    font = ImageFont.load_default(size=15)
    small = ImageFont.load_default(size=13)

    def shares(values: Sequence[float]) -> list[float]:
        counts = [0] * bins
        for v in values:
            counts[min(bins - 1, max(0, int((v - lo) / step)))] += 1
        return [c / len(values) for c in counts]

    s_same, s_diff = shares(same), shares(diff)
    ymax = max(max(s_same), max(s_diff)) * 1.1
    plot_w, plot_h = width - left - right, height - top - bottom

    def x_of(v: float) -> float:
        return left + (v - lo) / (hi - lo) * plot_w

    def y_of(share: float) -> float:
        return top + plot_h - share / ymax * plot_h

    for k in range(6):  # y grid
        share = ymax * k / 5
        y = y_of(share)
        draw.line([(left, y), (width - right, y)], fill=(225, 225, 225))
        draw.text((left - 8, y), f"{share:.0%}", fill="black", font=small, anchor="rm")
    for k in range(int(hi / 0.1) + 1):  # x ticks
        v = k * 0.1
        x = x_of(v)
        draw.line([(x, top + plot_h), (x, top + plot_h + 5)], fill="black")
        draw.text((x, top + plot_h + 8), f"{v:.1f}", fill="black", font=small, anchor="mt")
    for shares_, colour in ((s_diff, (230, 120, 20, 150)), (s_same, (30, 90, 200, 150))):
        for b, share in enumerate(shares_):
            if share:
                draw.rectangle([x_of(lo + b * step) + 1, y_of(share),
                                x_of(lo + (b + 1) * step) - 1, y_of(0)], fill=colour)
    lines = ((strict, "strict", (0, 140, 0), -4, "ra"), (review, "review", (200, 0, 0), 4, "la"))
    for value, label, colour, dx, anchor in lines:
        x = x_of(value)
        draw.line([(x, top), (x, top + plot_h)], fill=colour, width=2)
        draw.text((x + dx, top + 4), f"{label} {value:.2f}", fill=colour, font=small,
                  anchor=anchor)
    draw.rectangle([left, top, width - right, top + plot_h], outline="black")
    draw.text((width / 2, 20), "dlib face embeddings: Euclidean distance between photo pairs "
              f"(same person n={len(same)}, different people n={len(diff)})",
              fill="black", font=font, anchor="mt")
    draw.text((width / 2, height - 45), "distance (share of each group's pairs per 0.025 bin)",
              fill="black", font=font, anchor="mt")
    draw.rectangle([left + 12, top + 30, left + 26, top + 44], fill=(30, 90, 200, 150))
    draw.text((left + 32, top + 37), "same person", fill="black", font=small, anchor="lm")
    draw.rectangle([left + 12, top + 52, left + 26, top + 66], fill=(230, 120, 20, 150))
    draw.text((left + 32, top + 59), "different people", fill="black", font=small, anchor="lm")
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out, optimize=True)


# --- main ------------------------------------------------------------------------------------
# --- video frames ---------------------------------------------------------------------------
def make_clip(path: Path, paths: Sequence[Path], size: tuple[int, int], seconds: int,
              fps: int = 25) -> Path:
    """A generated H.264 clip (x264 veryfast, CRF 23): a moving gradient with one of the
    photos (scaled to 45 % of the frame height, a new person every 2 s) in every frame. The
    photos are modified in memory only; the clip goes to a temporary directory."""
    width, height = size
    faces = []
    for photo in paths:
        with Image.open(photo) as img:
            face = img.convert("RGB")
        face.thumbnail((height * 45 // 100, height * 45 // 100))
        faces.append(face)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s",
           f"{width}x{height}", "-r", str(fps), "-i", "pipe:0", "-c:v", "libx264", "-preset",
           "veryfast", "-pix_fmt", "yuv420p", str(path)]
    with subprocess.Popen(cmd, stdin=subprocess.PIPE) as proc:
        assert proc.stdin is not None
        for k in range(seconds * fps):
            shift = k / (seconds * fps)
            t = ((x / width + y / height) / 2 + shift) % 1.0
            pixels = np.stack([t * 255, (1 - t) * 200, np.full_like(t, 90)], axis=-1)
            frame = Image.fromarray(pixels.astype(np.uint8), "RGB")
            face = faces[(k // (2 * fps)) % len(faces)]
            frame.paste(face, ((width - face.width) * (k % fps) // fps, height // 4))
            proc.stdin.write(frame.tobytes())
        proc.stdin.close()
    if proc.returncode:
        sys.exit(f"ffmpeg failed to encode {path}")
    return path


def _video_run(path: Path) -> tuple[int, int]:
    found = detect_video_faces(path)
    return found.frames, len(found.faces)


def _decode_only(path: Path) -> int:
    return sum(1 for _ in sample_frames(path))


def video_throughput(clips: Sequence[Path], repeat: int) -> list[tuple[str, str, float, float,
                                                                        float, float]]:
    """Per clip: (clip, run, sampled frames/s end to end, faces/s, decode-only frames/s,
    faces per frame), best of ``repeat``; then two clips at once in two processes."""
    _video_run(clips[0])  # load the models
    rows = []
    for clip in clips:
        best, frames, faces = math.inf, 0, 0
        for _ in range(repeat):
            start = time.perf_counter()
            frames, faces = _video_run(clip)
            best = min(best, time.perf_counter() - start)
        decode = min(_timed(_decode_only, clip) for _ in range(repeat))
        rows.append((clip.stem, "1 process", frames / best, faces / best, frames / decode,
                     faces / frames))
    with ProcessPoolExecutor(max_workers=2) as pool:
        list(pool.map(_video_run, clips[:2]))  # warm both workers
        best, frames, faces = math.inf, 0, 0
        for _ in range(repeat):
            start = time.perf_counter()
            results = list(pool.map(_video_run, [clips[-1], clips[-1]]))
            best = min(best, time.perf_counter() - start)
            frames, faces = sum(r[0] for r in results), sum(r[1] for r in results)
        rows.append((clips[-1].stem, "2 processes, 2 clips", frames / best, faces / best,
                     math.nan, faces / frames))
    return rows


def _timed(fn: Callable[[Path], object], arg: Path) -> float:
    start = time.perf_counter()
    fn(arg)
    return time.perf_counter() - start


def video_report(paths: Sequence[Path], repeat: int, seconds: int) -> None:
    people = [sorted((FACES / person).glob("*.jpg"))[0]
              for person in sorted({p.parent.name for p in paths})]
    with tempfile.TemporaryDirectory(prefix="bench-faces-video-") as tmp:
        clips = [make_clip(Path(tmp) / f"{w}x{h}.mp4", people, (w, h), seconds)
                 for w, h in ((640, 360), (1280, 720), (1920, 1080))]
        sampling = VideoSampling()
        print(f"\nvideo: {seconds} s clips at 25 fps (H.264), one face in every frame; "
              f"sampled {1 / sampling.seconds_per_frame:g} frame/s (at most "
              f"{sampling.max_frames}), scaled to <= {sampling.long_side} px; best of {repeat}")
        print("| clip | run | sampled frames/s (decode+detect+embed) | faces/s "
              "| frames/s, decode only | faces per frame |\n|---|---|---|---|---|---|")
        for clip, run, fps, faces, decode, per in video_throughput(clips, repeat):
            decode_text = "" if math.isnan(decode) else f"{decode:.1f}"
            print(f"| {clip} | {run} | {fps:.1f} | {faces:.1f} | {decode_text} | {per:.2f} |")
    # the reference, in the same run: the still photos of the set, one process
    best = min(_timed(lambda _: [detect_faces(p) for p in paths], paths[0])
               for _ in range(repeat))
    faces = sum(len(detect_faces(p)) for p in paths)
    print(f"| reference: the {len(paths)} photos (stills, 330-2500 px) | 1 process | "
          f"{len(paths) / best:.1f} | {faces / best:.1f} | | {faces / len(paths):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timing runs (best is reported)")
    parser.add_argument("--plot", type=Path, default=ROOT / "docs" / "faces-histogram.png")
    parser.add_argument("--pairs", action="store_true", help="print every pair's distance")
    parser.add_argument("--video-only", action="store_true",
                        help="only the video frames benchmark")
    parser.add_argument("--video-seconds", type=int, default=20, help="length of each clip")
    args = parser.parse_args()

    paths = photo_paths()
    if not paths:
        sys.exit(f"no photos under {FACES}")
    if args.video_only:
        video_report(paths, args.repeat, args.video_seconds)
        return
    photos = embed_all(paths)
    print(f"{len(photos)} photos of {len({p.person for p in photos})} people from {FACES}")
    odd = [p for p in photos if len(p.faces) != 1]
    for p in odd:
        boxes = ", ".join(str(f.box) for f in p.faces)
        print(f"  {p.name}: {len(p.faces)} faces {boxes} (largest taken as the subject)")
    if not odd:
        print("  every photo has exactly one face")

    same, diff, notes = pair_distances(photos)
    if args.pairs:
        print("\n".join(notes))
    strict, review = pick_thresholds(same, diff)
    print(f"\nsame-person pairs: {len(same)}, min {min(same):.3f} median "
          f"{statistics.median(same):.3f} max {max(same):.3f}")
    print(f"different-person pairs: {len(diff)}, min {min(diff):.3f} median "
          f"{statistics.median(diff):.3f} max {max(diff):.3f}")
    table = sorted({*THRESHOLDS, strict, review})
    print()
    print("\n".join(rate_table(same, diff, table)))
    print(f"\nstrict threshold {strict:.2f} (closest different-person pair "
          f"{min(diff):.3f} minus {STRICT_MARGIN}, on a 0.05 grid); review threshold "
          f"{review:.2f} (dlib's classic {CLASSIC_THRESHOLD}, no false accept on this set)")
    print(f"jikimi.faces constants: STRICT_THRESHOLD {STRICT_THRESHOLD}, REVIEW_THRESHOLD "
          f"{REVIEW_THRESHOLD}" + ("" if (strict, review) == (STRICT_THRESHOLD, REVIEW_THRESHOLD)
                                   else "  <-- DIFFERENT from this run's pick"))
    draw_histogram(same, diff, strict, review, args.plot)
    print(f"histogram: {args.plot}")

    print(f"\nthroughput (detection + embedding, decode included), {os.cpu_count()} CPUs, "
          f"best of {args.repeat}:")
    print("| run | faces/s | images/s | ms/face |\n|---|---|---|---|")
    for label, (fps, ips) in throughput(paths, args.repeat).items():
        print(f"| {label} | {fps:.1f} | {ips:.1f} | {1000 / fps:.0f} |")
    per_photo = [p.seconds for p in photos[1:]]  # the first one includes loading the models
    print(f"single photo latency (first run, models loaded): median "
          f"{statistics.median(per_photo) * 1000:.0f} ms, max {max(per_photo) * 1000:.0f} ms")
    video_report(paths, args.repeat, args.video_seconds)


if __name__ == "__main__":
    main()
