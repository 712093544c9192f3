"""Errors are pages a person can act on, in their language; never a stack trace."""

from __future__ import annotations

from complaints import complaint_form


def test_not_found_in_chinese_and_english(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert "页面不存在" in page.text and "查询" in page.text and 'href="/"' in page.text
    assert "Traceback" not in page.text
    client.get("/lang/en")
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert "Not found" in page.text and "Track page" in page.text
    assert "页面不存在" not in page.text


def test_an_expired_form_explains_what_to_do(client):
    client.get("/")
    response = client.client.post("/", data=complaint_form(_csrf_token="stale"))
    assert response.status_code == 403
    assert "页面已过期" in response.text and "刷新" in response.text
    assert "CSRF" not in response.text


def test_a_case_nobody_may_see_says_so_in_the_readers_language(client):
    client.get("/lang/en")
    page = client.get("/evidence/999999")
    assert page.status_code == 404
    assert "no such file" in page.text and "文件不存在" not in page.text


def test_an_action_no_longer_possible_is_a_conflict_page_with_a_way_back(client, file_complaint):
    number, _ = file_complaint()
    client.post(f"/track/{number}/act/withdraw", {"reason": "已解决"})
    again = client.post(
        f"/track/{number}/act/withdraw",
        {"reason": "再来一次"},
        headers={"referer": f"http://127.0.0.1/track/{number}"},
    )
    assert again.status_code == 409
    assert "该操作当前不可用" in again.text


def test_wrong_secrets_answer_a_page_not_json(client):
    """A wrong password or access code is a page the browser renders, not markup shown as text."""
    for url, form in (
        ("/enterprise/login", {"username": "nobody", "password": "wrong"}),
        ("/regulator/login", {"username": "nobody", "password": "wrong"}),
        ("/track", {"number": "NO-SUCH", "access_code": "WRONG"}),
    ):
        response = client.post(url, form)
        assert response.status_code == 400, url
        assert response.headers["content-type"].startswith("text/html"), url
        assert "<html" in response.text


def test_every_page_route_renders_html(app):
    """A handler annotated `Any` makes litestar send its Template as JSON: no page route may."""
    from litestar import MediaType
    from litestar.handlers import HTTPRouteHandler

    json_pages = []
    for route in app.routes:
        if route.path.startswith(("/api", "/schema", "/health", "/metrics", "/static")):
            continue
        for handler in getattr(route, "route_handlers", []):
            if isinstance(handler, HTTPRouteHandler) and handler.media_type == MediaType.JSON:
                json_pages.append(f"{route.path} {sorted(handler.http_methods)}")
    assert json_pages == [], json_pages
