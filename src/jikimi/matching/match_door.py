"""The fast door of ``POST /api/v1/match`` with fingerprints as JSON (a staff call).

Registered on the app's :class:`~jikimi.api.fastdoor.FastDoorApp` (outside its middleware
stack, with the same body limit and security headers), it answers on the event loop what
the route answers, by the same rules:

- who asks: the staff credential from the process's :class:`StaffCredentialCache` (resolved
  the first time by the staff routes' own dependency, re-checked every fraction of a second,
  so logout, password change, deactivation and token revocation reach every process within a
  second); a cookie session must send its CSRF token (``http.check_csrf``);
- what they may match and see: ``service.check_match`` and ``service.answer_match`` (the
  authorisation rules of ``core.authorization``: only the banks the caller may see count);
- the query: the route's own model (``FingerprintQuery``) and ``routes._queries``;
- the audit entry (``match.query``, as the route writes it) through the audit writer's group
  commit, awaited: the answer leaves once its entry is committed.

It hands the request to the route whenever it would not answer exactly as the route does: a
query string, a body the model refuses, a credential it has not cached yet (the route then
resolves it, and the door caches it in the background for the next call), or one the cache
does not vouch for. The hits' rows are read on the loop's own connection on SQLite; on
PostgreSQL awaited on the loop, together with those of the other lookups in flight
(``LoopReads.fetch_together``), or in a worker thread when the query has exact digests (looked
up in the database itself).
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from pydantic import ValidationError
from starlette.requests import Request
from starlette.types import Send

from jikimi.accounts.http import check_csrf
from jikimi.api.errors import error_response
from jikimi.api.fastdoor import send_json
from jikimi.core.actors import Actor
from jikimi.core.prepared import MAX_PREPARED_VALUES
from jikimi.errors import JikimiError
from jikimi.matching import service
from jikimi.matching.matcher import Query
from jikimi.matching.routes import FingerprintQuery, _queries
from jikimi.matching.schemas import MatchResult
from jikimi.partners.hotpath import HotPath
from jikimi.partners.lookup import HITS_WITH_ITEMS

MATCH_PATH = "/api/v1/match"


async def staff_match_door(request: Request, body: bytes, send: Send) -> bool:
    """Answer a staff match of fingerprints (True), or leave the request to the route."""
    if request.scope.get("query_string"):
        return False
    hot: HotPath = request.app.state.hot_path
    # this process's own logouts and revocations count at once (followed off the loop)
    await hot.follower.current_async()
    caller = hot.staff.lookup(request)
    if caller is None:  # resolved by the route now; cached for the next call
        await anyio.to_thread.run_sync(hot.staff.resolve, request)
        return False
    try:
        source = FingerprintQuery.model_validate_json(body)
    except ValidationError:
        return False
    try:
        check_csrf(request, hot.runtime, caller.via, caller.session_token)
        queries = _queries(source)
        service.check_match(caller.actor, source.threshold)
        result = await _answer(hot, caller.actor, queries, source.threshold)
    except JikimiError as exc:
        await error_response(request, exc)(request.scope, request.receive, send)
        return True
    await send_json(send, 200, result.model_dump_json().encode())
    return True


async def _answer(hot: HotPath, actor: Actor, queries: list[Query],
                  threshold: int | None) -> MatchResult:
    reads = hot.loop_reads
    if not reads.waits_for_network:
        result, details = reads.run(lambda conn: service.answer_match(
            actor, conn, hot.matcher, queries, threshold))
    else:
        candidates = hot.matcher.candidates(queries, threshold)
        ids = list(dict.fromkeys(c.entry_id for c in candidates))
        if None not in ids and len(ids) <= MAX_PREPARED_VALUES:
            # PostgreSQL, PDQ only: the hits read on the loop, together with those of the
            # other lookups in flight (one statement), as the partner door reads them
            rows = ({row.id: row for row in await reads.fetch_together(HITS_WITH_ITEMS, ids)}
                    if ids else {})

            def read(_session: object, wanted: list[int]) -> list[Any]:
                return [rows[i] for i in wanted if i in rows]

            result, details = service.answer_match(actor, None, hot.matcher, queries,
                                                   threshold, candidates=candidates,
                                                   read=read)
        else:  # exact digests are looked up in the database itself
            def in_thread() -> tuple[MatchResult, dict[str, object]]:
                with hot.read() as session:
                    return service.answer_match(actor, session, hot.matcher, queries,
                                                threshold, candidates=candidates)

            result, details = await anyio.to_thread.run_sync(in_thread)
    # the answer leaves only after its audit entry is committed
    await hot.audit.write_async(actor, "match.query", "match", "*",
                                centre_id=actor.centre_id, details=dict(details))
    return result
