"""Errors as the client expects them: problem+json under /api (RFC 9457), pages elsewhere."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from odr.auth.web import LoginRequired, redirect_to_login
from odr.engine.workflow import ConditionsNotMet, InvalidData, TransitionNotAllowed

log = logging.getLogger("odr.errors")
TITLES = {
    400: ("请求有误", "Bad request"),
    403: ("无权访问", "Forbidden"),
    404: ("页面不存在", "Not found"),
    405: ("不支持的请求方式", "Method not allowed"),
    409: ("操作冲突", "Conflict"),
    413: ("上传内容过大", "Request too large"),
    500: ("服务器内部错误", "Internal server error"),
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def problem(status: int, detail: str, errors: list[dict[str, str]] | None = None) -> Response:
    zh, en = TITLES.get(status, ("错误", "Error"))
    body: dict[str, Any] = {"type": "about:blank", "title": en, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return Response(body, status_code=status, media_type="application/problem+json")


def error_page(status: int, detail: str) -> Template:
    zh, en = TITLES.get(status, ("错误", "Error"))
    return Template(
        "error.html",
        context={"status": status, "title_zh": zh, "title_en": en, "detail": detail},
        status_code=status,
        media_type=MediaType.HTML,
    )


def handle_invalid_data(request: Request, exc: InvalidData) -> Response | Template:
    if _is_api(request):
        errors = [{"field": k, "message": v} for k, v in exc.errors.items()]
        return problem(400, "Validation failed: " + ", ".join(exc.errors), errors)
    return error_page(400, str(exc))


def handle_validation(request: Request, exc: ValidationException) -> Response | Template:
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors = [
        {
            "field": str(item.get("key") or item.get("source") or "body"),
            "message": str(item.get("message", "")),
        }
        for item in extra
        if isinstance(item, dict)
    ]
    if _is_api(request):
        return problem(400, str(exc.detail), errors)
    return error_page(400, str(exc.detail))


def handle_not_allowed(request: Request, exc: Exception) -> Response | Template:
    if _is_api(request):
        return problem(409, str(exc))
    return error_page(409, "该操作当前不可用 / this action is not available now")


def handle_http(request: Request, exc: HTTPException) -> Response | Template:
    if _is_api(request):
        return problem(exc.status_code, str(exc.detail))
    return error_page(exc.status_code, str(exc.detail))


def handle_internal(request: Request, exc: Exception) -> Response | Template:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    if _is_api(request):
        return problem(500, "internal error")
    return error_page(HTTP_500_INTERNAL_SERVER_ERROR, "请稍后重试 / please try again later")


EXCEPTION_HANDLERS = {
    LoginRequired: redirect_to_login,
    InvalidData: handle_invalid_data,
    ValidationException: handle_validation,
    TransitionNotAllowed: handle_not_allowed,
    ConditionsNotMet: handle_not_allowed,
    HTTPException: handle_http,
    Exception: handle_internal,
}
