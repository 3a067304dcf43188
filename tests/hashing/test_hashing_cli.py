"""``jikimi hash`` through Typer's CliRunner, on an app built here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from hashing_media import VPDQ_REFERENCE, encode, scene
from typer.testing import CliRunner

from jikimi.hashing.commands import TSV_COLUMNS, register


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """Test app."""

    return app


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.jpg").write_bytes(encode(scene(1), "JPEG"))
    (folder / "sub" / "b.png").write_bytes(encode(scene(2), "PNG"))
    (folder / "broken.jpg").write_text("<html>not an image</html>")
    return folder


def test_json_lines_for_images_and_errors(app: typer.Typer, files: Path) -> None:
    result = CliRunner().invoke(app, ["hash", str(files / "a.jpg"), str(files / "broken.jpg")])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    ok, bad = lines
    assert ok["path"].endswith("a.jpg") and ok["kind"] == "image"
    assert len(ok["pdq"]) == 64 and isinstance(ok["quality"], int)
    assert len(ok["sha256"]) == 64 and len(ok["md5"]) == 32
    assert len(ok["dihedral"]) == 8 and ok["dihedral"][0] == ok["pdq"]
    assert bad == {
        "path": str(files / "broken.jpg"),
        "error": {"code": "unsupported_media", "message": bad["error"]["message"]},
    }
    assert "HTML" in bad["error"]["message"]


def test_all_good_exits_zero(app: typer.Typer, files: Path) -> None:
    result = CliRunner().invoke(app, ["hash", str(files / "a.jpg"), str(files / "sub")])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2


def test_directory_is_walked_in_order(app: typer.Typer, files: Path) -> None:
    result = CliRunner().invoke(app, ["hash", str(files)])
    paths = [json.loads(line)["path"] for line in result.stdout.splitlines()]
    assert [Path(p).name for p in paths] == ["a.jpg", "broken.jpg", "b.png"]
    assert result.exit_code == 1


def test_missing_file(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["hash", str(tmp_path / "nope.jpg")])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"] == "not_found"


def test_tsv(app: typer.Typer, files: Path) -> None:
    result = CliRunner().invoke(app, ["hash", "--format", "tsv", str(files)])
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows[0] == list(TSV_COLUMNS)
    assert all(len(r) == len(TSV_COLUMNS) for r in rows)
    image = next(r for r in rows if r[0].endswith("a.jpg"))
    assert image[1] == "image" and len(image[6].split(",")) == 8
    broken = next(r for r in rows if r[0].endswith("broken.jpg"))
    assert broken[9] == "unsupported_media"


def test_video_json_and_seconds_per_hash(app: typer.Typer) -> None:
    video = VPDQ_REFERENCE / "pattern-sd-grey-bar.mp4"
    if not video.exists():
        pytest.skip("reference data not found")
    result = CliRunner().invoke(app, ["hash", "--seconds-per-hash", "2", str(video)])
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout)
    assert line["kind"] == "video"
    assert [f["timestamp"] for f in line["vpdq"]] == [0.0, 2.0, 4.0, 6.0]
    assert set(line["vpdq"][0]) == {"frame", "timestamp", "quality", "pdq"}
    tsv = CliRunner().invoke(app, ["hash", "--format", "tsv", str(video)])
    assert len(tsv.stdout.splitlines()) == 1 + 7  # header + one row per frame at 1 fps


def test_variants_option(app: typer.Typer, files: Path) -> None:
    result = CliRunner().invoke(app, ["hash", "--variants", str(files / "a.jpg")])
    names = [v["name"] for v in json.loads(result.stdout)["variants"]]
    assert names[:8] == ["original", "rot90", "rot180", "rot270", "flip_v", "flip_h",
                         "transpose", "transverse"]  # fmt: skip
    assert names[-4:] == ["crop5", "crop10", "crop15", "crop20"]


def test_negative_seconds_per_hash_is_a_usage_error(app: typer.Typer, files: Path) -> None:
    result = CliRunner().invoke(app, ["hash", "--seconds-per-hash", "-1", str(files / "a.jpg")])
    assert result.exit_code == 2
