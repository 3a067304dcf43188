"""A list of explicit URLs: each is a media file or a page whose media are the items."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Self

from jikimi.core.perimeter import NetworkGuard
from jikimi.sources.base import ConfigReader, ContextValue, ItemError, Source, SourceItem
from jikimi.sources.errors import FetchError, SourceConfigError
from jikimi.sources.http import FetchPolicy, HttpClient
from jikimi.sources.pages import PageScan, decode_html, normalize_url, scan_html


def visit_url(
    client: HttpClient, url: str, context: Mapping[str, ContextValue], seen: set[str]
) -> tuple[list[SourceItem | ItemError], PageScan | None]:
    """Fetch ``url`` once: media becomes one item; an HTML page yields an item per media
    reference (and its :class:`PageScan`, for crawling); anything else an :class:`ItemError`.
    ``seen`` holds the keys already yielded, so each URL is yielded once per enumeration."""
    try:
        resp = client.get(url, max_bytes=client.policy.max_page_bytes, media_head_only=True)
    except FetchError as exc:
        return [ItemError.from_exception(url, url, exc, context)], None
    out: list[SourceItem | ItemError] = []
    if resp.media_kind is not None:
        if resp.url not in seen:
            seen.add(resp.url)
            ctx = dict(context)
            if resp.url != url:
                ctx["requested_url"] = url
            out.append(SourceItem(resp.url, resp.url, resp.media_kind, ctx))
        return out, None
    content_type = resp.headers.get("content-type", "")
    head = resp.content[:512].lstrip().lower()
    if "html" not in content_type.lower() and not head.startswith(
            (b"<!doctype html", b"<html", b"<head", b"<body")):
        return [ItemError(url, url, "unsupported_media",
                          f"{url} is neither media jikimi reads nor an HTML page "
                          f"(Content-Type {content_type or 'missing'}).", context)], None
    page = scan_html(decode_html(resp.content, content_type), resp.url)
    for ref in page.media:
        if ref.url in seen:
            continue
        seen.add(ref.url)
        ctx = {**context, "page_url": resp.url, "page_title": page.title, "found_as": ref.how}
        out.append(SourceItem(ref.url, ref.url, ref.kind_hint, ctx))
    return out, page


class UrlListSource(Source):
    """Explicit image, video or page URLs. A page URL yields the media found on it."""

    type = "urls"

    def __init__(
        self, urls: list[str], *, policy: FetchPolicy | None = None,
        client: HttpClient | None = None, guard: NetworkGuard | None = None,
    ) -> None:
        self.urls: list[str] = []
        for raw in urls:
            url = normalize_url(raw)
            if url is None:
                raise SourceConfigError(
                    f"Source '{self.type}': {raw!r} is not an http or https URL.", field="urls")
            self.urls.append(url)
        self.policy = client.policy if client is not None else (policy or FetchPolicy())
        self._own_client = client is None
        self.client = client or HttpClient(self.policy, guard=guard)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, client: HttpClient | None = None,
                    guard: NetworkGuard | None = None) -> Self:
        reader = ConfigReader(cls.type, config)
        urls = reader.strings("urls", required=True)
        policy = FetchPolicy.from_config(reader)
        reader.finish()
        return cls(urls, policy=policy, client=client, guard=guard)

    def to_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"urls": list(self.urls)}
        if self.policy.to_config():
            config["http"] = self.policy.to_config()
        return config

    def enumerate(self) -> Iterator[SourceItem | ItemError]:
        seen: set[str] = set()
        for url in self.urls:
            items, _page = visit_url(self.client, url, {"listed_url": url}, seen)
            yield from items

    def fetch(self, item: SourceItem) -> bytes:
        return self.client.fetch_media(item.locator)

    def close(self) -> None:
        if self._own_client:
            self.client.close()
