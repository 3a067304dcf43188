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
import itertools
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Header, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from jikimi.accounts import PublicContext, StaffContext, request_language
from jikimi.cases import ConsentPurpose, VictimCaseView
from jikimi.cases.victim_guard import check_victim_request
from jikimi.core.i18n import error_message, translate
from jikimi.core.ratelimit import SlidingWindowLimiter
from jikimi.core.text import clean_text
from jikimi.errors import InvalidInput, JikimiError, NotAuthenticated, NotFound, RateLimited
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
MAX_NOTE_CHARS = 500
# Videos: one frame per second (the browser samples more sparsely past an hour).
MAX_VIDEO_FRAMES = 3600
MAX_SUBMISSION_FRAMES = 6000
MAX_VIDEO_SECONDS = 24 * 3600
MAX_FRAME_NUMBER = 100_000_000
# Face enrolment: photos are embedded in memory and discarded.
MAX_FACE_PHOTOS = 5
MAX_FACE_PHOTO_BYTES = 20_000_000
FACE_PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp",
                    "image/tiff", "image/heic", "image/heif", "application/octet-stream")
FACE_PHOTOS_PER_HOUR = 30
# New cases opened on the portal: per address, a few an hour.
NEW_CASES_PER_HOUR = 3
SUBMISSION_FORMAT = "jikimi-submission"
# Where the quick-exit button goes: a neutral page (weather), replacing the portal in history.
QUICK_EXIT_URL = "https://www.google.com/search?q=%EB%82%A0%EC%94%A8"

router = APIRouter()

# --- API -------------------------------------------------------------------------------------
VariantName = Literal["rot90", "rot180", "rot270", "flip_v", "flip_h", "transpose",
                      "transverse", "unframed", "unframed_bands", "unframed_ui",
                      "unframed_ui2", "crop5", "crop10", "crop15", "crop20"]
Pdq = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$", to_lower=True)]
RegionName = Annotated[str, StringConstraints(
    pattern=r"^(keep_(tl|tr|bl|br|top|bottom)|offcrop_\d{3}_\d{3}_\d{3}_\d{3}|centred_\d{3}"
            r"|tilt_[mp]\d{1,2}|centre70)$")]
MAX_REGIONS = 240
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


class RegionIn(Strict):
    """A region hash (signal type ``pdq_region``: jikimi.hashing.regions, pdq.js
    registrationRegions): PDQ of one window of the picture."""

    name: RegionName
    pdq: Pdq
    quality: Quality


class FrameIn(Strict):
    """One sampled video frame: PDQ of the whole frame (vPDQ, as Meta's vpdq)."""

    frame: int = Field(ge=0, le=MAX_FRAME_NUMBER,
                       description="frame number (the browser sends the sample's index)")
    timestamp: float = Field(ge=0, le=MAX_VIDEO_SECONDS, description="seconds from the start")
    quality: Quality
    pdq: Pdq


class ItemIn(Strict):
    """An image (pdq, quality, variants) or a video (frames), with its file hashes."""

    kind: Literal["image", "video"] = "image"
    label: str = Field("", max_length=MAX_LABEL_CHARS,
                       description="her own label for the picture (optional)")
    note: str = Field("", max_length=MAX_NOTE_CHARS,
                      description="her own note on it (optional; stored encrypted)")
    sha256: Sha256
    md5: Md5
    pdq: Pdq | None = Field(None, description="images: PDQ of the reference thumbnail")
    quality: Quality | None = None
    variants: list[VariantIn] = Field(default_factory=list, max_length=MAX_VARIANTS)
    regions: list[RegionIn] = Field(default_factory=list, max_length=MAX_REGIONS,
                                    description="images: region hashes (overlays, off-centre "
                                                "crops, tilts)")
    frames: list[FrameIn] | None = Field(None, min_length=1, max_length=MAX_VIDEO_FRAMES,
                                         description="videos: one frame per second")

    @field_validator("label")
    @classmethod
    def _label(cls, value: str) -> str:
        try:
            return clean_text(value, "the label", max_chars=MAX_LABEL_CHARS)
        except InvalidInput as exc:
            raise ValueError(exc.message) from exc

    @field_validator("note")
    @classmethod
    def _note(cls, value: str) -> str:
        try:
            return clean_text(value, "the note", max_chars=MAX_NOTE_CHARS, multiline=True)
        except InvalidInput as exc:
            raise ValueError(exc.message) from exc

    @field_validator("regions")
    @classmethod
    def _distinct_regions(cls, value: list[RegionIn]) -> list[RegionIn]:
        if len({v.name for v in value}) != len(value):
            raise ValueError("each region name may appear once per item")
        return value

    @field_validator("variants")
    @classmethod
    def _distinct(cls, value: list[VariantIn]) -> list[VariantIn]:
        names = [v.name for v in value]
        if len(set(names)) != len(names):
            raise ValueError("each variant name may appear once per item")
        return value

    @field_validator("frames")
    @classmethod
    def _ordered(cls, value: list[FrameIn] | None) -> list[FrameIn] | None:
        if value is None:
            return value
        for before, after in itertools.pairwise(value):
            if after.frame <= before.frame or after.timestamp < before.timestamp:
                raise ValueError("video frames go in order: frame numbers rising, timestamps "
                                 "not falling")
        return value

    @model_validator(mode="after")
    def _kind(self) -> ItemIn:
        if self.kind == "image":
            if self.pdq is None or self.quality is None or self.frames is not None:
                raise ValueError("an image has pdq and quality (and no frames)")
        elif self.frames is None or self.pdq is not None or self.quality is not None \
                or self.variants or self.regions:
            raise ValueError("a video has frames (and no pdq, quality, variants or regions)")
        return self


class SubmissionIn(Strict):
    """The submission file `jikimi hash --submission` writes and the register page reads:
    no case code or secret in it (she types those)."""

    format: Literal["jikimi-submission"] = "jikimi-submission"
    version: Literal[1] = 1
    items: list[ItemIn] = Field(min_length=1, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _frames(self) -> SubmissionIn:
        total = sum(len(i.frames or ()) for i in self.items)
        if total > MAX_SUBMISSION_FRAMES:
            raise ValueError(f"at most {MAX_SUBMISSION_FRAMES} video frames per submission "
                             f"(this one has {total}); send the videos in several parts")
        return self


class FingerprintsIn(VictimIn, SubmissionIn):
    """A submission with the case code and secret."""


class RegisteredOut(BaseModel):
    code: str
    items: int = Field(description="images and videos in this submission")
    added: int = Field(description="new fingerprints stored (repeats are skipped)")
    fingerprints: int = Field(description="fingerprints registered for the case in all")


class RegisteredItemOut(BaseModel):
    label: str
    content_id: str
    kind: Literal["image", "video"]
    fingerprints: int
    registered_at: dt.datetime
    found: int = Field(description="places where the centre's scans found a copy of it")
    note: str = Field(description="her own note (decrypted for her only)")


class TakedownOut(BaseModel):
    site: str = Field(description="the platform or site asked to delete")
    stage: Literal["preparing", "requested", "partly_removed", "removed", "refused"]
    addresses: int = Field(description="addresses (URLs) in the request")
    removed: int = Field(description="of which confirmed removed")
    since: dt.datetime


class PortalStatusOut(BaseModel):
    case: VictimCaseView
    fingerprints: int
    items: list[RegisteredItemOut]
    found: int = Field(description="places where a copy of any of her items was found")
    faces: int = Field(description="face templates enrolled for face search")
    takedowns: list[TakedownOut] = Field(description="deletion requests, one per site")


class NewCaseOut(BaseModel):
    code: str
    secret: str = Field(description="shown once: the centre cannot show it again")


class FacesOut(BaseModel):
    code: str
    photos: int
    faces: int
    skipped: int = Field(description="photos that did not show exactly one face")


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _victim_rate(request: Request, code: str) -> None:
    """The same limits as the other victim endpoints (:mod:`jikimi.cases.victim_guard`)."""
    check_victim_request(request.app.state, _client(request), code)


def _hourly_limiter(request: Request, name: str, limit: int) -> SlidingWindowLimiter:
    """A limiter of the portal's own (kept on the app): ``limit`` events an hour per key."""
    attribute = f"portal_{name}_limiter"
    limiter = getattr(request.app.state, attribute, None)
    if not isinstance(limiter, SlidingWindowLimiter):
        limiter = SlidingWindowLimiter(limit, 3600)
        setattr(request.app.state, attribute, limiter)
    return limiter


def _items(body: SubmissionIn) -> list[service.SubmittedItem]:
    return [service.SubmittedItem(
        label=i.label, note=i.note, sha256=i.sha256, md5=i.md5, pdq=i.pdq, quality=i.quality,
        kind=i.kind,
        variants=[service.SubmittedVariant(v.name, v.pdq, v.quality) for v in i.variants],
        regions=[service.SubmittedVariant(v.name, v.pdq, v.quality) for v in i.regions],
        frames=[service.SubmittedFrame(f.frame, f.timestamp, f.quality, f.pdq)
                for f in i.frames or ()])
        for i in body.items]


@router.post("/api/v1/victim/cases", response_model=NewCaseOut, status_code=201,
             tags=["victim"])
def new_case(request: Request, ctx: PublicContext) -> NewCaseOut:
    """Open a case herself, without giving any name or contact. The code and secret are in
    this response only. A few per address and hour."""
    if not _hourly_limiter(request, "new_case", NEW_CASES_PER_HOUR).hit(f"ip:{_client(request)}"):
        raise RateLimited("a case was just opened from here; wait an hour, or call 1366",
                          code="new_case_limited")
    opened = service.open_self_service_case(ctx)
    return NewCaseOut(code=opened.code, secret=opened.secret)


@router.post("/api/v1/victim/fingerprints", response_model=RegisteredOut, status_code=201,
             tags=["victim"])
def register_fingerprints(body: FingerprintsIn, request: Request,
                          ctx: PublicContext) -> RegisteredOut:
    """Register fingerprints computed on her device (never images) in her case's bank.

    The body is a submission (as ``jikimi hash --submission`` writes it) with ``code`` and
    ``secret`` added."""
    _victim_rate(request, body.code)
    result = service.register(ctx, body.code, body.secret, _items(body))
    return RegisteredOut(code=result.code, items=result.items, added=result.added,
                         fingerprints=result.fingerprints)


@router.post("/api/v1/cases/{code}/fingerprints", response_model=RegisteredOut,
             status_code=201, tags=["cases"])
def register_case_fingerprints(
    body: SubmissionIn, ctx: StaffContext,
    code: Annotated[str, PathParam(min_length=3, max_length=40)],
) -> RegisteredOut:
    """The counsellor assigned to a case registers the victim's pictures as fingerprints
    computed in her browser (the portal's modules): the same bank and entries as the portal,
    never the images."""
    result = service.register_for_case(ctx, code, _items(body))
    return RegisteredOut(code=result.code, items=result.items, added=result.added,
                         fingerprints=result.fingerprints)


@router.post("/api/v1/victim/fingerprints/status", response_model=PortalStatusOut,
             tags=["victim"])
def fingerprints_status(body: VictimIn, request: Request, ctx: PublicContext) -> PortalStatusOut:
    """Her case's status, her registered pictures (by her own labels) and what was found."""
    _victim_rate(request, body.code)
    result = service.status(ctx, body.code, body.secret)
    return PortalStatusOut(
        case=result.case, fingerprints=result.fingerprints, found=result.found,
        faces=result.faces,
        takedowns=[TakedownOut.model_validate(t, from_attributes=True)
                   for t in result.takedowns],
        items=[RegisteredItemOut(label=i.label, content_id=i.content_id,
                                 kind="video" if i.kind == "video" else "image",
                                 fingerprints=i.fingerprints, registered_at=i.registered_at,
                                 found=i.found, note=i.note)
               for i in result.items])


@router.post("/api/v1/victim/sharing/withdraw", response_model=VictimCaseView,
             tags=["victim"])
def withdraw_sharing(body: VictimIn, request: Request, ctx: PublicContext) -> VictimCaseView:
    """Stop sharing her fingerprints with partner platforms (they stay with the centre)."""
    _victim_rate(request, body.code)
    return service.withdraw_sharing(ctx, body.code, body.secret)


class ConsentChoiceIn(VictimIn):
    purpose: Literal["partner_sharing", "face_search", "evidence_capture", "police_referral"]
    give: bool = Field(description="true gives the consent, false withdraws it")


@router.post("/api/v1/victim/consents", response_model=VictimCaseView, tags=["victim"])
def consent_choice(body: ConsentChoiceIn, request: Request,
                   ctx: PublicContext) -> VictimCaseView:
    """She gives or withdraws one consent herself (sharing her fingerprints with partner
    platforms, face search, evidence capture, police referral), at once; the same choice the
    counsellor records on the staff consent page."""
    _victim_rate(request, body.code)
    purpose = ConsentPurpose(body.purpose)
    if body.give:
        return service.give_consent(ctx, body.code, body.secret, purpose)
    return service.withdraw_consent(ctx, body.code, body.secret, purpose)


@router.post("/api/v1/victim/faces/consent", response_model=VictimCaseView, tags=["victim"])
def face_consent(body: VictimIn, request: Request, ctx: PublicContext) -> VictimCaseView:
    """She consents to face search (recorded on her case with the time)."""
    _victim_rate(request, body.code)
    return service.consent_face_search(ctx, body.code, body.secret)


@router.post("/api/v1/victim/faces/withdraw", response_model=VictimCaseView, tags=["victim"])
def face_withdraw(body: VictimIn, request: Request, ctx: PublicContext) -> VictimCaseView:
    """She withdraws face search: her face templates are removed at once."""
    _victim_rate(request, body.code)
    return service.withdraw_face_search(ctx, body.code, body.secret)


@router.post("/api/v1/victim/faces", response_model=FacesOut, status_code=201,
             tags=["victim"])
async def face_photo(request: Request, ctx: PublicContext,
                     x_case_code: Annotated[str, Header(min_length=3, max_length=40)],
                     x_case_secret: Annotated[str, Header(min_length=4, max_length=60)],
                     ) -> FacesOut:
    """One reference photo of her face as the raw request body (``Content-Type: image/…``),
    the case code and secret in the ``X-Case-Code`` and ``X-Case-Secret`` headers. The photo
    is read into memory, embedded and discarded: it is never written to disk or the database.
    Needs her face-search consent (``POST /api/v1/victim/faces/consent``)."""
    limiter = _hourly_limiter(request, "face_photo", FACE_PHOTOS_PER_HOUR)
    if not limiter.hit(f"ip:{_client(request)}"):
        raise RateLimited("too many photos for now; wait an hour and try again",
                          code="face_photos_limited", retry_after=3600)
    check_victim_request(request.app.state, _client(request), x_case_code, flood=False)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in FACE_PHOTO_TYPES:
        raise InvalidInput("send the photo itself as the body (Content-Type image/jpeg, "
                           "image/png or image/webp)", code="unsupported_media")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_FACE_PHOTO_BYTES:
            raise InvalidInput(f"the photo is larger than {MAX_FACE_PHOTO_BYTES // 1_000_000} MB",
                               code="face_photo_too_large")
    if not data:
        raise InvalidInput("the photo is empty: choose it again", code="empty_upload")
    photo = bytes(data)
    data.clear()
    result = await run_in_threadpool(service.enroll_faces, ctx, x_case_code, x_case_secret,
                                     [("photo", photo)])
    return FacesOut(code=result.code, photos=result.photos, faces=result.faces,
                    skipped=result.skipped)


# --- pages -----------------------------------------------------------------------------------
_env = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

# The consents she gives or withdraws herself on the status page (every purpose).
_env.globals["consent_purposes"] = [p.value for p in ConsentPurpose]

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
    "Video", "Picture", "Video: frame {done} of {total}",
    "This is not a submission file from the jikimi hash program.",
    "Copies found: {n}. The centre is asking the sites to delete them.",
    "No copies found so far.", "{n} places", "None so far", "On: {n} face templates", "Off",
    "Face search is now off. Your face templates have been deleted.",
    "Copied.", "Could not copy. Please write them down.",
    "Face search needs your consent: tick the box if you agree.",
    "Choose at least one photo of your face.", "Sending photo {n} of {total}…",
    "Something went wrong. Try again.",
    "Face search is on: {faces} face templates were made. The photos were deleted.",
    "{n} photos did not show exactly one face and were not used.",
    "Note for picture {n} (optional, stored encrypted)", "Your note: {note}",
    "No deletion requests yet.", "takedown.preparing", "takedown.requested",
    "takedown.partly_removed", "takedown.removed", "takedown.refused",
    "Give consent", "Withdraw consent", "Given", "Not given", "Consent given: {purpose}.",
    "Consent withdrawn: {purpose}.",
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
                   max_items=MAX_ITEMS, max_label=MAX_LABEL_CHARS, max_note=MAX_NOTE_CHARS)


@router.get("/portal/new", response_class=HTMLResponse, include_in_schema=False)
def new_case_page(request: Request) -> HTMLResponse:
    return _render(request, "portal_new.html", page="new")


@router.get("/portal/faces", response_class=HTMLResponse, include_in_schema=False)
def faces_page(request: Request) -> HTMLResponse:
    return _render(request, "portal_faces.html", page="faces", max_photos=MAX_FACE_PHOTOS)


@router.get("/portal/status", response_class=HTMLResponse, include_in_schema=False)
def status_page(request: Request) -> HTMLResponse:
    return _render(request, "portal_status.html", page="status")


# --- the same pages without JavaScript: every form posts, no secret is ever in a URL ------------
FormText = Annotated[str, Form(max_length=100)]


def _refused(request: Request, template: str, exc: JikimiError, **context: Any) -> HTMLResponse:
    """The page again with the error's sentence (a wrong secret, or wait a little)."""
    message = error_message(exc.code, exc.message, request_language(request))
    response = _render(request, template, message=message, **context)
    response.status_code = exc.http_status
    if exc.http_status == 429:
        response.headers["Retry-After"] = str(exc.details.get("retry_after", 60))
    return response


@router.post("/portal/status", response_class=HTMLResponse, include_in_schema=False)
def status_form(request: Request, ctx: PublicContext, code: FormText = "",
                secret: FormText = "") -> HTMLResponse:
    """Her case's status from the posted form (used when JavaScript is off)."""
    if not code.strip() or not secret.strip():
        return _render(request, "portal_status.html", page="status",
                       message=translate("Enter your case code and secret.",
                                         request_language(request)))
    try:
        _victim_rate(request, code)
        result = service.status(ctx, code, secret)
    except (NotAuthenticated, RateLimited) as exc:
        return _refused(request, "portal_status.html", exc, page="status")
    return _render(request, "portal_status.html", page="status", result=result)


@router.post("/portal/erase", response_class=HTMLResponse, include_in_schema=False)
def erase_form(request: Request, ctx: PublicContext, code: FormText = "", secret: FormText = "",
               confirm: FormText = "") -> HTMLResponse:
    """Erase her data from the posted form (used when JavaScript is off); she types her
    secret again and ticks the confirmation."""
    from jikimi.cases import victim_erase

    lang = request_language(request)
    if not code.strip() or not secret.strip():
        return _render(request, "portal_status.html", page="status",
                       message=translate("Enter your case code and secret.", lang))
    if confirm != "yes":
        return _render(request, "portal_status.html", page="status",
                       message=translate("Tick the box to confirm.", lang))
    try:
        _victim_rate(request, code)
        victim_erase(ctx, code, secret)
    except (NotAuthenticated, RateLimited) as exc:
        return _refused(request, "portal_status.html", exc, page="status")
    return _render(request, "portal_status.html", page="status",
                   message=translate("Your data has been erased.", lang))


@router.post("/portal/consent", response_class=HTMLResponse, include_in_schema=False)
def consent_form(request: Request, ctx: PublicContext, code: FormText = "",
                 secret: FormText = "", purpose: FormText = "",
                 choice: FormText = "") -> HTMLResponse:
    """Give or withdraw one consent from the posted form (used when JavaScript is off); she
    types her secret again. The page then shows her case as it now stands."""
    lang = request_language(request)
    if not code.strip() or not secret.strip():
        return _render(request, "portal_status.html", page="status",
                       message=translate("Enter your case code and secret.", lang))
    if purpose not in ConsentPurpose._value2member_map_ or choice not in ("give", "withdraw"):
        return _render(request, "portal_status.html", page="status",
                       message=translate("Choose a consent and whether you give or withdraw "
                                         "it.", lang))
    chosen = ConsentPurpose(purpose)
    try:
        _victim_rate(request, code)
        if choice == "give":
            service.give_consent(ctx, code, secret, chosen)
        else:
            service.withdraw_consent(ctx, code, secret, chosen)
        result = service.status(ctx, code, secret)
    except (NotAuthenticated, RateLimited) as exc:
        return _refused(request, "portal_status.html", exc, page="status")
    name = translate(f"consent.{purpose}", lang)
    message = translate("Consent given: {purpose}." if choice == "give"
                        else "Consent withdrawn: {purpose}.", lang, purpose=name)
    return _render(request, "portal_status.html", page="status", result=result,
                   message=message)


@router.post("/portal/register", response_class=HTMLResponse, include_in_schema=False)
@router.post("/portal/faces", response_class=HTMLResponse, include_in_schema=False)
def needs_javascript(request: Request) -> HTMLResponse:
    """Registering pictures and face photos needs JavaScript (pictures are fingerprinted on
    her device); a form posted without it sends nothing and says so."""
    page = "faces" if request.url.path.endswith("/faces") else "register"
    message = translate("This page needs JavaScript: your pictures are fingerprinted on this "
                        "device, so nothing was sent. Turn JavaScript on, or ask the centre.",
                        request_language(request))
    if page == "faces":
        return _render(request, "portal_faces.html", page=page, message=message,
                       max_photos=MAX_FACE_PHOTOS)
    return _render(request, "portal_register.html", page=page, message=message,
                   max_items=MAX_ITEMS, max_label=MAX_LABEL_CHARS, max_note=MAX_NOTE_CHARS)


_NAME_RE = re.compile(r"^[a-z]+\.(js|css)$")


@router.get("/portal/static/{name}", include_in_schema=False)
def static(name: str) -> FileResponse:
    """portal.js, pdq.js and portal.css (no directory listing, nothing else)."""
    if not _NAME_RE.match(name) or name not in STATIC_FILES:
        raise NotFound(f"no file {name!r}")
    return FileResponse(STATIC_DIR / name, media_type=STATIC_FILES[name])
