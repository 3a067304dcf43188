"""Folders and ZIPs of seized media: nesting, zip bombs, traversal, symlinks, limits."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest
from tests.sources.conftest import make_jpeg, make_png

from jikimi.sources import (
    ArchiveError,
    ArchiveLimits,
    ArchiveSource,
    ItemError,
    SourceItem,
    build_source,
)


def zip_bytes(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out.getvalue()


def run(source: ArchiveSource) -> tuple[dict[str, SourceItem], dict[str, ItemError]]:
    entries = list(source.enumerate())
    items = {e.key: e for e in entries if isinstance(e, SourceItem)}
    errors = {e.key: e for e in entries if isinstance(e, ItemError)}
    assert len(items) + len(errors) == len(entries)
    return items, errors


def test_folder_with_nested_zips_and_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "seized"
    (root / "sub").mkdir(parents=True)
    (root / "a.png").write_bytes(make_png(1))
    (root / "sub" / "b!.jpg").write_bytes(make_jpeg(2))
    (root / "notes.txt").write_text("not media")
    inner = zip_bytes({"deep/c.png": make_png(3), "readme.txt": b"text"})
    (root / "sub" / "outer.zip").write_bytes(
        zip_bytes({"d.jpg": make_jpeg(4), "inner.zip": inner}, zipfile.ZIP_STORED))
    (root / "link.png").symlink_to(root / "a.png")
    (root / "linkdir").symlink_to(tmp_path)
    source = ArchiveSource(root)
    items, errors = run(source)
    outer = f"{root}/sub/outer.zip"
    assert set(items) == {f"{root}/a.png", f"{root}/sub/b%21.jpg", f"{outer}!d.jpg",
                          f"{outer}!inner.zip!deep/c.png"}
    assert {e.code for e in errors.values()} == {"symlink"} and len(errors) == 2
    nested = items[f"{outer}!inner.zip!deep/c.png"]
    assert nested.kind_hint == "image" and nested.context["entry"] == "deep/c.png"
    assert nested.context["depth"] == 2
    assert source.fetch(nested) == make_png(3)
    assert source.fetch(items[f"{root}/sub/b%21.jpg"]) == make_jpeg(2)
    assert source.fetch(items[f"{outer}!d.jpg"]) == make_jpeg(4)
    assert run(ArchiveSource(root, skip_non_media=False))[0].keys() >= {
        f"{root}/notes.txt", f"{outer}!inner.zip!readme.txt"}
    with pytest.raises(ArchiveError) as info:
        source.fetch(SourceItem("x", f"{root}/link.png"))
    assert info.value.code == "symlink"
    with pytest.raises(ArchiveError):
        source.fetch(SourceItem("x", f"{tmp_path}/elsewhere.png"))


def test_zip_bomb_and_sizes(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    path.write_bytes(zip_bytes({"ok.png": make_png(1), "zeros.jpg": b"\xff\xd8\xff" +
                                bytes(40 * 1024 * 1024)}))
    source = ArchiveSource(path)
    items, errors = run(source)
    assert set(items) == {f"{path}!ok.png"}
    bomb = errors[f"{path}!zeros.jpg"]
    assert bomb.code == "zip_bomb" and "expands" in bomb.reason
    small = ArchiveSource(path, limits=ArchiveLimits(max_entry_bytes=1024))
    _, errs = run(small)
    assert {e.code for e in errs.values()} == {"too_large"}
    total = ArchiveSource(path, limits=ArchiveLimits(max_total_bytes=10, max_ratio=10**9))
    _, errs = run(total)
    assert [e.code for e in errs.values()] == ["zip_bomb"]
    with pytest.raises(ArchiveError) as info:
        source.fetch(SourceItem("k", f"{path}!zeros.jpg"))
    assert info.value.code == "zip_bomb"


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_hostile_entry_names(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name in ["../evil.png", "a/../../evil2.png", "/abs.png", "C:\\win.png",
                     "..\\back.png", "fine.png"]:
            zf.writestr(name, make_png(5))
        link = zipfile.ZipInfo("link.png")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("fine.png", make_png(6))  # a duplicate name
    path = tmp_path / "names.zip"
    path.write_bytes(out.getvalue())
    items, errors = run(ArchiveSource(path))
    assert list(items) == [f"{path}!fine.png"]
    codes = sorted(e.code for e in errors.values())
    assert codes == ["duplicate_entry", "path_traversal", "path_traversal", "path_traversal",
                     "path_traversal", "path_traversal", "symlink"]
    assert not (tmp_path / "evil.png").exists()


def test_nesting_depth_and_entry_count(tmp_path: Path) -> None:
    data = zip_bytes({"core.png": make_png(7)})
    for level in range(4):
        data = zip_bytes({f"level{level}.zip": data})
    path = tmp_path / "deep.zip"
    path.write_bytes(data)  # 5 levels of ZIP
    items, errors = run(ArchiveSource(path, limits=ArchiveLimits(max_depth=3)))
    assert not items and [e.code for e in errors.values()] == ["too_deep"]
    items, errors = run(ArchiveSource(path, limits=ArchiveLimits(max_depth=5)))
    (item,) = items.values()
    assert item.key.count("!") == 5 and not errors
    assert ArchiveSource(path, limits=ArchiveLimits(max_depth=5)).fetch(item) == make_png(7)
    many = tmp_path / "many.zip"
    many.write_bytes(zip_bytes({f"{i}.png": make_png(1) for i in range(10)}))
    items, errors = run(ArchiveSource(many, limits=ArchiveLimits(max_entries=4)))
    assert len(items) == 4 and [e.code for e in errors.values()] == ["too_many_entries"]


def test_corrupt_and_missing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04" + b"garbage" * 10)
    _, errors = run(ArchiveSource(bad))
    assert [e.code for e in errors.values()] == ["corrupt_archive"]
    _, errors = run(ArchiveSource(tmp_path / "missing"))
    assert [e.code for e in errors.values()] == ["not_found"]


def test_config(tmp_path: Path) -> None:
    source = build_source("archive", {"path": str(tmp_path), "limits": {"max_depth": 2}})
    assert isinstance(source, ArchiveSource) and source.limits.max_depth == 2
    assert build_source("archive", source.to_config()).to_config() == source.to_config()
    from jikimi.sources import SourceConfigError

    with pytest.raises(SourceConfigError, match="unknown configuration key"):
        build_source("archive", {"path": "x", "limits": {"max_dpeth": 2}})
    with pytest.raises(SourceConfigError, match="at least 1"):
        build_source("archive", {"path": "x", "limits": {"max_depth": 0}})
