"""Consented face search through the CLI: enrol one person, then search and scan a folder of
her other photos, the same photos on unrelated backgrounds, a generated clip with her face in
some frames, and other people's photos and clip; the face matches wait in the review queue."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from faces_media import face_clip, mean_pixel_model
from PIL import Image
from sqlalchemy import text
from tests.conftest import SHARED_DATA
from tests.foundation.test_cli import jikimi
from tests.scans.conftest import scene

from jikimi.core.database import make_engine

FACES = SHARED_DATA / "faces"
PERSON = "obama"


@pytest.fixture
def case_env(tmp_path: Path, database_url: str) -> tuple[dict[str, str], str]:
    env = {"JIKIMI_DATA_DIR": str(tmp_path / "inst"), "JIKIMI_DATABASE_URL": database_url}
    jikimi(env, "db", "upgrade")
    jikimi(env, "centres", "add", "센터")
    code = json.loads(jikimi(env, "cases", "open", "--channel", "hotline", "--format",
                             "json").stdout)["code"]
    return env, code


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("found")
    for photo in sorted((FACES / PERSON).glob("*.jpg"))[1:]:
        (out / f"{PERSON}-{photo.name}").write_bytes(photo.read_bytes())
        with Image.open(photo) as img:
            canvas = Image.open(io.BytesIO(_scene_png())).convert("RGB")
            small = img.convert("RGB")
            small.thumbnail((700, 700))
            canvas.paste(small, (300, 200))
            canvas.save(out / f"{PERSON}-composite-{photo.stem}.jpg", quality=90)
    for person in sorted(p for p in FACES.iterdir() if p.is_dir() and p.name != PERSON)[:6]:
        first = sorted(person.glob("*.jpg"))[0]
        (out / f"other-{person.name}.jpg").write_bytes(first.read_bytes())
    # videos: her face in some frames of a generated clip, and another person's
    face_clip(out / f"{PERSON}-clip.mp4", FACES / PERSON / "04.jpg")
    face_clip(out / "other-clip.mp4", FACES / "rose_leslie" / "02.jpg")
    return out


def _scene_png() -> bytes:
    out = io.BytesIO()
    scene(77, (1600, 1200)).save(out, "PNG")
    return out.getvalue()


def _search(env: dict[str, str], folder: Path, threshold: float) -> dict[str, dict[str, Any]]:
    """``jikimi faces search --format json``: each file's line, by file name."""
    out = jikimi(env, "faces", "search", str(folder), "--format", "json", "--threshold",
                 str(threshold)).stdout
    records = [json.loads(line) for line in out.splitlines()]
    return {Path(r["path"]).name: r for r in records}


def _matched(records: dict[str, dict[str, Any]]) -> set[str]:
    return {name for name, r in records.items() if any(f["matches"] for f in r["faces"])}


def test_enrol_search_scan_and_withdraw(case_env: tuple[dict[str, str], str],
                                       folder: Path) -> None:
    env, code = case_env
    reference = sorted((FACES / PERSON).glob("*.jpg"))[0]
    refused = jikimi(env, "faces", "enroll", code, str(reference), check=False)
    assert refused.returncode == 1 and "face-search consent" in refused.stderr
    jikimi(env, "cases", "consent", code, "face_search")
    enrolled = jikimi(env, "faces", "enroll", code, str(reference)).stdout
    assert "1 face(s) enrolled" in enrolled
    expected = {p.name for p in folder.iterdir() if p.name.startswith(PERSON)}
    assert len(expected) == 7
    records = _search(env, folder, 0.55)
    assert _matched(records) == expected  # the strict threshold
    # a video: one line, the faces of the sampled frames with their times
    clip = records[f"{PERSON}-clip.mp4"]
    assert clip["kind"] == "video" and clip["frames"] == 3
    assert [f["time"] for f in clip["faces"]] == [1.0, 2.0]
    assert all(m["case"] == code and m["distance"] < 0.55 for f in clip["faces"]
               for m in f["matches"])
    assert clip["synthetic"] is None and not clip["detector"]["configured"]
    # the database holds the embedding only encrypted
    from jikimi.faces import detect_faces, embedding_value

    clear = embedding_value(detect_faces(reference.read_bytes())[0].embedding)
    engine = make_engine(env["JIKIMI_DATABASE_URL"])
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT value FROM bank_entries WHERE signal_type = 'face'")
                              ).scalar_one()
    engine.dispose()
    assert stored != clear and clear[:40] not in stored
    # scans find the same files (the folder is a sibling of tmp_path: add it to the roots)
    env = {**env, "JIKIMI_IMPORT_ROOTS":
           os.environ.get("JIKIMI_IMPORT_ROOTS", "") + os.pathsep + str(folder)}
    source = json.loads(jikimi(env, "sources", "add", "archive", "--name", "found", "--path",
                               str(folder), "--format", "json").stdout)["id"]
    scan_id = json.loads(jikimi(env, "scan", str(source), "--format", "json").stdout)["scan_id"]
    detail = json.loads(jikimi(env, "scans", "show", str(scan_id), "--format", "json").stdout)
    strict = {Path(i["locator"]).name for i in detail["items"]
              if any(m["signal_type"] == "face" and m["distance"] <= 550 for m in i["matches"])}
    assert strict == expected
    assert all(m["case_code"] == code for i in detail["items"] for m in i["matches"])
    (video,) = [i for i in detail["items"] if i["locator"].endswith("-clip.mp4")
                and i["matches"]]
    assert {m["variant"] for m in video["matches"]} <= {"frame@1.000s", "frame@2.000s"}
    # a face match is never acted on: it waits in the review queue, labelled for a person
    queue = json.loads(jikimi(env, "review", "list", "--signal", "face", "--format",
                              "json").stdout)
    assert {Path(e["locator"]).name for e in queue} == expected
    assert {e["label"] for e in queue} == {"possible deepfake or new material"}
    assert {e["status"] for e in queue} == {"pending"}
    # withdrawal removes the embeddings at once
    jikimi(env, "cases", "consent", code, "face_search", "--withdraw")
    assert _matched(_search(env, folder, 0.6)) == set()


def test_bad_inputs(case_env: tuple[dict[str, str], str], tmp_path: Path) -> None:
    env, code = case_env
    jikimi(env, "cases", "consent", code, "face_search")
    landscape = tmp_path / "landscape.png"
    scene(3, (640, 480)).save(landscape)
    no_face = jikimi(env, "faces", "enroll", code, str(landscape), check=False)
    assert no_face.returncode == 1 and "0 faces" in no_face.stderr
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"<html>")
    clip = face_clip(tmp_path / "clip.mp4", None, seconds=1.0)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(clip.read_bytes()[:2000])
    model = mean_pixel_model(tmp_path / "mean.onnx")
    env_model = {**env, "JIKIMI_SYNTHETIC_MEDIA_MODEL": str(model)}
    out = jikimi(env_model, "faces", "search", str(corrupt), str(landscape), str(clip),
                 str(broken), "--format", "json", check=False)
    assert out.returncode == 1
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert lines[0]["error"]["code"] == "unsupported_media"
    assert lines[1]["faces"] == [] and lines[2]["faces"] == [] and lines[2]["frames"] == 1
    assert lines[3]["error"]["code"] == "corrupt_media"
    # the configured model's score comes with the plain statement that it is unevaluated
    for line in lines[1:3]:
        assert 0 < line["synthetic"]["score"] < 1 and line["synthetic"]["evaluated"] is False
        assert "unevaluated model" in line["synthetic"]["note"]
    model.write_bytes(b"not a model")
    table = jikimi(env_model, "faces", "search", str(landscape)).stdout
    assert "cannot be used" in table and "no face" in table
