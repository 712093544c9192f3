"""Security headers on every kind of response; production mode's cookies and refusals."""

from __future__ import annotations

from dataclasses import replace

import pytest
from litestar.testing import TestClient

from odr.app import create_app
from odr.security.production import InsecureSettings
from odr.settings import DEV_SECRET

ROUTES = [
    ("GET", "/"),  # consumer form (a page)
    ("GET", "/track"),
    ("GET", "/enterprise/login"),
    ("GET", "/static/odr.css"),  # static file
    ("GET", "/health/live"),  # JSON
    ("POST", "/api/v1/complaints"),  # API error (no token)
    ("GET", "/no/such/page"),  # router 404
    ("GET", "/regulator"),  # redirect to the login
    ("GET", "/metrics"),
]


def _assert_security_headers(response, hsts: bool) -> None:  # type: ignore[no-untyped-def]
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in directives["style-src"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert ("strict-transport-security" in response.headers) is hsts


@pytest.mark.parametrize("method,path", ROUTES)
def test_every_kind_of_response_has_the_security_headers(client, method, path):
    response = client.client.request(method, path, follow_redirects=False)
    assert response.status_code < 500, response.text[:500]
    _assert_security_headers(response, hsts=False)


def test_a_csrf_refusal_has_them_too(client):
    client.get("/")
    response = client.client.post("/", data={"_csrf_token": "stale"})
    assert response.status_code == 403
    _assert_security_headers(response, hsts=False)


def test_no_template_needs_inline_script(client):
    page = client.get("/")
    assert "<script>" not in page.text and " onclick=" not in page.text
    assert '<script src="/static/odr.js"' in page.text


def test_development_cookies_are_httponly_and_samesite(client):
    client.get("/")
    cookie = client.client.cookies.jar
    csrf = next(c for c in cookie if c.name == "odr_csrf")
    assert csrf.has_nonstandard_attr("HttpOnly")
    response = client.client.get("/lang/en", follow_redirects=False)
    set_cookie = response.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie


@pytest.fixture(scope="module")
def production_app(settings, demo_logins):  # type: ignore[no-untyped-def]
    return create_app(replace(settings, environment="production", secret_key="s" * 48))


def test_production_refuses_the_development_secret(settings):
    with pytest.raises(InsecureSettings, match="ODR_SECRET_KEY"):
        create_app(replace(settings, environment="production", secret_key=DEV_SECRET))
    with pytest.raises(InsecureSettings, match="ODR_SECRET_KEY is too short"):
        create_app(replace(settings, environment="production", secret_key="short-secret"))


def test_production_cookies_are_secure_and_headers_include_hsts(production_app, demo_logins):
    with TestClient(production_app, base_url="https://127.0.0.1") as test_client:
        form = test_client.get("/enterprise/login")
        _assert_security_headers(form, hsts=True)
        csrf_cookie = form.headers["set-cookie"].lower()
        assert "secure" in csrf_cookie and "httponly" in csrf_cookie
        assert "samesite=lax" in csrf_cookie
        response = test_client.post(
            "/enterprise/login",
            data={
                "_csrf_token": test_client.cookies["odr_csrf"],
                "username": "meituan",
                "password": demo_logins["meituan"],
            },
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text[:500]
        cookies = [v.lower() for k, v in response.headers.multi_items() if k == "set-cookie"]
        session = [c for c in cookies if c.startswith("odr_session")]
        assert session and all(
            "secure" in c and "httponly" in c and "samesite=lax" in c for c in session
        )
        language = test_client.get("/lang/en", follow_redirects=False).headers["set-cookie"]
        assert "secure" in language.lower()
        _assert_security_headers(test_client.get("/no/such/page"), hsts=True)


def test_odr_serve_refuses_to_start_with_the_development_secret(settings):
    from click.testing import CliRunner

    from odr.cli import main

    env = {"ODR_ENV": "production", "ODR_SECRET_KEY": "", "ODR_DATABASE_URL": settings.database_url}
    result = CliRunner().invoke(main, ["serve", "--port", "1"], env=env)
    assert result.exit_code == 1
    assert "ODR_SECRET_KEY" in result.output
