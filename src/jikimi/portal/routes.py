"""The victim portal: public pages under ``/portal`` and the victim's fingerprint API.

Images never leave the victim's device: the register page decodes and hashes them in the
browser (``static/portal.js`` with ``static/pdq.js``) and sends fingerprints only. Everything
that needs the case code and secret is a POST with the secret in the JSON body, limited by the
same rate limiter as the other victim endpoints (``app.state.victim_limiter``).

Mount with ``app.include_router(portal_router)``; the router serves its own static files under
``/portal/static``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from jikimi.accounts import PublicContext, request_language
from jikimi.cases import VictimCaseView
from jikimi.core.i18n import translate
from jikimi.core.text import clean_text
from jikimi.errors import InvalidInput, NotFound, RateLimited
from jikimi.portal import service

PORTAL_DIR = Path(__file__).parent
STATIC_DIR = PORTAL_DIR / "static"
TEMPLATE_DIR = PORTAL_DIR / "templates"
STATIC_FILES = {
    "portal.js": "text/javascript; charset=utf-8",
    "pdq.js": "text/javascript; charset=utf-8",
    "portal.css": "text/css; charset=utf-8",
}

MAX_ITEMS = 100
MAX_VARIANTS = 20
MAX_LABEL_CHARS = 200
# Where the quick-exit button goes: a neutral page (weather), replacing the portal in history.
QUICK_EXIT_URL = "https://www.google.com/search?q=%EB%82%A0%EC%94%A8"

router = APIRouter()

# --- API -------------------------------------------------------------------------------------
VariantName = Literal["rot90", "rot180", "rot270", "flip_v", "flip_h", "transpose",
                      "transverse", "unframed", "unframed_bands", "unframed_ui",
                      "unframed_ui2", "crop5", "crop10", "crop15", "crop20"]
Pdq = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$", to_lower=True)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$", to_lower=True)]
Md5 = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{32}$", to_lower=True)]
Quality = Annotated[int, Field(ge=0, le=100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class VictimIn(Strict):
    code: str = Field(min_length=3, max_length=40)
    secret: str = Field(min_length=4, max_length=60)


class VariantIn(Strict):
    name: VariantName = Field(description="a registration variant (not 'original': that is "
                                          "the item's own pdq)")
    pdq: Pdq
    quality: Quality


class ItemIn(Strict):
    label: str = Field("", max_length=MAX_LABEL_CHARS,
                       description="her own label for the picture (optional)")
    sha256: Sha256
    md5: Md5
    pdq: Pdq
    quality: Quality
    variants: list[VariantIn] = Field(default_factory=list, max_length=MAX_VARIANTS)

    @field_validator("label")
    @classmethod
    def _label(cls, value: str) -> str:
        try:
            return clean_text(value, "the label", max_chars=MAX_LABEL_CHARS)
        except InvalidInput as exc:
            raise ValueError(exc.message) from exc

    @field_validator("variants")
    @classmethod
    def _distinct(cls, value: list[VariantIn]) -> list[VariantIn]:
        names = [v.name for v in value]
        if len(set(names)) != len(names):
            raise ValueError("each variant name may appear once per item")
        return value


class FingerprintsIn(VictimIn):
    items: list[ItemIn] = Field(min_length=1, max_length=MAX_ITEMS)


class RegisteredOut(BaseModel):
    code: str
    items: int = Field(description="images in this submission")
    added: int = Field(description="new fingerprints stored (repeats are skipped)")
    fingerprints: int = Field(description="fingerprints registered for the case in all")


class RegisteredItemOut(BaseModel):
    label: str
    content_id: str
    fingerprints: int
    registered_at: dt.datetime


class PortalStatusOut(BaseModel):
    case: VictimCaseView
    fingerprints: int
    items: list[RegisteredItemOut]


def _victim_rate(request: Request, code: str) -> None:
    """The same limits as the other victim endpoints (per address and per case code)."""
    limiter = request.app.state.victim_limiter
    ip = request.client.host if request.client else "unknown"
    if not (limiter.hit(f"ip:{ip}") and limiter.hit(f"case:{code.strip().upper()}")):
        raise RateLimited("too many attempts; wait a few minutes and try again")


@router.post("/api/v1/victim/fingerprints", response_model=RegisteredOut, status_code=201,
             tags=["victim"])
def register_fingerprints(body: FingerprintsIn, request: Request,
                          ctx: PublicContext) -> RegisteredOut:
    """Register fingerprints computed on her device (never images) in her case's bank."""
    _victim_rate(request, body.code)
    items = [service.SubmittedItem(
        label=i.label, sha256=i.sha256, md5=i.md5, pdq=i.pdq, quality=i.quality,
        variants=[service.SubmittedVariant(v.name, v.pdq, v.quality) for v in i.variants])
        for i in body.items]
    result = service.register(ctx, body.code, body.secret, items)
    return RegisteredOut(code=result.code, items=result.items, added=result.added,
                         fingerprints=result.fingerprints)


@router.post("/api/v1/victim/fingerprints/status", response_model=PortalStatusOut,
             tags=["victim"])
def fingerprints_status(body: VictimIn, request: Request, ctx: PublicContext) -> PortalStatusOut:
    """Her case's status and her registered pictures (by her own labels)."""
    _victim_rate(request, body.code)
    result = service.status(ctx, body.code, body.secret)
    return PortalStatusOut(
        case=result.case, fingerprints=result.fingerprints,
        items=[RegisteredItemOut(label=i.label, content_id=i.content_id,
                                 fingerprints=i.fingerprints, registered_at=i.registered_at)
               for i in result.items])


@router.post("/api/v1/victim/sharing/withdraw", response_model=VictimCaseView,
             tags=["victim"])
def withdraw_sharing(body: VictimIn, request: Request, ctx: PublicContext) -> VictimCaseView:
    """Stop sharing her fingerprints with partner platforms (they stay with the centre)."""
    _victim_rate(request, body.code)
    return service.withdraw_sharing(ctx, body.code, body.secret)


# --- pages -----------------------------------------------------------------------------------
_env = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

# Texts portal.js shows (translated on the server, handed over as JSON data, not script).
SCRIPT_MESSAGES = (
    "Fingerprinting {name}…", "Ready", "Could not read this picture.",
    "Choose at least one picture.", "Enter your case code and secret.",
    "Sending fingerprints…", "Registered: {items} pictures, {added} new fingerprints. "
    "{fingerprints} fingerprints are registered for your case in all.",
    "Something went wrong. Nothing was sent. Try again.",
    "Could not reach the centre. Check the connection and try again.",
    "Picture {n}", "Preview of picture {n}", "Label for picture {n} (optional)",
    "Hide previews", "Up to {n} pictures at a time. Only the first {n} will be registered.",
    "Sharing with partner platforms is now off.", "Your data has been erased.",
    "Registered on {date}", "No pictures are registered yet.",
    "This browser cannot compute fingerprints. Try a recent Chrome, Edge, Firefox or Safari, "
    "or ask the centre.", "Working…",
    "Some pictures are too plain to fingerprint reliably; they are registered anyway.",
    "status.open", "status.active", "status.monitoring", "status.closed", "status.reopened",
    "consent.partner_sharing", "consent.face_search", "consent.evidence_capture",
    "consent.police_referral", "None",
)


def _render(request: Request, template: str, **context: Any) -> HTMLResponse:
    lang = request_language(request)

    def _(msgid: str, **values: object) -> str:
        return translate(msgid, lang, **values)

    messages = {m: translate(m, lang) for m in SCRIPT_MESSAGES}
    html = _env.get_template(template).render(request=request, lang=lang, _=_,
                                              messages=messages, exit_url=QUICK_EXIT_URL,
                                              **context)
    response = HTMLResponse(html)
    if request.query_params.get("lang") in ("ko", "en"):
        response.set_cookie("jikimi_lang", lang, samesite="lax", httponly=True,
                            max_age=365 * 24 * 3600)
    return response


@router.get("/portal", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request) -> HTMLResponse:
    return _render(request, "portal_home.html", page="home")


@router.get("/portal/register", response_class=HTMLResponse, include_in_schema=False)
def register_page(request: Request) -> HTMLResponse:
    return _render(request, "portal_register.html", page="register",
                   max_items=MAX_ITEMS, max_label=MAX_LABEL_CHARS)


@router.get("/portal/status", response_class=HTMLResponse, include_in_schema=False)
def status_page(request: Request) -> HTMLResponse:
    return _render(request, "portal_status.html", page="status")


_NAME_RE = re.compile(r"^[a-z]+\.(js|css)$")


@router.get("/portal/static/{name}", include_in_schema=False)
def static(name: str) -> FileResponse:
    """portal.js, pdq.js and portal.css (no directory listing, nothing else)."""
    if not _NAME_RE.match(name) or name not in STATIC_FILES:
        raise NotFound(f"no file {name!r}")
    return FileResponse(STATIC_DIR / name, media_type=STATIC_FILES[name])
