"""A browser for the app in tests: a TestClient that fills in the CSRF token as a form would."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient


class Browser:
    """A TestClient that fills in the CSRF token the way a browser's form would."""

    def __init__(self, client: TestClient):
        self.client = client

    def csrf(self) -> str:
        if "odr_csrf" not in self.client.cookies:
            self.client.get("/track")
        return self.client.cookies["odr_csrf"]

    def get(self, url: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, files: Any = None, **kwargs: Any):  # type: ignore[no-untyped-def]
        form = {"_csrf_token": self.csrf(), **(data or {})}
        return self.client.post(url, data=form, files=files, **kwargs)

    def login(self, portal: str, username: str, password: str) -> None:
        response = self.post(f"/{portal}/login", {"username": username, "password": password})
        assert response.status_code == 200, response.text  # followed the 303 to the portal
        assert str(response.url).rstrip("/").endswith(f"/{portal}")
