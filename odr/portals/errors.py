"""Errors as the client expects them: problem+json under /api (RFC 9457), pages elsewhere.

A page says what went wrong and what the reader can do next, in the reader's language; it never
shows a stack trace. Messages from the domain come as "中文 / English" and are shown in one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, PermissionDeniedException, ValidationException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ASGIApp, ExceptionHandlersMap, Message, Receive, Scope, Send
from sqlalchemy.exc import SQLAlchemyError

from odr.auth.web import LoginRequired, redirect_to_login
from odr.cases.access import CaseNotFound
from odr.db.engine import database_unavailable
from odr.errors import (
    CaseForbidden,
    ConcurrentChange,
    ConditionsNotMet,
    InvalidData,
    TransitionNotAllowed,
)

log = logging.getLogger("odr.errors")
Label = Mapping[str, str]

TITLES: dict[int, Label] = {
    400: {"zh": "请求有误", "en": "Bad request"},
    403: {"zh": "无权访问", "en": "Forbidden"},
    404: {"zh": "页面不存在", "en": "Not found"},
    405: {"zh": "不支持的请求方式", "en": "Method not allowed"},
    409: {"zh": "操作冲突", "en": "Conflict"},
    413: {"zh": "上传内容过大", "en": "Request too large"},
    415: {"zh": "不支持的内容类型", "en": "Unsupported media type"},
    429: {"zh": "请求过于频繁", "en": "Too many requests"},
    500: {"zh": "服务器内部错误", "en": "Internal server error"},
    503: {"zh": "服务暂时不可用", "en": "Service temporarily unavailable"},
}
# What a person can do about it.
ADVICE: dict[int, Label] = {
    400: {
        "zh": "请返回上一页，检查填写的内容后重试。",
        "en": "Go back, check what you entered and try again.",
    },
    403: {
        "zh": "页面可能已过期（例如长时间未操作）。请返回上一页，刷新后重新提交。",
        "en": "The page may have expired (for example after a long pause). Go back, reload it and send it again.",
    },
    404: {
        "zh": "请检查网址；查询投诉请使用“查询”页面，输入案件编号和查询码。",
        "en": "Check the address; to follow a complaint use the Track page with its case number and access code.",
    },
    405: {
        "zh": "请从页面上的链接或按钮进入。",
        "en": "Please use the links and buttons on the pages.",
    },
    409: {
        "zh": "案件状态可能已经变化。请返回案件页面，刷新后查看现在可以执行的操作。",
        "en": "The case may have changed meanwhile. Go back to the case, reload it and see what can be done now.",
    },
    413: {
        "zh": "每个文件不超过10MB，最多10个文件。请压缩或减少文件后重试。",
        "en": "Each file may be up to 10 MB, at most 10 files. Make them smaller or fewer and try again.",
    },
    429: {"zh": "请稍等片刻再试。", "en": "Please wait a moment and try again."},
    500: {
        "zh": "请稍后重试；如问题持续，可拨打12315热线。",
        "en": "Please try again later; if it persists, call the 12315 hotline.",
    },
    503: {
        "zh": "数据库暂时无法连接，您的操作未被保存。请几分钟后重试；已提交的投诉不受影响。",
        "en": "The database cannot be reached just now and nothing was saved. Please try again in a "
        "few minutes; complaints already filed are safe.",
    },
}
CSRF_FAILED = {"zh": "页面已过期，表单未能提交。", "en": "The page expired: the form was not sent."}
NO_SUCH_CASE = {"zh": "案件不存在。", "en": "No such case."}
CASE_CHANGED = {
    "zh": "案件刚被他人更改，您的操作未被保存。",
    "en": "The case was changed meanwhile: your action was not saved.",
}
NOT_AVAILABLE = {"zh": "该操作当前不可用。", "en": "This action is not available now."}
TRY_LATER = {"zh": "服务暂时出错。", "en": "Something went wrong on our side."}
DATABASE_AWAY = {"zh": "数据库暂时无法连接。", "en": "The database is unreachable for the moment."}
RETRY_AFTER = "30"  # seconds, as the Retry-After header says it


def as_label(text: str | Label | None) -> Label:
    """A {zh, en} label from a domain message "中文 / English" (or either alone)."""
    if isinstance(text, Mapping):
        return text
    zh, sep, en = (text or "").partition(" / ")
    return {"zh": zh.strip(), "en": en.strip()} if sep else {"zh": zh, "en": zh}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _back(request: Request) -> str | None:
    """Where the reader came from, if it is a page of this site."""
    referer = request.headers.get("referer", "")
    base = str(request.base_url).rstrip("/")
    if referer.startswith(base + "/"):
        return referer[len(base) :]
    return None


def problem(status: int, detail: str, errors: list[dict[str, str]] | None = None) -> Response:
    title = TITLES.get(status, {"zh": "错误", "en": "Error"})
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title["en"],
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return Response(body, status_code=status, media_type="application/problem+json")


def error_page(status: int, detail: str | Label | None, request: Request | None = None) -> Template:
    return Template(
        "error.html",
        context={
            "status": status,
            "title": TITLES.get(status, {"zh": "错误", "en": "Error"}),
            "detail": as_label(detail) if detail else None,
            "advice": ADVICE.get(status),
            "back": _back(request) if request is not None else None,
        },
        status_code=status,
        media_type=MediaType.HTML,
    )


def handle_invalid_data(request: Request, exc: InvalidData) -> Response | Template:
    if _is_api(request):
        errors = [{"field": k, "message": v} for k, v in exc.errors.items()]
        return problem(400, "Validation failed: " + ", ".join(exc.errors), errors)
    first = next(iter(exc.errors.values()), "")
    return error_page(400, first, request)


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
    return error_page(400, None, request)


def handle_not_allowed(request: Request, exc: Exception) -> Response | Template:
    if _is_api(request):
        return problem(409, str(exc))
    return error_page(409, NOT_AVAILABLE, request)


def handle_no_such_case(request: Request, exc: Exception) -> Response | Template:
    """A case the actor may not see, or may not act on, is one that does not exist for them."""
    if _is_api(request):
        return problem(404, "no such case")
    return error_page(404, NO_SUCH_CASE, request)


def handle_concurrent_change(request: Request, exc: ConcurrentChange) -> Response | Template:
    if _is_api(request):
        return problem(409, "the case changed meanwhile: read it again and retry")
    return error_page(409, CASE_CHANGED, request)


# RFC 9110: a 401 says how to authenticate. Every JSON API takes a bearer token.
BEARER_CHALLENGE = 'Bearer realm="odr"'


def handle_http(request: Request, exc: HTTPException) -> Response | Template:
    if _is_api(request):
        response = problem(exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})
        if exc.status_code == 401:
            response.headers.setdefault("WWW-Authenticate", BEARER_CHALLENGE)
        return response
    if isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        return error_page(403, CSRF_FAILED, request)
    detail = str(exc.detail)
    # litestar's own English details ("Not Found", ...) add nothing to the title.
    shown = detail if " / " in detail else None
    return error_page(exc.status_code, shown, request)


def handle_database(request: Request, exc: SQLAlchemyError) -> Response | Template:
    """503 with Retry-After when the database is unreachable; any other database error is a 500."""
    if not database_unavailable(exc):
        return handle_internal(request, exc)
    log.warning(
        "database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__
    )
    if _is_api(request):
        response = problem(503, "the database is unreachable for the moment; retry later")
    else:
        response = error_page(503, DATABASE_AWAY, request)
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def handle_internal(request: Request, exc: Exception) -> Response | Template:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    if _is_api(request):
        return problem(500, "internal error")
    return error_page(HTTP_500_INTERNAL_SERVER_ERROR, TRY_LATER, request)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    LoginRequired: redirect_to_login,
    InvalidData: handle_invalid_data,
    ValidationException: handle_validation,
    TransitionNotAllowed: handle_not_allowed,
    ConditionsNotMet: handle_not_allowed,
    CaseNotFound: handle_no_such_case,
    CaseForbidden: handle_no_such_case,
    ConcurrentChange: handle_concurrent_change,
    HTTPException: handle_http,
    SQLAlchemyError: handle_database,
    Exception: handle_internal,
}


def handler_for(exc: Exception) -> Any:
    """The handler of EXCEPTION_HANDLERS for this exception: its nearest class that has one."""
    for cls in type(exc).__mro__:
        if cls in EXCEPTION_HANDLERS:
            return EXCEPTION_HANDLERS[cls]
    return handle_internal


def answer_errors_within(app: ASGIApp) -> ASGIApp:
    """The innermost app middleware: errors raised inside it become their answer right here.

    litestar runs its CSRF check between the app's middleware and the handler's own error
    handling, so a refused form escaped the middleware as an exception and only became a 403
    outside them: the access log and metrics around it recorded a 500 (or a 200) instead.
    """

    async def answering(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await app(scope, receive, watch)
        except Exception as exc:
            if started:  # half an answer is out: nothing else can be sent
                raise
            request: Request[Any, Any, Any] = scope["litestar_app"].request_class(scope, receive)
            response = handler_for(exc)(request, exc)
            await response.to_asgi_response(None, request)(scope, receive, send)

    return answering
