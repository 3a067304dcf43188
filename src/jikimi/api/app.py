"""The FastAPI application: mounts each capability's router and the staff web pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from jikimi import __version__
from jikimi.accounts.routes import router as accounts_router
from jikimi.api.docs import install_docs
from jikimi.api.errors import install_error_handlers
from jikimi.api.fastdoor import FastDoorApp
from jikimi.api.limits import InteractiveDecoding, route_body_limits
from jikimi.api.middleware import BodySizeLimit, SecurityHeaders
from jikimi.api.openapi_errors import install_error_responses
from jikimi.api.serving import start_serving
from jikimi.api.system import router as system_router
from jikimi.cases.routes import router as cases_router
from jikimi.core.config import Settings, load_settings
from jikimi.core.ratelimit import SlidingWindowLimiter
from jikimi.core.runtime import Runtime
from jikimi.evidence.routes import router as evidence_router
from jikimi.faces.routes import router as faces_router
from jikimi.hashing.decode import configure_decode_budget
from jikimi.investigation.routes import router as investigation_router
from jikimi.matching.match_door import MATCH_PATH, staff_match_door
from jikimi.matching.routes import router as matching_router
from jikimi.partners.fastpath import LOOKUP_PATH, partner_lookup_door
from jikimi.partners.routes import router as partners_router
from jikimi.portal.routes import router as portal_router
from jikimi.review.routes import router as review_router
from jikimi.scans.routes import router as scans_router
from jikimi.takedown.routes import router as takedown_router
from jikimi.web import STATIC_DIR
from jikimi.web.admin_pages import router as admin_pages
from jikimi.web.case_pages import router as case_pages
from jikimi.web.day_pages import router as day_pages
from jikimi.web.evidence_pages import router as evidence_pages
from jikimi.web.investigation_pages import router as investigation_pages
from jikimi.web.partners_pages import router as partners_pages
from jikimi.web.review_pages import router as review_pages
from jikimi.web.routes import router as web_router
from jikimi.web.sources_pages import router as sources_pages
from jikimi.web.subscription_pages import router as subscription_pages
from jikimi.web.takedown_pages import router as takedown_pages

# Routes that take media uploads (fingerprinted in memory, never stored).
UPLOAD_PATHS = re.compile(
    r"^(/api/v1)?/(hash|match|faces(/search)?|banks/[^/]+/files|cases/[^/]+/faces"
    r"|victim/faces|sources/uploads)$")


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """Build the service. The database must already be migrated (``jikimi db upgrade``)."""
    if runtime is None:
        runtime = Runtime.open(settings or load_settings())
    snapshot_dir = runtime.settings.resolved_data_dir / "index"

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        serving = start_serving(app, runtime, snapshot_dir)
        yield
        serving.stop()

    app = FastDoorApp(  # FastAPI with the fast doors outside its middleware
        lifespan=lifespan,
        title="jikimi API",
        version=__version__,
        description="지킴이 — digital-sex-crime victim support. JSON API under /api/v1.",
        docs_url=None,  # served from the package by install_docs (no CDN)
        redoc_url=None,
    )
    install_docs(app)
    app.state.runtime = runtime
    app.state.login_limiter = SlidingWindowLimiter(runtime.settings.login_rate_per_minute, 60)
    app.state.victim_limiter = SlidingWindowLimiter(10, 300)
    install_error_handlers(app)
    install_error_responses(app)
    for router in (system_router, accounts_router, cases_router, matching_router,
                   scans_router, faces_router, review_router, portal_router, takedown_router,
                   partners_router, evidence_router, investigation_router):
        app.include_router(router)
    for pages in (day_pages, web_router, case_pages, review_pages, takedown_pages, partners_pages,
                  evidence_pages, investigation_pages, admin_pages, sources_pages,
                  subscription_pages):
        app.include_router(pages)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    configure_decode_budget(runtime.settings.decode_memory_mb)
    app.fast_doors[LOOKUP_PATH] = partner_lookup_door  # outermost, same limits and headers
    app.fast_doors[MATCH_PATH] = staff_match_door
    app.add_middleware(InteractiveDecoding, wait_seconds=runtime.settings.decode_wait_seconds)
    app.add_middleware(SecurityHeaders, trusted_proxies=runtime.settings.trusted_proxy_set)
    app.add_middleware(BodySizeLimit, max_bytes=runtime.settings.max_body_bytes,
                       max_upload_bytes=runtime.settings.max_upload_bytes,
                       upload_paths=UPLOAD_PATHS,
                       route_limits=route_body_limits(runtime.settings))
    return app
