"""The fast door of ``POST /api/v1/partner/lookup``, the call a platform makes on every upload.

Registered on the app's :class:`~jikimi.api.fastdoor.FastDoorApp` (outside its middleware
stack, with the same body limit and security headers), it answers on the event loop, with the
same rules as the route and no thread of its own:

- the body validated by the route's own model (``LookupIn``); a body the model refuses goes
  on to the route (its 422 with the field list);
- the key checked from the key cache and rate-limited (``routes.hot_caller``); a refusal
  audited in a worker thread (a unit of work) and rendered by the app's error renderer;
- the checks and the index search of the lookup service (``lookup.search_lookup``); a miss
  reads nothing; hits are read in one statement (entries still present, their banks, their
  active feed items: ``lookup.resolve_lookup``) on the loop's own open connection;
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
from jikimi.errors import JikimiError, NotAuthenticated, RateLimited
from jikimi.partners.hotpath import HotPath
from jikimi.partners.lookup import LookupAnswer, resolve_lookup, search_lookup
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
        principal = hot_caller(request, hot)
    except (NotAuthenticated, RateLimited) as exc:
        await anyio.to_thread.run_sync(audit_hot_refusal, request, exc)
        raise
    search = search_lookup(principal, hot.matcher,
                           [(f.signal_type, f.value) for f in lookup_in.fingerprints],
                           lookup_in.threshold)
    if search.candidates:
        answer = hot.loop_reads.run(lambda conn: resolve_lookup(conn, hot.matcher, search))
    else:
        answer = resolve_lookup(None, hot.matcher, search)
    # the answer leaves only after its audit entry is committed
    await hot.audit.write_async(principal.actor, "partner.lookup", "partner",
                                principal.partner_id, details=answer.audit_details)
    return answer
