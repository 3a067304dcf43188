"""One page of a list for a staff page: the page number, rows per page and sort read from the
query, the list cut with :func:`jikimi.core.paging.paginate`, and the query values the pager
and the sortable column headers of ``_paging.html`` need for their links.

For lists the service hands over whole (bounded by what the actor may see: banks, sources,
takedown requests, the review queue); the case list pages in the database instead
(``cases.search_cases``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from fastapi import Request

from jikimi.core.paging import Page, PageRequest, paginate

T = TypeVar("T")

# Query values that are not filters of the list (they are not carried into its links).
_NOT_FILTERS = frozenset({"page", "sort", "lang", "done", "failed"})


def list_page(request: Request, items: Sequence[T], keys: Mapping[str, Callable[[T], Any]],
              default_sort: str = "", per_page: int = 50) -> tuple[Page[T], dict[str, str]]:
    """The requested page of ``items`` and the query values for its links."""
    q = request.query_params
    page_request = PageRequest.parse(q.get("page"), q.get("per_page"), q.get("sort"),
                                     sorts=tuple(keys), default_sort=default_sort,
                                     default_per_page=per_page)
    page = paginate(items, page_request, keys)
    params = {k: v[:200] for k, v in q.items() if k not in _NOT_FILTERS and v}
    params["sort"] = page_request.sort_param
    return page, params


def text_filter(items: Sequence[T], text: str, *fields: Callable[[T], object]) -> list[T]:
    """The items whose fields contain ``text`` (case-insensitive); all when it is empty."""
    needle = text.strip().lower()[:100]
    if not needle:
        return list(items)
    return [i for i in items if any(needle in str(f(i) or "").lower() for f in fields)]
