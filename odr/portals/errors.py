"""Errors as the client expects them: problem+json under /api (RFC 9457), pages elsewhere.

A page says what went wrong and what the reader can do next, in the reader's language; it never
shows a stack trace. Messages of the code (odr/text.py) are shown in the reader's language
through the catalogues; an API's answer gives them in both.
"""

from __future__ import annotations

import logging
import re
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
from odr.text import N_, both, translate

log = logging.getLogger("odr.errors")
CJK = re.compile("[\u4e00-\u9fff]")  # a message of ours: its id is Chinese (odr/text.py)

TITLES: dict[int, str] = {
    400: N_("请求有误"),
    403: N_("无权访问"),
    404: N_("页面不存在"),
    405: N_("不支持的请求方式"),
    409: N_("操作冲突"),
    413: N_("上传内容过大"),
    415: N_("不支持的内容类型"),
    429: N_("请求过于频繁"),
    500: N_("服务器内部错误"),
    503: N_("服务暂时不可用"),
}
# What a person can do about it.
ADVICE: dict[int, str] = {
    400: N_("请返回上一页，检查填写的内容后重试。"),
    403: N_("页面可能已过期（例如长时间未操作）。请返回上一页，刷新后重新提交。"),
    404: N_("请检查网址；查询投诉请使用“查询”页面，输入案件编号和查询码。"),
    405: N_("请从页面上的链接或按钮进入。"),
    409: N_("案件状态可能已经变化。请返回案件页面，刷新后查看现在可以执行的操作。"),
    413: N_("每个文件不超过10MB，最多10个文件。请压缩或减少文件后重试。"),
    429: N_("请稍等片刻再试。"),
    500: N_("请稍后重试；如问题持续，可拨打12315热线。"),
    503: N_("数据库暂时无法连接，您的操作未被保存。请几分钟后重试；已提交的投诉不受影响。"),
}
CSRF_FAILED = N_("页面已过期，表单未能提交。")
NO_SUCH_CASE = N_("案件不存在。")
CASE_CHANGED = N_("案件刚被他人更改，您的操作未被保存。")
NOT_AVAILABLE = N_("该操作当前不可用。")
TRY_LATER = N_("服务暂时出错。")
DATABASE_AWAY = N_("数据库暂时无法连接。")
RETRY_AFTER = "30"  # seconds, as the Retry-After header says it


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
    """problem+json (RFC 9457): the title in English, our own details and field messages in both
    languages (an API's client has no language switch)."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": translate(TITLES.get(status, N_("错误")), "en"),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return Response(body, status_code=status, media_type="application/problem+json")


def error_page(status: int, detail: str | None, request: Request | None = None) -> Template:
    return Template(
        "error.html",
        context={
            "status": status,
            "title": TITLES.get(status, N_("错误")),
            "detail": detail or None,
            "advice": ADVICE.get(status),
            "back": _back(request) if request is not None else None,
        },
        status_code=status,
        media_type=MediaType.HTML,
    )


def handle_invalid_data(request: Request, exc: InvalidData) -> Response | Template:
    if _is_api(request):
        errors = [{"field": k, "message": both(v)} for k, v in exc.errors.items()]
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
        response = problem(exc.status_code, both(str(exc.detail)))
        response.headers.update(exc.headers or {})
        if exc.status_code == 401:
            response.headers.setdefault("WWW-Authenticate", BEARER_CHALLENGE)
        return response
    if isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        return error_page(403, CSRF_FAILED, request)
    detail = str(exc.detail)
    # Ours are messages of the catalogues (Chinese ids); litestar's own English details ("Not
    # Found", ...) add nothing to the title.
    shown = detail if CJK.search(detail) else None
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
