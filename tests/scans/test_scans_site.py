"""A small site on 127.0.0.1 with pages, an RSS feed, an Atom feed, images and videos:
crawl and feed scans find exactly the transformed copies of registered media, and the
worker re-scans on schedule."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from tests.conftest import SHARED_DATA
from tests.foundation.test_cli import jikimi
from tests.scans.conftest import Media, Site
from tests.scans.test_scans import add_source, scan, show

VIDEOS = SHARED_DATA / "vpdq-reference"


@pytest.fixture(scope="session")
def reencoded_video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("video") / "copy.mp4"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i",
                    str(VIDEOS / "pattern-sd-grey-bar.mp4"), "-vf", "scale=320:-2", "-crf",
                    "32", str(out)], check=True, timeout=120)
    return out.read_bytes()


@pytest.fixture
def rich_site(site: Site, media: Media, reencoded_video: bytes) -> Site:
    files = site.files
    files["/video/copy.mp4"] = ("video/mp4", reencoded_video)
    files["/video/other.mp4"] = ("video/mp4", (VIDEOS / "doorknob-hd-no-bar.mp4").read_bytes())
    files["/"] = ("text/html", b'<html><head><meta property="og:image" '
                  b'content="/media/copy-recompressed.jpg"></head><body>'
                  b'<a href="/page2.html">next</a><a href="/video/copy.mp4">clip</a>'
                  b'<picture><source srcset="/media/other-101.jpg 1x, /media/copy-mirrored.png'
                  b' 2x"></picture></body></html>')
    files["/page2.html"] = ("text/html", b'<html><body><video src="/video/other.mp4"></video>'
                            b'<img srcset="/media/other-102.jpg 300w"><p>broken <b>html'
                            b'<a href="/page3.html">deeper</a></body>')
    files["/page3.html"] = ("text/html", b'<img src="/media/copy-smaller.jpg">')
    rss = (f'<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">'
           f"<channel><title>t</title><item><title>a</title>"
           f'<enclosure url="{site.url}/media/copy-smaller.jpg" type="image/jpeg" length="1"/>'
           f"</item><item><title>b</title>"
           f'<media:content url="{site.url}/media/other-103.jpg" medium="image"/></item>'
           f"</channel></rss>")
    files["/feed.rss"] = ("application/rss+xml", rss.encode())
    atom = (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>t</title><id>urn:x</id><updated>2026-01-01T00:00:00Z</updated>"
            f"<entry><title>c</title><id>urn:c</id><updated>2026-01-01T00:00:00Z</updated>"
            f'<content type="html">&lt;img src="{site.url}/media/copy-mirrored.png"&gt;'
            f"</content></entry><entry><title>d</title><id>urn:d</id>"
            f"<updated>2026-01-01T00:00:00Z</updated>"
            f'<link rel="enclosure" href="{site.url}/video/copy.mp4" type="video/mp4"/>'
            f"</entry></feed>")
    files["/feed.atom"] = ("application/atom+xml", atom.encode())
    return site


@pytest.fixture
def video_install(install: dict[str, str], tmp_path: Path) -> dict[str, str]:
    registered = tmp_path / "registered-video"
    registered.mkdir()
    (registered / "victim.mp4").write_bytes((VIDEOS / "pattern-sd-grey-bar.mp4").read_bytes())
    jikimi(install, "banks", "add", "victims", str(registered))
    return install


def names(detail: dict) -> set[str]:  # type: ignore[type-arg]
    return {i["locator"].rsplit("/", 1)[-1] for i in detail["items"] if i["matches"]}


def test_crawl_finds_exactly_the_copies(video_install: dict[str, str], rich_site: Site) -> None:
    source = add_source(video_install, "crawl", "--url", rich_site.url + "/", "--config",
                        json.dumps({"max_depth": 2}))
    detail = show(video_install, scan(video_install, source)["scan_id"])
    assert names(detail) == {"copy-recompressed.jpg", "copy-mirrored.png", "copy-smaller.jpg",
                             "copy.mp4"}
    signals = {m["signal_type"] for i in detail["items"] for m in i["matches"]}
    assert "vpdq" in signals
    scanned = {i["locator"].rsplit("/", 1)[-1] for i in detail["items"]}
    assert {"other.mp4", "other-101.jpg", "other-102.jpg"} <= scanned


def test_rss_and_atom_feeds(video_install: dict[str, str], rich_site: Site) -> None:
    source = add_source(video_install, "feed", "--url", rich_site.url + "/feed.rss", "--url",
                        rich_site.url + "/feed.atom")
    detail = show(video_install, scan(video_install, source)["scan_id"])
    assert names(detail) == {"copy-smaller.jpg", "copy-mirrored.png", "copy.mp4"}
    assert {i["locator"].rsplit("/", 1)[-1] for i in detail["items"]} >= {"other-103.jpg"}


def test_worker_rescans_due_sources(install: dict[str, str], site: Site) -> None:
    source = add_source(install, "urls", "--url", site.url + "/media/copy-smaller.jpg",
                        "--every-minutes", "60")
    out = jikimi(install, "worker", "--once").stdout
    assert f"of source {source}: 1 items, 1 matched" in out
    # not due again for an hour
    assert "of source" not in jikimi(install, "worker", "--once").stdout
    listed = json.loads(jikimi(install, "scans", "list", "--format", "json").stdout)
    assert [s["status"] for s in listed] == ["done"]
