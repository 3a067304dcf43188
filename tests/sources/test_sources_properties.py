"""Property tests of the pure parts: URL normalisation, srcset parsing, HTML scanning;
and configuration validation."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jikimi.sources import SOURCE_TYPES, SourceConfigError, build_source
from jikimi.sources.pages import normalize_url, parse_srcset, scan_html

url_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
hosts = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z]{2,5}){0,2}", fullmatch=True)
paths = st.lists(st.text(url_chars, max_size=8), max_size=4).map("/".join)


@given(st.sampled_from(["http", "HTTP", "https"]), hosts, st.none() | st.integers(1, 65535),
       paths, st.text(url_chars, max_size=10), st.text(url_chars, max_size=5))
def test_normalize_is_idempotent_and_canonical(
    scheme: str, host: str, port: int | None, path: str, query: str, frag: str
) -> None:
    raw = f"{scheme}://{host}{':' + str(port) if port else ''}/{path}?{query}#{frag}"
    url = normalize_url(raw)
    if url is None:
        return
    assert normalize_url(url) == url
    assert url.startswith(("http://", "https://")) and "#" not in url
    assert not any(c.isspace() for c in url) and url.isascii()
    assert not url.startswith(("http://" + host.upper() + ":80/", "https://" + host + ":443/"))


@given(st.text(url_chars, max_size=30), st.text(url_chars, max_size=30))
def test_normalize_never_raises_and_resolves_relative(base_path: str, ref: str) -> None:
    url = normalize_url(ref, "http://example.org/" + base_path)
    assert url is None or (url.startswith(("http://", "https://")) and normalize_url(url) == url)


def test_normalize_examples() -> None:
    assert normalize_url("HTTP://Example.ORG:80/a/./b/../c?x=1 2#frag") == (
        "http://example.org/a/c?x=1%202")
    assert normalize_url("../img.png", "https://h.org:443/a/b/page.html") == (
        "https://h.org/a/img.png")
    assert normalize_url("//cdn.org/x.jpg", "https://h.org/") == "https://cdn.org/x.jpg"
    assert normalize_url(" \n/x\t.png ", "http://h.org/") == "http://h.org/x.png"
    for ref in ["javascript:alert(1)", "data:image/png;base64,AA", "mailto:a@b", "", "   ",
                "http://h.org:99999/", "ftp://h.org/"]:
        assert normalize_url(ref, "http://h.org/") is None
    assert normalize_url("http://") is None
    assert normalize_url("http://[::1]:8080/x") == "http://[::1]:8080/x"
    assert normalize_url("http://bücher.example/") == "http://xn--bcher-kva.example/"


srcset_urls = st.from_regex(r"[a-zA-Z0-9/_.?=&-][a-zA-Z0-9/_.?=&,-]*[a-zA-Z0-9/_.?=&-]",
                            fullmatch=True)
descriptors = st.sampled_from(["", " 1x", " 2x", " 640w", " 1.5x", "  100w  "])


@given(st.lists(st.tuples(srcset_urls, descriptors, st.booleans()), min_size=1, max_size=5))
def test_srcset_round_trip(candidates: list[tuple[str, str, bool]]) -> None:
    parts = []
    for url, desc, tight in candidates:
        # after a bare URL a comma must be followed by whitespace to end it (WHATWG)
        parts.append(url + desc + ("," if tight and desc.strip() else ", \n"))
    assert parse_srcset("".join(parts)) == [url for url, _, _ in candidates]


def test_srcset_examples() -> None:
    assert parse_srcset("a.png 1x, b.png 2x") == ["a.png", "b.png"]
    assert parse_srcset("a.png,b.png") == ["a.png,b.png"]  # WHATWG: commas inside a URL
    assert parse_srcset("a.png, b.png") == ["a.png", "b.png"]
    assert parse_srcset("img.jpg?w=1,2 100w, x.jpg") == ["img.jpg?w=1,2", "x.jpg"]
    assert parse_srcset("a.png 1x (odd, descriptor), b.png") == ["a.png", "b.png"]
    assert parse_srcset(" , ,, ") == []
    assert parse_srcset("a.png,, b.png 2x") == ["a.png", "b.png"]


@given(st.text(max_size=300))
def test_scan_html_never_raises(text: str) -> None:
    scan = scan_html(text, "http://h.org/p/")
    assert all(ref.url.startswith("http") for ref in scan.media)


@pytest.mark.parametrize(("source_type", "config", "message"), [
    ("nope", {}, "Unknown source type"),
    ("urls", {}, "'urls' is required"),
    ("urls", {"urls": []}, "at least one"),
    ("urls", {"urls": "http://x.org/"}, "must be a list"),
    ("urls", {"urls": ["ftp://x.org/"]}, "not an http or https URL"),
    ("urls", {"urls": ["http://x.org/"], "extra": 1}, "unknown configuration key"),
    ("crawl", {"start_urls": ["http://x.org/"], "max_depth": "2"}, "must be an integer"),
    ("crawl", {"start_urls": ["http://x.org/"], "max_depth": True}, "not a boolean"),
    ("crawl", {"start_urls": ["http://x.org/"], "max_depth": -1}, "at least 0"),
    ("feed", {"urls": ["http://x.org/f"], "http": {"respect_robots": "no"}}, "true or false"),
    ("feed", {"urls": ["http://x.org/f"], "http": {"total_timeout": 0}}, "must be positive"),
    ("archive", [], "must be a JSON object"),
])
def test_config_errors(source_type: str, config: Any, message: str) -> None:
    with pytest.raises(SourceConfigError, match=message) as info:
        build_source(source_type, config)
    assert info.value.code == "invalid_source_config"


def test_every_type_round_trips() -> None:
    configs = {"urls": {"urls": ["http://x.org/a.png"]},
               "crawl": {"start_urls": ["http://x.org/"], "max_depth": 1,
                         "http": {"respect_robots": False, "min_host_interval": 2.5}},
               "feed": {"urls": ["http://x.org/feed"]},
               "telegram": {"path": "/tmp/export"}, "archive": {"path": "/tmp/seized.zip"}}
    assert set(configs) == set(SOURCE_TYPES)
    for name, config in configs.items():
        with build_source(name, config) as source:
            assert source.type == name
            again = build_source(name, source.to_config())
            assert again.to_config() == source.to_config()
            again.close()
    crawl = build_source("crawl", configs["crawl"])
    assert crawl.to_config()["http"] == {"respect_robots": False, "min_host_interval": 2.5}
