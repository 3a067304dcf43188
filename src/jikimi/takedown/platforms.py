"""The platform directory in use: the seeded data file with the admins' edits laid over it.

Admins edit platforms through :func:`update_platform`; an edit stores the whole record in the
database (``platform_overrides``), validated by the same model as the file, so the packaged
file stays the reviewed baseline and an edit can be undone (:func:`reset_platform`). A URL on
a site the directory does not list maps to an *unlisted* platform keyed ``site:<host>``: its
notices are prepared in English for the analyst to send through the site's own channel.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from jikimi.core.actors import ActorKind, Role
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.errors import Forbidden, InvalidInput, NotFound
from jikimi.takedown.directory import (
    DEFAULT_DIRECTORY_PATH,
    Channel,
    ChannelKind,
    Platform,
    PlatformDirectory,
    host_of_url,
    load_directory,
)
from jikimi.takedown.models import PlatformOverride
from jikimi.takedown.schemas import PlatformOut

UNLISTED_PREFIX = "site:"
UNLISTED_RESPONSE_HOURS = 72


@lru_cache(maxsize=2)
def _seeded(_mtime_ns: int) -> PlatformDirectory:
    return load_directory()


def seeded_directory() -> PlatformDirectory:
    """The packaged ``platforms.json`` (re-read when the file changes)."""
    return _seeded(DEFAULT_DIRECTORY_PATH.stat().st_mtime_ns)


def _overrides(session: Session) -> list[PlatformOverride]:
    return list(session.scalars(select(PlatformOverride).order_by(PlatformOverride.platform_id)))


def platform_directory(session: Session) -> PlatformDirectory:
    """The directory in use: seeded platforms, replaced or extended by the admins' records."""
    seeded = seeded_directory()
    overrides = _overrides(session)
    if not overrides:
        return seeded
    records = {p.id: p.model_dump(mode="json") for p in seeded.platforms}
    for row in overrides:
        records[row.platform_id] = json.loads(row.data)
    data = seeded.model_dump(mode="json")
    data["platforms"] = list(records.values())
    return PlatformDirectory.model_validate(data)


def unlisted_platform(host: str) -> Platform:
    """A stand-in for a site the directory does not list (English, no documented contact)."""
    return Platform(
        id="unlisted", name=host, legal_entity=None, legal_entity_verified=False,
        jurisdiction=None, language="en", language_verified=False,
        response_hours=UNLISTED_RESPONSE_HOURS,
        response_hours_basis="Centre default for sites the directory does not list.",
        channels=(Channel(kind=ChannelKind.WEB_FORM, address=None, verified=False,
                          note="Not in the platform directory: find the site's (or its "
                               "host's) abuse contact, and ask an admin to add the site."),),
        domains=())


def resolve_url(directory: PlatformDirectory, url: str) -> tuple[str, Platform] | None:
    """The platform key (directory id, or ``site:<host>``) and record for a URL; None when
    the URL has no host."""
    platform = directory.platform_for_url(url)
    if platform is not None:
        return platform.id, platform
    host = host_of_url(url)
    if host is None:
        return None
    return UNLISTED_PREFIX + host, unlisted_platform(host)


def platform_for_key(directory: PlatformDirectory, key: str) -> Platform:
    """The record behind a stored platform key (an unlisted stand-in for ``site:`` keys, and
    for a platform an admin has since deleted)."""
    if key.startswith(UNLISTED_PREFIX):
        return unlisted_platform(key[len(UNLISTED_PREFIX):])
    return directory.get(key) or unlisted_platform(key)


# --- staff access ----------------------------------------------------------------------------
def _may_read(ctx: ServiceContext) -> None:
    if ctx.actor.kind is ActorKind.SYSTEM or ctx.actor.is_staff:
        return
    raise Forbidden("the platform directory is for staff")


def _may_edit(ctx: ServiceContext) -> None:
    if ctx.actor.kind is ActorKind.SYSTEM or ctx.actor.has_role(Role.ADMIN, Role.CENTRAL_ADMIN):
        return
    raise Forbidden("only administrators edit the platform directory")


def _out(platform: Platform, row: PlatformOverride | None) -> PlatformOut:
    record = platform.model_dump(mode="json")
    return PlatformOut(
        id=platform.id, name=platform.name, legal_entity=platform.legal_entity,
        legal_entity_verified=platform.legal_entity_verified,
        jurisdiction=platform.jurisdiction, language=platform.language,
        language_verified=platform.language_verified, response_hours=platform.response_hours,
        response_hours_basis=platform.response_hours_basis, channels=record["channels"],
        domains=record["domains"], notes=platform.notes,
        has_unverified_contacts=platform.has_unverified_contacts
        or not platform.legal_entity_verified,
        overridden=row is not None, updated_at=row.updated_at if row else None,
        updated_by=row.updated_by if row else None, record=record)


def list_platforms(ctx: ServiceContext) -> list[PlatformOut]:
    """Every platform of the directory in use, with admins' edits marked."""
    _may_read(ctx)
    rows = {r.platform_id: r for r in _overrides(ctx.session)}
    return [_out(p, rows.get(p.id)) for p in platform_directory(ctx.session).platforms]


def get_platform(ctx: ServiceContext, platform_id: str) -> PlatformOut:
    _may_read(ctx)
    platform = platform_directory(ctx.session).get(platform_id)
    if platform is None:
        raise NotFound(f"no platform {platform_id!r} in the directory")
    return _out(platform, ctx.session.get(PlatformOverride, platform_id))


def update_platform(ctx: ServiceContext, platform_id: str, changes: dict[str, Any]
                    ) -> PlatformOut:
    """Change fields of a platform (or add a platform with a whole record); admins only.

    ``changes`` holds top-level fields of the record (``channels`` and ``domains`` are
    replaced as a whole). The result must validate like the seeded file: every channel says
    whether it is ``verified``, domains stay unique across platforms.
    """
    _may_edit(ctx)
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput("give the fields to change")
    if "id" in changes and changes["id"] != platform_id:
        raise InvalidInput("a platform's id cannot change")
    directory = platform_directory(ctx.session)
    current = directory.get(platform_id)
    record: dict[str, Any] = current.model_dump(mode="json") if current else {"id": platform_id}
    record.update(changes)
    try:
        platform = Platform.model_validate(record)
        data = directory.model_dump(mode="json")
        data["platforms"] = [p for p in data["platforms"] if p["id"] != platform_id]
        data["platforms"].append(platform.model_dump(mode="json"))
        PlatformDirectory.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "record"
        raise InvalidInput(f"invalid platform record at {where}: {first['msg']}",
                           code="invalid_platform") from exc
    row = ctx.session.get(PlatformOverride, platform_id)
    now = utcnow()
    if row is None:
        row = PlatformOverride(platform_id=platform_id, data="{}", updated_by=ctx.actor.ref)
        ctx.session.add(row)
    row.data = json.dumps(platform.model_dump(mode="json"), ensure_ascii=False)
    row.updated_at = now
    row.updated_by = ctx.actor.ref
    ctx.session.flush()
    ctx.audit("platform.update" if current else "platform.create", "platform", platform_id,
              centre_id=ctx.actor.centre_id, details={"fields": sorted(changes)})
    return _out(platform, row)


def reset_platform(ctx: ServiceContext, platform_id: str) -> None:
    """Drop an admin's edit: the seeded record applies again (or the added platform goes)."""
    _may_edit(ctx)
    row = ctx.session.get(PlatformOverride, platform_id)
    if row is None:
        raise NotFound(f"platform {platform_id!r} has no edit to undo")
    ctx.session.delete(row)
    ctx.session.flush()
    ctx.audit("platform.reset", "platform", platform_id, centre_id=ctx.actor.centre_id)
