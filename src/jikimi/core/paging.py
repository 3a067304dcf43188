"""One way to page and sort a list, for every list a person reads (cases, review, takedowns,
banks, sources) and the API that serves them.

A :class:`PageRequest` is parsed from what the visitor sent (page number, rows per page, sort
key, direction), clamped to sane bounds, so no page asks for a million rows or a column that
does not exist. Services that can page in SQL use ``offset``/``limit`` and build a
:class:`Page` with the total; lists that are already bounded and computed in memory (the review
queue, the sources of a centre) use :func:`paginate`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PAGE = 100_000


def _int(value: object, default: int) -> int:
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() and len(text) < 9 else default


@dataclass(frozen=True)
class PageRequest:
    """Which page of a list, how many rows, sorted by what, in which direction."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    sort: str = ""
    descending: bool = True

    @classmethod
    def parse(cls, page: object = None, per_page: object = None, sort: object = None,
              *, sorts: Sequence[str] = (), default_sort: str = "",
              default_per_page: int = DEFAULT_PER_PAGE) -> PageRequest:
        """From query values: ``sort`` is a key of ``sorts``, ``-key`` for descending; an
        unknown key falls back to ``default_sort`` (which may itself start with ``-``)."""
        number = min(max(_int(page, 1), 1), MAX_PAGE)
        rows = min(max(_int(per_page, default_per_page), 1), MAX_PER_PAGE)
        wanted = str(sort or "").strip()[:40]
        key = wanted.lstrip("-")
        if key not in sorts:
            wanted = default_sort
            key = default_sort.lstrip("-")
        return cls(page=number, per_page=rows, sort=key, descending=wanted.startswith("-"))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def sort_param(self) -> str:
        """The sort as sent back in links (``-key`` when descending)."""
        return ("-" if self.descending else "") + self.sort if self.sort else ""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and what a pager needs to link to the others."""

    items: list[T]
    total: int
    request: PageRequest

    @property
    def page(self) -> int:
        return self.request.page

    @property
    def per_page(self) -> int:
        return self.request.per_page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_row(self) -> int:
        """1-based number of the first row shown (0 when the page is empty)."""
        return self.request.offset + 1 if self.items else 0

    @property
    def last_row(self) -> int:
        return self.request.offset + len(self.items)


def sort_items(items: Sequence[T], request: PageRequest,
               keys: Mapping[str, Callable[[T], Any]]) -> list[T]:
    """``items`` ordered by the requested key (stable; rows whose key is None go last)."""
    key = keys.get(request.sort)
    if key is None:
        return list(items)
    present = [i for i in items if key(i) is not None]
    missing = [i for i in items if key(i) is None]
    return sorted(present, key=key, reverse=request.descending) + missing


def paginate(items: Sequence[T], request: PageRequest,
             keys: Mapping[str, Callable[[T], Any]] | None = None) -> Page[T]:
    """Sort (when ``keys`` name the requested sort) and cut one page out of ``items``."""
    ordered = sort_items(items, request, keys) if keys else list(items)
    start = request.offset
    return Page(items=ordered[start:start + request.per_page], total=len(ordered),
                request=request)
