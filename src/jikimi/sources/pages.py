"""Media references in web pages: URL normalisation, ``srcset`` parsing and an HTML scanner.

Pure functions over text, shared by the URL-list, crawl and feed sources. HTML is read with the
standard library's tolerant :mod:`html.parser`: broken markup yields whatever references can
be recovered, never an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from posixpath import splitext
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

_IMAGE_EXTENSIONS = frozenset(
    ".jpg .jpeg .jpe .jfif .png .gif .webp .bmp .tif .tiff .heic .heif .avif".split())
_VIDEO_EXTENSIONS = frozenset(
    ".mp4 .m4v .mov .webm .mkv .avi .flv .wmv .mpg .mpeg .ogv .3gp .ts".split())
_STRIP_INSIDE = re.compile(r"[\t\n\r]")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(ref: str, base: str | None = None) -> str | None:
    """The absolute, canonical http(s) form of ``ref`` (resolved against ``base``), or None.

    Canonical: scheme and host lower-case, default port dropped, dot segments removed, empty
    path as ``/``, unsafe characters percent-encoded, fragment dropped. Idempotent, so the result
    can serve as an item's key. Non-http(s) references (``data:``, ``javascript:``, ``mailto:``)
    give None.
    """
    ref = _STRIP_INSIDE.sub("", ref).strip(" \f\v\x00")
    if not ref:
        return None
    try:
        absolute = urljoin(base, ref) if base else ref
        parts = urlsplit(absolute)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            return None
        host = parts.hostname
        if not host:
            return None
        port = parts.port
    except ValueError:
        return None
    try:
        host = host.encode("idna").decode("ascii").lower() if not host.isascii() else host.lower()
    except UnicodeError:
        return None
    if any(c in host for c in " /\\@#?%"):
        return None
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{quote(userinfo, safe=':%')}@{netloc}"
    path = quote(_remove_dot_segments(parts.path or "/"), safe=_PATH_SAFE)
    query = quote(parts.query, safe=_QUERY_SAFE)
    return urlunsplit((scheme, netloc, path or "/", query, ""))


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == ".":
            if last:
                output.append("")
        elif seg == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(seg)
    result = "/".join(output)
    if path.startswith("/") and not result.startswith("/"):
        result = "/" + result
    return result


def parse_srcset(value: str) -> list[str]:
    """The URLs of a ``srcset`` attribute, in order (WHATWG "parse a srcset attribute").

    URLs may contain commas (``img.jpg?w=1,2``); a comma directly after a URL ends the candidate;
    descriptors (``2x``, ``640w``, even with parentheses) are skipped.
    """
    urls: list[str] = []
    pos, n = 0, len(value)
    space = " \t\n\r\f"
    while pos < n:
        while pos < n and (value[pos] in space or value[pos] == ","):
            pos += 1
        if pos >= n:
            break
        start = pos
        while pos < n and value[pos] not in space:
            pos += 1
        url = value[start:pos]
        if url.endswith(","):
            url = url.rstrip(",")
            if url:
                urls.append(url)
            continue
        urls.append(url)
        depth = 0  # skip descriptors up to the next comma outside parentheses
        while pos < n:
            c = value[pos]
            if c == "(":
                depth += 1
            elif c == ")" and depth:
                depth -= 1
            elif c == "," and depth == 0:
                pos += 1
                break
            pos += 1
    return urls


def kind_from_path(url: str) -> str | None:
    """A *guess* of "image"/"video" from a URL's extension, used only to decide which links
    to treat as media; the real format is always sniffed from the bytes."""
    try:
        ext = splitext(urlsplit(url).path)[1].lower()
    except ValueError:
        return None
    if ext in _IMAGE_EXTENSIONS:
        return "image"
    if ext in _VIDEO_EXTENSIONS:
        return "video"
    return None


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A media reference found on a page: absolute URL, kind guessed from the markup, and how
    it was referenced (``img``, ``img srcset``, ``picture source``, ``video source``,
    ``og:image``, ``a href``…)."""

    url: str
    kind_hint: str | None
    how: str


@dataclass(slots=True)
class PageScan:
    """What one HTML page refers to."""

    url: str
    title: str | None = None
    media: list[MediaRef] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    """Absolute http(s) URLs of ``<a>``, ``<area>`` and frames that are not media (to crawl)."""


_META_MEDIA = {
    "og:image": "image", "og:image:url": "image", "og:image:secure_url": "image",
    "twitter:image": "image", "twitter:image:src": "image",
    "og:video": "video", "og:video:url": "video", "og:video:secure_url": "video",
    "twitter:player:stream": "video",
}


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.raw_media: list[tuple[str, str | None, str]] = []
        self.raw_links: list[str] = []
        self.title_parts: list[str] = []
        self._in_title = False
        self._open = {"picture": 0, "video": 0, "audio": 0}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v for k, v in attrs if v is not None}
        if tag in self._open:
            self._open[tag] += 1
        if tag == "base" and "href" in a and self.base is None:
            self.base = a["href"]
        elif tag == "title":
            self._in_title = True
        elif tag == "img":
            for attr in ("src", "data-src", "data-original"):
                if attr in a:
                    self.raw_media.append((a[attr], "image", f"img {attr}"))
            for attr in ("srcset", "data-srcset"):
                if attr in a:
                    self.raw_media += [(u, "image", f"img {attr}") for u in parse_srcset(a[attr])]
        elif tag == "source":
            if self._open["audio"] and not self._open["video"]:
                return
            kind, how = ("video", "video source") if self._open["video"] else (
                "image", "picture source")
            if "src" in a:
                self.raw_media.append((a["src"], kind, how))
            if "srcset" in a:
                self.raw_media += [(u, kind, how) for u in parse_srcset(a["srcset"])]
        elif tag == "video":
            if "src" in a:
                self.raw_media.append((a["src"], "video", "video"))
            if "poster" in a:
                self.raw_media.append((a["poster"], "image", "video poster"))
        elif tag == "meta":
            prop = (a.get("property") or a.get("name") or "").strip().lower()
            if prop in _META_MEDIA and a.get("content"):
                self.raw_media.append((a["content"], _META_MEDIA[prop], prop))
        elif tag == "link":
            rels = (a.get("rel") or "").lower().split()
            if "image_src" in rels and "href" in a:
                self.raw_media.append((a["href"], "image", "link image_src"))
        elif tag in ("a", "area") and "href" in a:
            self.raw_links.append(a["href"])
        elif tag in ("iframe", "frame") and "src" in a:
            self.raw_links.append(a["src"])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in self._open:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._open.get(tag):
            self._open[tag] -= 1
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title and len(self.title_parts) < 100:
            self.title_parts.append(data)


def scan_html(text: str, page_url: str) -> PageScan:
    """The media references and links of an HTML document, resolved against ``page_url`` (or
    its ``<base href>``), de-duplicated, in document order."""
    parser = _PageParser()
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # noqa: S110 - keep what was parsed from hopelessly broken markup
        pass
    base = page_url
    if parser.base:
        base = normalize_url(parser.base, page_url) or page_url
    scan = PageScan(page_url)
    title = " ".join("".join(parser.title_parts).split())
    scan.title = title[:500] or None
    seen: set[str] = set()
    for raw, kind, how in parser.raw_media:
        url = normalize_url(raw, base)
        if url and url not in seen:
            seen.add(url)
            scan.media.append(MediaRef(url, kind, how))
    for raw in parser.raw_links:
        url = normalize_url(raw, base)
        if url is None or url in seen:
            continue
        seen.add(url)
        guess = kind_from_path(url)
        if guess is not None:
            scan.media.append(MediaRef(url, guess, "a href"))
        else:
            scan.links.append(url)
    return scan


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", re.I)


def decode_html(content: bytes, content_type: str | None = None) -> str:
    """Text of an HTML document: charset from the header, a BOM, or ``<meta charset>``."""
    charset: str | None = None
    if content.startswith(b"\xef\xbb\xbf"):
        charset = "utf-8"
    elif content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'")
    else:
        m = _META_CHARSET.search(content[:2048])
        if m:
            charset = m.group(1).decode("ascii", "replace")
    try:
        return content.decode(charset or "utf-8", "replace")
    except LookupError:
        return content.decode("utf-8", "replace")
