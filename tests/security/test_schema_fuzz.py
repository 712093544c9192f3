"""schemathesis against /schema: every operation of the JSON API, in process, with its
credentials; no 5xx, and every answer (status, content type, body) as the schema says."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from odr.app import create_app
from odr.settings import Settings

TOKEN_12315 = "fuzz-12315-token"
MAX_EXAMPLES = 50


@pytest.fixture(scope="module")
def fuzz_app(settings: Settings, demo_logins: dict[str, str]) -> Litestar:
    return create_app(replace(settings, transfer_token=TOKEN_12315))


@pytest.fixture(scope="module")
def fuzz_client(fuzz_app: Litestar) -> Iterator[TestClient]:
    with TestClient(fuzz_app, base_url="http://127.0.0.1") as client:  # lifespan runs
        yield client


@pytest.fixture
def enterprise_token(fuzz_client: TestClient, demo_logins: dict[str, str], factory) -> str:  # type: ignore[no-untyped-def]
    """A fresh API token of 美团优选 (clean_cases empties the tokens before each test)."""
    fuzz_client.cookies.clear()
    fuzz_client.get("/enterprise/login")
    csrf = fuzz_client.cookies["odr_csrf"]
    fuzz_client.post(
        "/enterprise/login",
        data={"_csrf_token": csrf, "username": "meituan", "password": demo_logins["meituan"]},
    )
    page = fuzz_client.post(
        "/enterprise/settings/tokens", data={"_csrf_token": csrf, "token_name": "fuzz"}
    )
    fuzz_client.cookies.clear()
    return re.search(r'id="api-token">([^<]+)<', page.text).group(1)  # type: ignore[union-attr]


@pytest.fixture
def api_schema(fuzz_app: Litestar, fuzz_client: TestClient):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_dict(fuzz_client.get("/schema/openapi.json").json())


# Every operation of /schema (the test below checks the list is complete).
OPERATIONS = [
    ("POST", "/api/v1/complaints"),
    ("GET", "/api/v1/cases/{number}"),
    ("GET", "/api/v1/respondents"),
    ("POST", "/api/v1/intake/12315"),
    ("GET", "/api/v1/intake/12315/updates"),
    ("GET", "/api/v1/enterprise/cases"),
    ("GET", "/api/v1/enterprise/cases/{number}"),
    ("POST", "/api/v1/enterprise/cases/{number}/actions/{trigger}"),
]


def test_schema_documents_only_the_api(fuzz_client: TestClient):
    paths = fuzz_client.get("/schema/openapi.json").json()["paths"]
    operations = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    assert operations == set(OPERATIONS)  # no HTML portal pages, no operation left untested


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_operation(method, path, api_schema, fuzz_app, enterprise_token):  # type: ignore[no-untyped-def]
    token = TOKEN_12315 if path.startswith("/api/v1/intake/12315") else enterprise_token
    operation = api_schema[path][method]

    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    # Valid requests and invalid ones (where the schema leaves something to get wrong).
    @given(
        st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )
    )
    def check(case) -> None:  # type: ignore[no-untyped-def]
        headers = {"Authorization": f"Bearer {token}", **(case.headers or {})}
        # Not "positive_data_acceptance": the schema gives the shape, while phone numbers,
        # claim types (from the workflow rules), dates and registered respondents are checked
        # after decoding, and answered with a documented 400 that names each field.
        case.call_and_validate(
            app=fuzz_app, headers=headers, excluded_checks=[positive_data_acceptance]
        )

    check()
