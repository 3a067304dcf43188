"""Every operation of the OpenAPI schema documents its error answers, with the one error body.

Authentication, authorisation, missing records, conflicts, invalid input and rate limits can
answer any operation (401, 403, 404, 409, 422, 429); operations with a request body can answer
413 (the body size limits); operations that decode media can answer 415 (not a format jikimi
reads) and 503 (the decode memory budget, with ``Retry-After``). Each is described with the
error body every error has::

    {"error": {"code": "...", "message": "...", "detail": "...", "fields": [...]}}
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA_NAME = "ErrorBody"
ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR_SCHEMA_NAME,
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "description": "stable, for programs (and translation)"},
            "message": {"type": "string", "description": "in the caller's language"},
            "detail": {"type": "string", "description": "the English message"},
            "fields": {"type": "array", "description": "invalid fields (422)", "items": {
                "type": "object", "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "msg": {"type": "string"}, "type": {"type": "string"}}}},
        },
    }},
}
ALWAYS = {
    "401": "Not logged in, or the session, token or victim's secret is not right",
    "403": "Logged in, but not allowed to do this (or to this record)",
    "404": "No such record (or not one the caller may know of)",
    "409": "The record's current state does not allow this",
    "422": "The request is not valid (the fields are listed)",
    "429": "Too many attempts: wait for Retry-After seconds",
}
BODY_TOO_LARGE = "The request body is larger than this route's limit"
BUSY = "The server's decode memory budget is full: retry after Retry-After seconds"
UNSUPPORTED = "The file is not an image or video jikimi reads"
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
# Operations that decode images or video (uploads, previews, face photos, captures).
DECODING = re.compile(r"/(hash|match|faces|files|preview|image|frame|capture|evidence|victim/)")


def _response(description: str, *, retry: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}}}}
    if retry:
        response["headers"] = RETRY_AFTER
    return response


def add_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error answers to every operation of ``schema`` (in place; returned)."""
    schema.setdefault("components", {}).setdefault("schemas", {})[ERROR_SCHEMA_NAME] = \
        ERROR_SCHEMA
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "delete", "patch", "head", "options"):
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ALWAYS.items():
                responses[status] = _response(description, retry=status == "429")
            if "requestBody" in operation or method in ("post", "put", "patch"):
                responses["413"] = _response(BODY_TOO_LARGE)
            if DECODING.search(path):
                responses["415"] = _response(UNSUPPORTED)
                responses["503"] = _response(BUSY, retry=True)
    return schema


def install_error_responses(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the schema with every operation's error answers."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_error_responses(get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
