"""The fast door of ``POST /api/v1/partner/lookup``, the call a platform makes on every upload.

Registered on the app's :class:`~jikimi.api.fastdoor.FastDoorApp` (outside its middleware
stack, with the same body limit and security headers), it answers on the event loop, with the
same rules as the route and no thread of its own:

- the body validated by the route's own model (``LookupIn``); a body the model refuses goes
  on to the route (its 422 with the field list);
- the key checked from the key cache and rate-limited (``routes.hot_caller``); a refusal
  audited in a worker thread (a unit of work) and rendered by the app's error renderer;
- the checks and the index search of the lookup service (``lookup.search_lookup``); a miss
  reads nothing; hits are read in one prepared statement (entries still present, their
  banks, their active feed items: ``lookup.resolve_lookup``): on SQLite on the loop's own
  open connection, on PostgreSQL awaited on the loop's own asynchronous connections, the
  hits of the lookups in flight together in one statement (``LoopReads.fetch_together``);
- the audit entry handed to the audit writer's group commit and awaited
  (``AuditWriter.write_async``): the answer leaves only once its entry is committed.
"""

from __future__ import annotations

import anyio.to_thread
from pydantic import ValidationError
from starlette.requests import Request
from starlette.types import Send

from jikimi.api.errors import error_response
from jikimi.api.fastdoor import send_json
from jikimi.core.prepared import MAX_PREPARED_VALUES
from jikimi.errors import JikimiError, NotAuthenticated, RateLimited
from jikimi.partners.hotpath import HotPath
from jikimi.partners.lookup import (
    HITS_WITH_ITEMS,
    LookupAnswer,
    LookupSearch,
    resolve_lookup,
    search_lookup,
)
from jikimi.partners.routes import LookupIn, audit_hot_refusal, hot_caller

LOOKUP_PATH = "/api/v1/partner/lookup"


async def partner_lookup_door(request: Request, body: bytes, send: Send) -> bool:
    """Answer a partner lookup (True), or leave a body the model refuses to the route."""
    try:
        lookup_in = LookupIn.model_validate_json(body)
    except ValidationError:  # the route answers with its field list
        return False
    hot: HotPath = request.app.state.hot_path
    try:
        answer = await _answer(request, hot, lookup_in)
    except JikimiError as exc:
        await error_response(request, exc)(request.scope, request.receive, send)
        return True
    await send_json(send, 200, answer.result.model_dump_json().encode())
    return True


async def _answer(request: Request, hot: HotPath, lookup_in: LookupIn) -> LookupAnswer:
    try:
        # this process's own key changes count at once, followed off the loop
        await hot.follower.current_async()
        principal = hot_caller(request, hot, followed=True)
    except (NotAuthenticated, RateLimited) as exc:
        await anyio.to_thread.run_sync(audit_hot_refusal, request, exc)
        raise
    search = search_lookup(principal, hot.matcher,
                           [(f.signal_type, f.value) for f in lookup_in.fingerprints],
                           lookup_in.threshold)
    answer = await _resolve(hot, search)
    # the answer leaves only after its audit entry is committed
    await hot.audit.write_async(principal.actor, "partner.lookup", "partner",
                                principal.partner_id, details=answer.audit_details)
    return answer


async def _resolve(hot: HotPath, search: LookupSearch) -> LookupAnswer:
    """The hits' rows read where it costs least: none for a miss; on SQLite on the loop's
    own connection (a local read); on PostgreSQL awaited on the loop (a round trip the loop
    does not wait for); exact digests (looked up in the database itself) in a thread."""
    if not search.candidates:
        return resolve_lookup(None, hot.matcher, search)
    reads = hot.loop_reads
    if not reads.waits_for_network:
        return reads.run(lambda conn: resolve_lookup(conn, hot.matcher, search))
    entry_ids = search.entry_ids()
    if entry_ids is not None and len(entry_ids) <= MAX_PREPARED_VALUES:
        # one statement for the hits of the lookups in flight on this loop
        rows = await reads.fetch_together(HITS_WITH_ITEMS, entry_ids)
        return resolve_lookup(None, hot.matcher, search,
                              prefetched={row.id: row for row in rows})

    def in_thread() -> LookupAnswer:
        with hot.read() as session:
            return resolve_lookup(session, hot.matcher, search)

    return await anyio.to_thread.run_sync(in_thread)
