"""The domain's errors as the client expects them: a case an actor may not see (or not act on)
is a 404 that reveals nothing, a case changed meanwhile a 409; problem+json under /api."""

from __future__ import annotations

from litestar import Litestar, get
from litestar.params import FromPath
from litestar.testing import TestClient

from odr.cases.access import CaseNotFound
from odr.errors import CaseForbidden, ConcurrentChange
from odr.portals.errors import EXCEPTION_HANDLERS


@get("/api/v1/raise/{name:str}", sync_to_thread=False)
def raise_domain_error(name: FromPath[str]) -> None:
    raise {
        "not_found": CaseNotFound("C1"),
        "forbidden": CaseForbidden("C1"),
        "changed": ConcurrentChange("C1"),
    }[name]


def test_domain_errors_are_problems_under_api():
    app = Litestar([raise_domain_error], exception_handlers=EXCEPTION_HANDLERS)  # type: ignore[arg-type]
    with TestClient(app) as client:
        for name, status in (("not_found", 404), ("forbidden", 404), ("changed", 409)):
            response = client.get(f"/api/v1/raise/{name}")
            assert response.status_code == status, name
            assert response.headers["content-type"] == "application/problem+json"
            assert "C1" not in response.json()["detail"]  # nothing about the case itself


def test_a_case_not_found_is_a_page_in_the_readers_language(other_client, demo_logins):
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    page = other_client.get("/enterprise/cases/NO-SUCH-CASE")
    assert page.status_code == 404 and "案件不存在" in page.text
    other_client.get("/lang/en")
    page = other_client.get("/enterprise/cases/NO-SUCH-CASE")
    assert page.status_code == 404 and "No such case" in page.text
