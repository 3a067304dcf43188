"""Errors as JSON: a stable code and a message in the caller's language, never a 500 leak."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from jikimi.accounts import request_language
from jikimi.core.i18n import error_message
from jikimi.errors import JikimiError
from jikimi.web.error_pages import error_page, wants_html

log = logging.getLogger("jikimi.api")


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def error_response(request: Request, exc: JikimiError) -> JSONResponse:
    lang = request_language(request)
    retry_after = exc.details.get("retry_after", 60 if exc.http_status == 429 else 5)
    headers = ({"Retry-After": str(retry_after)} if exc.http_status in (429, 503) else None)
    return JSONResponse(
        error_body(exc.code, error_message(exc.code, exc.message, lang), detail=exc.message),
        status_code=exc.http_status, headers=headers,
    )


def _validation_summary(errors: list[Any]) -> list[dict[str, Any]]:
    summary = []
    for err in errors[:20]:
        summary.append({"loc": [str(p) for p in err.get("loc", ())],
                        "msg": str(err.get("msg", ""))[:300], "type": err.get("type", "")})
    return summary


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(JikimiError)
    async def _jikimi_error(request: Request, exc: JikimiError) -> Response:
        if wants_html(request):
            return error_page(request, exc.http_status,
                              error_message(exc.code, exc.message, request_language(request)))
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        lang = request_language(request)
        if wants_html(request):
            return error_page(request, 422, error_message(
                "form_incomplete", "a field of the form is missing or not valid", lang))
        english = "the request is not valid: check the fields listed in 'fields'"
        return JSONResponse(
            error_body("invalid_request", error_message("invalid_request", english, lang),
                       fields=_validation_summary(list(exc.errors()))),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
            exc.status_code, "http_error")
        lang = request_language(request)
        english = str(exc.detail) if exc.detail else "request failed"
        if wants_html(request):
            return error_page(request, exc.status_code)
        return JSONResponse(error_body(code, error_message(code, english, lang)),
                            status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        if wants_html(request):
            return error_page(request, 500)
        lang = request_language(request)
        english = "something went wrong on our side; nothing was changed. Try again."
        return JSONResponse(error_body("internal_error",
                                       error_message("internal_error", english, lang)),
                            status_code=500)
