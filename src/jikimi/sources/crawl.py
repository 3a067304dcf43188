"""A same-site crawl from start URLs, breadth first, to a depth limit.

Pages are followed only on the start URLs' hosts (plus ``extra_hosts``); media they reference
are items wherever they are hosted. robots.txt, the per-host interval and every limit come from
the shared :class:`~jikimi.sources.http.HttpClient`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any, Self
from urllib.parse import urlsplit

from jikimi.core.perimeter import NetworkGuard
from jikimi.sources.base import ConfigReader, ContextValue, ItemError, Source, SourceItem
from jikimi.sources.errors import SourceConfigError
from jikimi.sources.http import FetchPolicy, HttpClient
from jikimi.sources.pages import normalize_url
from jikimi.sources.urls import visit_url


class CrawlSource(Source):
    """Start URLs, followed to ``max_depth`` links away (0: only the start pages) on the same
    site, at most ``max_pages`` pages per enumeration."""

    type = "crawl"

    def __init__(
        self, start_urls: list[str], *, max_depth: int = 2, max_pages: int = 500,
        extra_hosts: list[str] | None = None, policy: FetchPolicy | None = None,
        client: HttpClient | None = None, guard: NetworkGuard | None = None,
    ) -> None:
        self.start_urls: list[str] = []
        for raw in start_urls:
            url = normalize_url(raw)
            if url is None:
                raise SourceConfigError(
                    f"Source 'crawl': {raw!r} is not an http or https URL.", field="start_urls")
            self.start_urls.append(url)
        if not self.start_urls:
            raise SourceConfigError("Source 'crawl' needs at least one start URL.",
                                    field="start_urls")
        self.max_depth = max_depth
        self.max_pages = max_pages
        self.extra_hosts = [h.lower() for h in extra_hosts or []]
        self.hosts = {urlsplit(u).netloc for u in self.start_urls} | set(self.extra_hosts)
        self.policy = client.policy if client is not None else (policy or FetchPolicy())
        self._own_client = client is None
        self.client = client or HttpClient(self.policy, guard=guard)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, client: HttpClient | None = None,
                    guard: NetworkGuard | None = None) -> Self:
        reader = ConfigReader(cls.type, config)
        start = reader.strings("start_urls", required=True)
        depth = reader.integer("max_depth", 2)
        pages = reader.integer("max_pages", 500, minimum=1)
        extra = reader.strings("extra_hosts")
        policy = FetchPolicy.from_config(reader)
        reader.finish()
        return cls(start, max_depth=depth, max_pages=pages, extra_hosts=extra, policy=policy,
                   client=client, guard=guard)

    def to_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"start_urls": list(self.start_urls),
                                  "max_depth": self.max_depth, "max_pages": self.max_pages}
        if self.extra_hosts:
            config["extra_hosts"] = list(self.extra_hosts)
        if self.policy.to_config():
            config["http"] = self.policy.to_config()
        return config

    def enumerate(self) -> Iterator[SourceItem | ItemError]:
        seen_items: set[str] = set()
        queued: set[str] = set(self.start_urls)
        queue: deque[tuple[str, int, str | None]] = deque((u, 0, None) for u in self.start_urls)
        pages = 0
        while queue:
            url, depth, referrer = queue.popleft()
            if pages >= self.max_pages:
                yield ItemError(url, url, "crawl_limit",
                                f"Not crawled: the crawl reached its limit of {self.max_pages} "
                                "pages. Raise max_pages or narrow the start URLs.")
                return
            pages += 1
            context: dict[str, ContextValue] = {
                "crawl_start": self.start_urls[0], "depth": depth, "referrer": referrer}
            items, page = visit_url(self.client, url, context, seen_items)
            yield from items
            if page is None or depth >= self.max_depth:
                continue
            for link in page.links:
                if link not in queued and urlsplit(link).netloc in self.hosts:
                    queued.add(link)
                    queue.append((link, depth + 1, page.url))

    def fetch(self, item: SourceItem) -> bytes:
        return self.client.fetch_media(item.locator)

    def close(self) -> None:
        if self._own_client:
            self.client.close()
