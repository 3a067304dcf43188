"""URL-list, crawl and feed sources against the test site."""

from __future__ import annotations

from tests.sources.conftest import FAST, IMAGES, MP4, Site

from jikimi.errors import UnsupportedMedia
from jikimi.sources import (
    CrawlSource,
    FeedSource,
    FetchError,
    HttpClient,
    ItemError,
    SourceItem,
    UrlListSource,
    build_source,
    sniff_media,
)


def split(
    entries: list[SourceItem | ItemError],
) -> tuple[dict[str, SourceItem], dict[str, ItemError]]:
    items = {e.key: e for e in entries if isinstance(e, SourceItem)}
    errors = {e.key: e for e in entries if isinstance(e, ItemError)}
    assert len(items) + len(errors) == len(entries), "keys must be unique"
    return items, errors


INDEX_MEDIA = {
    "/img/og.png": ("image", "og:image"), "/video/og.mp4": ("video", "og:video"),
    "/img/a.png": ("image", "img src"), "/img/b.png": ("image", "img src"),
    "/img/b-1x.png": ("image", "img srcset"), "/img/b,2x.png": ("image", "img srcset"),
    "/img/p.webp": ("image", "picture source"), "/img/p.png": ("image", "img src"),
    "/img/poster.png": ("image", "video poster"), "/video/clip.mp4": ("video", "video source"),
    "/img/linked.jpg": ("image", "a href"),
}


def test_url_list_page_and_media(site: Site, client: HttpClient) -> None:
    source = UrlListSource([site.url("/index.html"), site.url("/img/c.png"),
                            site.url("/redirect-to-image"), site.url("/nope")], client=client)
    items, errors = split(list(source.enumerate()))
    expected = {site.url(p) for p in INDEX_MEDIA} | {site.url("/img/c.png")}
    assert set(items) == expected  # a.png appears once although linked and redirected to
    for path, (kind, how) in INDEX_MEDIA.items():
        item = items[site.url(path)]
        assert item.kind_hint == kind and item.context["found_as"] == how
        assert item.context["page_url"] == site.url("/index.html")
        assert item.context["page_title"] == "Test site"
    assert items[site.url("/img/c.png")].kind_hint == "image"
    assert errors[site.url("/nope")].code == "http_status"
    assert source.fetch(items[site.url("/img/a.png")]) == IMAGES["/img/a.png"]
    assert source.fetch(items[site.url("/video/clip.mp4")]) == MP4
    assert sniff_media(source.fetch(items[site.url("/video/clip.mp4")])).name == "mp4"


def test_hostile_page_items_fail_one_by_one(site: Site, client: HttpClient) -> None:
    source = UrlListSource([site.url("/hostile.html")], client=client)
    items, _ = split(list(source.enumerate()))
    codes = {}
    for key, item in items.items():
        try:
            sniff_media(source.fetch(item))
            codes[key] = "ok"
        except FetchError as exc:
            codes[key] = exc.details.get("status", exc.code)
        except UnsupportedMedia as exc:
            codes[key] = exc.code
    assert codes == {site.url("/404.png"): 404, site.url("/500.png"): 500,
                     site.url("/reset.png"): "connection_failed",
                     site.url("/fake.jpg"): "unsupported_media"}


def test_broken_html_yields_what_it_can(site: Site, client: HttpClient) -> None:
    source = UrlListSource([site.url("/broken.html")], client=client)
    items, errors = split(list(source.enumerate()))
    assert not errors
    assert {site.url("/img/a.png"), site.url("/img/c.png")} <= set(items)


def test_hostile_listed_urls_become_item_errors(site: Site, client: HttpClient) -> None:
    urls = ["/loop", "/huge", "/reset", "/500", "/private/secret.png", "/feed.broken"]
    source = UrlListSource([site.url(u) for u in urls], client=client)
    _, errors = split(list(source.enumerate()))
    assert {k.removeprefix(site.base): e.code for k, e in errors.items()} == {
        "/loop": "redirect_loop", "/huge": "too_large", "/reset": "connection_failed",
        "/500": "http_status", "/private/secret.png": "robots_disallowed",
        "/feed.broken": "unsupported_media"}
    assert all(e.reason for e in errors.values())


def test_crawl_depth_same_site_and_robots(site: Site, client: HttpClient) -> None:
    shallow, _ = split(list(CrawlSource([site.url("/")], max_depth=0, client=client).enumerate()))
    assert site.url("/img/c.png") not in shallow
    assert site.url("/media/noext") not in shallow
    source = CrawlSource([site.url("/")], max_depth=1, client=client)
    items, errors = split(list(source.enumerate()))
    assert site.url("/img/c.png") in items  # page2, depth 1
    assert site.url("/img/d.png") not in items  # page3, depth 2
    noext = items[site.url("/media/noext")]  # a link without extension, sniffed as media
    assert noext.kind_hint == "image" and noext.context["referrer"] == site.url("/")
    assert errors[site.url("/private/secret.html")].code == "robots_disallowed"
    assert not any("example.invalid" in k for k in [*items, *errors])
    deep, _ = split(list(CrawlSource([site.url("/")], max_depth=2, client=client).enumerate()))
    assert site.url("/img/d.png") in deep


def test_crawl_page_limit(site: Site, client: HttpClient) -> None:
    source = CrawlSource([site.url("/")], max_depth=5, max_pages=2, client=client)
    _, errors = split(list(source.enumerate()))
    assert [e.code for e in errors.values()].count("crawl_limit") == 1


def test_rss_feed(site: Site, client: HttpClient) -> None:
    source = FeedSource([site.url("/feed.rss")], client=client)
    items, errors = split(list(source.enumerate()))
    assert not errors
    assert set(items) == {site.url(p) for p in ["/img/enc.jpg", "/img/in-entry.png",
                                                 "/video/mc.mp4", "/img/thumb.png"]}
    enc = items[site.url("/img/enc.jpg")]
    assert enc.kind_hint == "image" and enc.context["found_as"] == "enclosure"
    assert enc.context["feed_title"] == "Test RSS" and enc.context["entry_title"] == "One"
    assert enc.context["entry_published"] == "2025-06-03T09:39:21+00:00"
    assert items[site.url("/video/mc.mp4")].kind_hint == "video"
    assert items[site.url("/img/in-entry.png")].context["entry_link"] == site.url("/post/1")
    assert source.fetch(enc) == IMAGES["/img/enc.jpg"]


def test_atom_feed(site: Site, client: HttpClient) -> None:
    source = FeedSource([site.url("/feed.atom")], client=client)
    items, errors = split(list(source.enumerate()))
    assert not errors
    assert set(items) == {site.url("/img/atom-enc.png"), site.url("/img/atom-content.png")}
    assert items[site.url("/img/atom-enc.png")].context["entry_published"] == (
        "2025-06-03T01:00:00+00:00")


def test_feed_errors(site: Site, client: HttpClient) -> None:
    source = FeedSource([site.url("/feed.broken"), site.url("/nofeed")], client=client)
    _, errors = split(list(source.enumerate()))
    assert errors[site.url("/nofeed")].code == "http_status"
    assert errors[site.url("/feed.broken")].code in ("malformed_feed",)


def test_web_sources_from_config_share_client(site: Site, client: HttpClient) -> None:
    source = build_source("crawl", {"start_urls": [site.url("/")], "max_depth": 0},
                          client=client)
    assert isinstance(source, CrawlSource) and source.client is client
    own = build_source("urls", {"urls": [site.url("/img/a.png")], "http": {
        "min_host_interval": 0.0, "total_timeout": 3.0}})
    assert own.to_config() == {"urls": [site.url("/img/a.png")],
                               "http": {"min_host_interval": 0.0, "total_timeout": 3.0}}
    with own:
        (item,) = list(own.enumerate())
        assert own.fetch(item) == IMAGES["/img/a.png"]  # type: ignore[arg-type]
    assert FAST.min_host_interval == 0
