"""Staff web page for subscriptions to other hotlines' exchanges (StopNCII, NCMEC,
ThreatExchange, a hash-list file): list them, subscribe a bank, fetch now.

The fields of each exchange come from the exchange's own settings and credentials classes
(python-threatexchange), so the form asks for what that exchange takes; :func:`jikimi.partners.
subscribe` checks who may subscribe and the values themselves. Credentials are stored
encrypted and never shown again.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jikimi import matching, partners
from jikimi.accounts import StaffUser, get_runtime
from jikimi.core.actors import Role
from jikimi.core.context import ServiceContext
from jikimi.errors import Conflict, Forbidden, InvalidInput, JikimiError
from jikimi.web.form_support import error_text, undo_on_error
from jikimi.web.rendering import render
from jikimi.web.routes import page_errors, staff_page

router = APIRouter(include_in_schema=False)

EXCHANGE_LABELS = {"local_file": "A hash-list file", "stopncii": "StopNCII",
                   "ncmec": "NCMEC", "fb_threatexchange": "Meta ThreatExchange"}
FIELD_LABELS = {
    "filename": "Hash-list file on the server",
    "signal_type": "Kind of fingerprint in the file (empty: every kind)",
    "environment": "NCMEC environment",
    "only_esp_ids": "Only these ESP ids (comma-separated, optional)",
    "privacy_group": "Privacy group id",
    "fetch_function_key": "Fetch function key",
    "subscription_key": "Subscription key",
    "base_url_override": "Other base address (optional)",
    "user": "User name",
    "password": "Password",
    "api_token": "API token",
}
MAX_FIELD_CHARS = 2000


@dataclasses.dataclass(frozen=True)
class ExchangeField:
    """One field of an exchange's settings or credentials, as the form shows it."""

    name: str
    kind: str  # "text", "number", "choice", "numbers", "secret"
    required: bool
    choices: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return FIELD_LABELS.get(self.name, self.name)


def _may_subscribe(user: StaffUser) -> None:
    if user.role not in (Role.ANALYST, Role.ADMIN, Role.CENTRAL_ADMIN):
        raise Forbidden("subscriptions are managed by analysts and administrators")


def exchange_fields(kind: str) -> tuple[list[ExchangeField], list[ExchangeField]]:
    """The settings and the credentials an exchange takes, from its own classes."""
    cls = partners.exchange_class(kind)
    config_cls = cls.get_config_cls()
    hints = typing.get_type_hints(config_cls)
    settings: list[ExchangeField] = []
    for f in dataclasses.fields(config_cls):
        if not f.init or f.name in ("name", "api", "enabled"):
            continue
        hint = hints.get(f.name)
        args = typing.get_args(hint)
        optional = type(None) in args
        required = (f.default is dataclasses.MISSING
                    and f.default_factory is dataclasses.MISSING and not optional)
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            settings.append(ExchangeField(f.name, "choice", required,
                                          tuple(hint.__members__)))
        elif hint is int:
            settings.append(ExchangeField(f.name, "number", required))
        elif typing.get_origin(hint) in (set, frozenset, list) and args == (int,):
            settings.append(ExchangeField(f.name, "numbers", False))
        else:
            settings.append(ExchangeField(f.name, "text", required))
    credentials: list[ExchangeField] = []
    cred_cls = getattr(cls, "get_credential_cls", None)
    if cred_cls is not None:
        for f in dataclasses.fields(cred_cls()):
            optional = f.default is not dataclasses.MISSING
            credentials.append(ExchangeField(f.name, "secret", not optional))
    return settings, credentials


def form_settings(fields: list[ExchangeField], values: dict[str, str]) -> dict[str, Any]:
    """The exchange's settings as JSON values from the form (empty optional fields left out)."""
    out: dict[str, Any] = {}
    for field in fields:
        raw = values.get(field.name, "").strip()
        if not raw:
            continue
        if field.kind == "number":
            try:
                out[field.name] = int(raw)
            except ValueError:
                raise InvalidInput(f"{raw!r} is not a whole number", code="not_a_number",
                                   field=field.name) from None
        elif field.kind == "numbers":
            try:
                out[field.name] = [int(p) for p in raw.replace(" ", "").split(",") if p]
            except ValueError:
                raise InvalidInput(f"{raw!r} is not a list of whole numbers",
                                   code="not_a_number", field=field.name) from None
        else:
            out[field.name] = raw
    return out


def _subscription_banks(ctx: ServiceContext) -> list[str]:
    return [b.name for b in matching.list_banks(ctx)
            if b.case_code is None and not b.negative and b.name]


def _page(request: Request, ctx: ServiceContext, user: StaffUser, csrf: str, exchange: str,
          *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    _may_subscribe(user)
    exchange = exchange if exchange in partners.EXCHANGES else ""
    settings, credentials = exchange_fields(exchange) if exchange else ([], [])
    return render(request, "subscriptions.html", status_code=status_code, user=user,
                  csrf=csrf, subscriptions=partners.list_subscriptions(ctx),
                  exchanges=list(partners.EXCHANGES), exchange_labels=EXCHANGE_LABELS,
                  exchange=exchange, settings_fields=settings,
                  credential_fields=credentials, banks=_subscription_banks(ctx),
                  values=values or {}, errors=errors or {})


@router.get("/subscriptions", response_class=HTMLResponse)
@page_errors
def subscriptions_page(request: Request, exchange: str = "") -> Response:
    with staff_page(request) as (ctx, user, csrf):
        return _page(request, ctx, user, csrf, exchange[:40])


@router.post("/subscriptions", response_class=HTMLResponse)
async def subscriptions_add(request: Request) -> Response:
    """The fields depend on the exchange, so the form is read whole (text fields only, each
    cut to a bounded length) and handled on a worker thread like every other page."""
    form = await request.form(max_files=0, max_fields=60)
    values = {k: v[:MAX_FIELD_CHARS] for k, v in form.items() if isinstance(v, str)}
    response: Response = await run_in_threadpool(_subscribe, request=request, values=values)
    return response


@page_errors
def _subscribe(request: Request, values: dict[str, str]) -> Response:
    exchange = values.get("exchange", "")
    with staff_page(request, values.get("csrf_token", "")) as (ctx, user, csrf):
        _may_subscribe(user)
        kept = {k: v for k, v in values.items()
                if not k.startswith("cred_") and k != "csrf_token"}
        try:
            with undo_on_error(ctx):
                if exchange not in partners.EXCHANGES:
                    raise InvalidInput("choose an exchange", code="bad_exchange",
                                       field="exchange")
                settings_fields, credential_fields = exchange_fields(exchange)
                settings = form_settings(settings_fields,
                                         {f.name: values.get(f"set_{f.name}", "")
                                          for f in settings_fields})
                credentials = {f.name: values[f"cred_{f.name}"] for f in credential_fields
                               if values.get(f"cred_{f.name}", "").strip()}
                partners.subscribe(ctx, values.get("name", ""), values.get("bank", ""),
                                   exchange, settings, credentials or None)
        except JikimiError as exc:
            if not isinstance(exc, InvalidInput | Conflict):
                raise
            field = str(exc.details.get("field") or "")
            key = (f"set_{field}" if field and field not in ("exchange",) else field) or (
                "name" if "subscription" in exc.message else
                "bank" if "bank" in exc.message else "form")
            return _page(request, ctx, user, csrf, exchange, values=kept,
                         errors={key: error_text(request, exc)}, status_code=422)
    return RedirectResponse("/subscriptions?added=1", status_code=303)


@router.post("/subscriptions/{name}/fetch", response_class=HTMLResponse)
@page_errors
def subscriptions_fetch(request: Request, name: str,
                        csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, user, _csrf):
        _may_subscribe(user)
        actor = ctx.actor
    partners.fetch(get_runtime(request), actor, name[:120])  # outside the page's transaction
    return RedirectResponse("/subscriptions?fetched=1", status_code=303)
