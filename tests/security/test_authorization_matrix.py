"""Who may see and do what: every route of the app × every kind of principal → allowed or denied.

MATRIX lists each route (method and path template) of the app explicitly, and a test checks the
app has no route missing from it, so a new route without an entry fails here. For each principal
a test builds one world (a complaint against a merchant of 美团优选 with evidence, another
consumer's complaint, an API token per enterprise, a dead letter, an enrolment application and a
list mark), then sends every route's request as that principal, with a valid CSRF token so that
a refusal is the authorization's and not the CSRF check's.

Denied means 403 or 404 (401 on the API without a token), or a redirect to a login (the portals)
or to the tracking form (a consumer page), and the denied answer names nothing of the case: not
the complainant's name, the respondent's name, nor its number unless the URL asked for it. Lists (inbox, CSV export, partner
API, regulator queue) show the case only to those who may see it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from complaints import complaint_form
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select
from web_client import Browser

from odr.app import create_app
from odr.auth.models import User
from odr.auth.service import actor_for, hash_password
from odr.captures.models import WebCapture
from odr.cases.evidence import EvidenceFile, write_file
from odr.cases.models import Attachment, Case
from odr.clock import utcnow
from odr.db.engine import transaction
from odr.documents.models import Document
from odr.enterprises import supervision
from odr.enterprises.models import Enterprise
from odr.enterprises.service import create_api_token
from odr.notify.models import Notification, NotificationRecipient

MERCHANT = "青秀区鲜果坊"  # a merchant of 美团优选 (450103); the platform negotiates
PLATFORM = "美团优选（南宁）"
OTHER_PLATFORM = "多多买菜（南宁）"
SHOP = "南宁市兴宁区好又多便利店"  # 450102, not enrolled
COMPLAINANT = "欧阳娜娜"
OTHER_COMPLAINANT = "司马光"
AGENT_PASSWORD = "matrix-agent-password"

PRINCIPALS = (
    "anonymous",
    "consumer",  # holds this case's access code
    "other_consumer",  # holds another case's access code
    "respondent_agent",  # agent of the merchant (enterprise A, the respondent)
    "other_agent",  # agent of 多多买菜 (enterprise B)
    "platform_agent",  # agent of 美团优选, the merchant's platform
    "platform_manager",  # manager of 美团优选 (settings, users, enrolment)
    "office_handler",  # 青秀区 office: competent for the merchant
    "other_office",  # 兴宁区 office
    "city_admin",  # 南宁市 office: supervises the districts, regulator admin
)
ENTERPRISES = {"respondent_agent", "other_agent", "platform_agent", "platform_manager"}
REGULATORS = {"office_handler", "other_office", "city_admin"}
SEES_CASE_ENTERPRISE = {"respondent_agent", "platform_agent", "platform_manager"}
SEES_CASE_REGULATOR = {"office_handler", "city_admin"}
EVERYONE = frozenset(PRINCIPALS)
PLATFORM_STAFF = {"platform_agent", "platform_manager"}


@dataclass
class World:
    number: str = ""
    code: str = ""
    other_number: str = ""
    other_code: str = ""
    attachment_id: int = 0
    document_id: int = 0
    merchant_id: int = 0
    platform_id: int = 0
    tokens: dict[str, str] = field(default_factory=dict)  # principal -> API token
    spare_token_id: int = 0
    spare_user_id: int = 0
    recipient_id: int = 0
    dead_letter_id: int = 0
    application_id: int = 0
    mark_id: int = 0
    capture_id: int = 0  # a finished web capture of the case (odr/captures/)


@dataclass(frozen=True)
class Rule:
    """Who may use a route, and the request that tries it (method, url, keyword arguments)."""

    allowed: frozenset[str]
    request: Callable[[World], tuple[str, dict[str, Any]]]
    # A list that must show the case to exactly those who may see it.
    lists_case: frozenset[str] | None = None
    # Sent last (it changes who the client is): logins, logout, the tracking lookup.
    last: bool = False
    # Only tried as these principals (a right password exists only for one's own account).
    only: frozenset[str] | None = None


def get(url: Callable[[World], str] | str, **kwargs: Any) -> Callable[[World], tuple[str, dict]]:
    return lambda w: (url(w) if callable(url) else url, {"kwargs": kwargs})


def post(url: Callable[[World], str] | str, data: dict[str, Any] | None = None, **kwargs: Any):  # type: ignore[no-untyped-def]
    return lambda w: (url(w) if callable(url) else url, {"data": data or {}, "kwargs": kwargs})


def api_get(url: Callable[[World], str]):  # type: ignore[no-untyped-def]
    return lambda w: (url(w), {"api": "get"})


def api_post(url: Callable[[World], str], body: dict[str, str]):  # type: ignore[no-untyped-def]
    return lambda w: (url(w), {"api": "post", "json": body})


S = frozenset
SEES_CASE = S({"consumer"} | SEES_CASE_ENTERPRISE | SEES_CASE_REGULATOR)
CASE_STAFF_ENTERPRISE = S(SEES_CASE_ENTERPRISE)

MATRIX: dict[tuple[str, str], Rule] = {
    # --- Public pages ----------------------------------------------------------------------
    ("GET", "/"): Rule(EVERYONE, get("/")),
    ("POST", "/"): Rule(EVERYONE, post("/", {"complainant_name": ""})),  # 400: the form again
    ("GET", "/report"): Rule(EVERYONE, get("/report")),
    ("POST", "/report"): Rule(EVERYONE, post("/report", {"violation_type": ""})),
    # The receipt of the complaint this browser filed; without one, the tracking form.
    ("GET", "/receipt"): Rule(
        S({"consumer", "other_consumer"}), get("/receipt"), lists_case=S({"consumer"})
    ),
    ("GET", "/track"): Rule(EVERYONE, get("/track")),
    ("POST", "/track"): Rule(
        EVERYONE,
        lambda w: ("/track", {"data": {"number": w.number, "access_code": w.code}}),
        last=True,
    ),
    ("GET", "/enterprises"): Rule(EVERYONE, get("/enterprises")),
    # The disclosure of closed complaints (消费投诉信息公示): no personal data, no login.
    ("GET", "/disclosures"): Rule(EVERYONE, get("/disclosures?q=美团")),
    ("GET", "/disclosures/businesses/{business_id:int}"): Rule(
        EVERYONE, get(lambda w: f"/disclosures/businesses/{w.platform_id}")
    ),
    ("GET", "/disclosures/open-data.csv"): Rule(EVERYONE, get("/disclosures/open-data.csv")),
    ("GET", "/disclosures/open-data.json"): Rule(EVERYONE, get("/disclosures/open-data.json")),
    ("GET", "/disclosures/open-data.schema.json"): Rule(
        EVERYONE, get("/disclosures/open-data.schema.json")
    ),
    ("GET", "/enterprises/{enterprise_id:int}"): Rule(
        EVERYONE, get(lambda w: f"/enterprises/{w.platform_id}")
    ),
    ("GET", "/lang/{code:str}"): Rule(EVERYONE, get("/lang/zh")),
    ("GET", "/enterprise/login"): Rule(EVERYONE, get("/enterprise/login")),
    ("GET", "/regulator/login"): Rule(EVERYONE, get("/regulator/login")),
    ("POST", "/enterprise/login"): Rule(
        EVERYONE, lambda w: ("/enterprise/login", {"login": "enterprise"}), last=True
    ),
    ("POST", "/regulator/login"): Rule(
        EVERYONE, lambda w: ("/regulator/login", {"login": "regulator"}), last=True
    ),
    ("POST", "/logout"): Rule(EVERYONE, post("/logout"), last=True),
    ("GET", "/health/live"): Rule(EVERYONE, get("/health/live")),
    ("GET", "/health/ready"): Rule(EVERYONE, get("/health/ready")),
    ("GET", "/metrics"): Rule(EVERYONE, get("/metrics")),
    ("GET", "/static/{file_path:path}"): Rule(EVERYONE, get("/static/odr.css")),
    ("HEAD", "/static/{file_path:path}"): Rule(
        EVERYONE, lambda w: ("/static/odr.css", {"head": True})
    ),
    ("GET", "/api/v1/respondents"): Rule(EVERYONE, get("/api/v1/respondents?q=美团")),
    ("POST", "/api/v1/complaints"): Rule(EVERYONE, lambda w: ("/api/v1/complaints", {"json": {}})),
    # --- The consumer's case ---------------------------------------------------------------
    ("GET", "/track/{number:str}"): Rule(S({"consumer"}), get(lambda w: f"/track/{w.number}")),
    ("POST", "/track/{number:str}/act/{trigger:str}"): Rule(
        S({"consumer"}),
        post(lambda w: f"/track/{w.number}/act/send_message", {"message": "请尽快处理"}),
    ),
    ("POST", "/track/{number:str}/rating"): Rule(
        S({"consumer"}),  # open case: 400, not yet to rate
        post(lambda w: f"/track/{w.number}/rating", {"rating": "5"}),
    ),
    ("GET", "/api/v1/cases/{number:str}"): Rule(
        S({"consumer"}), lambda w: (f"/api/v1/cases/{w.number}", {"access_code": True})
    ),
    ("GET", "/documents/{document_id:int}"): Rule(
        SEES_CASE, get(lambda w: f"/documents/{w.document_id}")
    ),
    ("GET", "/evidence/{attachment_id:int}"): Rule(
        SEES_CASE, get(lambda w: f"/evidence/{w.attachment_id}")
    ),
    # --- Web captures (odr/captures/): a bad URL, so nothing is queued; 400 when allowed ----
    ("POST", "/track/{number:str}/captures"): Rule(
        S({"consumer"}), post(lambda w: f"/track/{w.number}/captures", {"url": "file:///x"})
    ),
    ("POST", "/enterprise/cases/{number:str}/captures"): Rule(
        CASE_STAFF_ENTERPRISE,
        post(lambda w: f"/enterprise/cases/{w.number}/captures", {"url": "file:///x"}),
    ),
    ("POST", "/regulator/cases/{number:str}/captures"): Rule(
        S({"office_handler"}),  # acting, not only seeing: the supervising city office may not
        post(lambda w: f"/regulator/cases/{w.number}/captures", {"url": "file:///x"}),
    ),
    ("GET", "/regulator/captures"): Rule(S(REGULATORS), get("/regulator/captures")),
    ("POST", "/regulator/captures"): Rule(
        S(REGULATORS), post("/regulator/captures", {"url": "file:///x"})
    ),
    ("POST", "/regulator/captures/{capture_id:int}/link"): Rule(
        S(SEES_CASE_REGULATOR),  # already linked: 400
        lambda w: (
            f"/regulator/captures/{w.capture_id}/link",
            {"data": {"case_number": w.number}, "kwargs": {}},
        ),
    ),
    ("GET", "/captures/{capture_id:int}/screenshot.png"): Rule(
        SEES_CASE, get(lambda w: f"/captures/{w.capture_id}/screenshot.png")
    ),
    ("GET", "/captures/{capture_id:int}/capture.warc.gz"): Rule(
        SEES_CASE, get(lambda w: f"/captures/{w.capture_id}/capture.warc.gz")
    ),
    ("GET", "/captures/{capture_id:int}/report.pdf"): Rule(
        SEES_CASE, get(lambda w: f"/captures/{w.capture_id}/report.pdf")
    ),
    # --- The enterprise portal -------------------------------------------------------------
    ("GET", "/enterprise"): Rule(
        S(ENTERPRISES), get("/enterprise"), lists_case=CASE_STAFF_ENTERPRISE
    ),
    # The search box finds the case by its complainant's name for exactly those who see it.
    ("GET", "/enterprise/search"): Rule(
        S(ENTERPRISES),
        get("/enterprise/search?q=" + quote(COMPLAINANT)),
        lists_case=CASE_STAFF_ENTERPRISE,
    ),
    ("GET", "/enterprise/export.csv"): Rule(
        S(ENTERPRISES), get("/enterprise/export.csv"), lists_case=CASE_STAFF_ENTERPRISE
    ),
    ("GET", "/enterprise/cases/{number:str}"): Rule(
        CASE_STAFF_ENTERPRISE, get(lambda w: f"/enterprise/cases/{w.number}")
    ),
    ("POST", "/enterprise/cases/{number:str}/act/{trigger:str}"): Rule(
        CASE_STAFF_ENTERPRISE,
        post(lambda w: f"/enterprise/cases/{w.number}/act/add_note", {"note": "已电话联系"}),
    ),
    ("GET", "/enterprise/notifications"): Rule(S(ENTERPRISES), get("/enterprise/notifications")),
    ("POST", "/enterprise/notifications/read"): Rule(
        S(ENTERPRISES), post("/enterprise/notifications/read")
    ),
    ("GET", "/enterprise/scorecard"): Rule(S(ENTERPRISES), get("/enterprise/scorecard")),
    ("GET", "/enterprise/disclosures"): Rule(S(ENTERPRISES), get("/enterprise/disclosures")),
    # The case is open, not in a notice period: 409, the desk again, for those who see it.
    ("POST", "/enterprise/disclosures/{number:str}/object"): Rule(
        CASE_STAFF_ENTERPRISE,
        post(lambda w: f"/enterprise/disclosures/{w.number}/object", {"objection": "有误"}),
    ),
    ("GET", "/enterprise/enrolment"): Rule(S(ENTERPRISES), get("/enterprise/enrolment")),
    ("POST", "/enterprise/enrolment"): Rule(
        S({"platform_manager"}), post("/enterprise/enrolment", {"signatory": ""})
    ),
    ("GET", "/enterprise/password"): Rule(S(ENTERPRISES), get("/enterprise/password")),
    ("POST", "/enterprise/password"): Rule(
        S(ENTERPRISES),  # a wrong current password: 400, nothing changes
        post("/enterprise/password", {"current_password": "x", "new_password": "y"}),
    ),
    ("GET", "/enterprise/settings"): Rule(S({"platform_manager"}), get("/enterprise/settings")),
    ("POST", "/enterprise/settings/webhook"): Rule(
        S({"platform_manager"}), post("/enterprise/settings/webhook", {"webhook_url": "nope"})
    ),
    ("POST", "/enterprise/settings/webhook/secret"): Rule(
        S({"platform_manager"}), post("/enterprise/settings/webhook/secret")
    ),
    ("POST", "/enterprise/settings/recipients"): Rule(
        S({"platform_manager"}), post("/enterprise/settings/recipients", {"address": ""})
    ),
    ("POST", "/enterprise/settings/recipients/{recipient_id:int}/delete"): Rule(
        S({"platform_manager"}),
        post(lambda w: f"/enterprise/settings/recipients/{w.recipient_id}/delete"),
    ),
    ("POST", "/enterprise/settings/tokens"): Rule(
        S({"platform_manager"}), post("/enterprise/settings/tokens", {"token_name": ""})
    ),
    ("POST", "/enterprise/settings/tokens/{token_id:int}/revoke"): Rule(
        S({"platform_manager"}),
        post(lambda w: f"/enterprise/settings/tokens/{w.spare_token_id}/revoke"),
    ),
    ("GET", "/enterprise/users"): Rule(S({"platform_manager"}), get("/enterprise/users")),
    ("POST", "/enterprise/users"): Rule(
        S({"platform_manager"}), post("/enterprise/users", {"username": ""})
    ),
    ("POST", "/enterprise/users/{user_id:int}/reset-password"): Rule(
        S({"platform_manager"}),
        post(lambda w: f"/enterprise/users/{w.spare_user_id}/reset-password"),
    ),
    ("POST", "/enterprise/users/{user_id:int}/unlock"): Rule(
        S({"platform_manager"}), post(lambda w: f"/enterprise/users/{w.spare_user_id}/unlock")
    ),
    ("POST", "/enterprise/users/{user_id:int}/deactivate"): Rule(
        S({"platform_manager"}),
        post(lambda w: f"/enterprise/users/{w.spare_user_id}/deactivate"),
    ),
    ("POST", "/enterprise/users/{user_id:int}/reactivate"): Rule(
        S({"platform_manager"}),
        post(lambda w: f"/enterprise/users/{w.spare_user_id}/reactivate"),
    ),
    # --- The partner API (enterprise tokens) -----------------------------------------------
    ("GET", "/api/v1/enterprise/cases"): Rule(
        S(ENTERPRISES),
        api_get(lambda w: "/api/v1/enterprise/cases"),
        lists_case=CASE_STAFF_ENTERPRISE,
    ),
    ("GET", "/api/v1/enterprise/cases/{number:str}"): Rule(
        CASE_STAFF_ENTERPRISE, api_get(lambda w: f"/api/v1/enterprise/cases/{w.number}")
    ),
    ("POST", "/api/v1/enterprise/cases/{number:str}/actions/{trigger:str}"): Rule(
        CASE_STAFF_ENTERPRISE,
        api_post(
            lambda w: f"/api/v1/enterprise/cases/{w.number}/actions/add_note", {"note": "接口记录"}
        ),
    ),
    # --- 12315 transfer (its own partner, not a principal here: nobody of ours gets in) ----
    ("POST", "/api/v1/intake/12315"): Rule(S(), lambda w: ("/api/v1/intake/12315", {"json": {}})),
    ("GET", "/api/v1/intake/12315/updates"): Rule(S(), get("/api/v1/intake/12315/updates")),
    # --- The regulator workbench -----------------------------------------------------------
    ("GET", "/regulator"): Rule(
        # In negotiation with the enterprise, the case is in no regulator's queue yet.
        S(REGULATORS),
        get("/regulator?queue=all"),
        lists_case=S(),
    ),
    ("GET", "/regulator/clusters"): Rule(S(REGULATORS), get("/regulator/clusters")),
    ("GET", "/regulator/search"): Rule(
        S(REGULATORS),
        get("/regulator/search?q=" + quote(COMPLAINANT)),
        lists_case=S(SEES_CASE_REGULATOR),
    ),
    # Taking a call (代为登记): any clerk files; the caller's open cases are those they may see.
    ("GET", "/regulator/calls/new"): Rule(S(REGULATORS), get("/regulator/calls/new")),
    ("POST", "/regulator/calls/new"): Rule(  # 400: the form again, nothing filed
        S(REGULATORS), post("/regulator/calls/new", {"complainant_name": ""})
    ),
    ("GET", "/regulator/calls/caller"): Rule(
        S(REGULATORS),
        get("/regulator/calls/caller?phone=13800138000"),
        lists_case=S(SEES_CASE_REGULATOR),
    ),
    ("GET", "/regulator/calls/respondents"): Rule(
        S(REGULATORS), get("/regulator/calls/respondents?q=美团")
    ),
    ("GET", "/regulator/cases/{number:str}"): Rule(
        S(SEES_CASE_REGULATOR), get(lambda w: f"/regulator/cases/{w.number}")
    ),
    ("POST", "/regulator/cases/{number:str}/act/{trigger:str}"): Rule(
        S({"office_handler"}),  # in negotiation nothing is open to it: 409, the page again
        post(lambda w: f"/regulator/cases/{w.number}/act/accept"),
    ),
    ("GET", "/regulator/notifications"): Rule(S(REGULATORS), get("/regulator/notifications")),
    ("POST", "/regulator/notifications/read"): Rule(
        S(REGULATORS), post("/regulator/notifications/read")
    ),
    ("GET", "/regulator/dashboard"): Rule(S(REGULATORS), get("/regulator/dashboard")),
    ("GET", "/regulator/reports"): Rule(S(REGULATORS), get("/regulator/reports?period=2026-11")),
    ("GET", "/regulator/reports/export.xlsx"): Rule(
        S(REGULATORS), get("/regulator/reports/export.xlsx?period=2026-11")
    ),
    ("GET", "/regulator/dashboard/export/{table:str}"): Rule(
        S(REGULATORS), get("/regulator/dashboard/export/respondents.csv")
    ),
    ("GET", "/regulator/dead-letters"): Rule(S({"city_admin"}), get("/regulator/dead-letters")),
    ("GET", "/regulator/disclosures"): Rule(S(REGULATORS), get("/regulator/disclosures")),
    # No objection awaits a decision: 409, the desk again, for the offices that see the case.
    ("POST", "/regulator/disclosures/{number:str}/decide"): Rule(
        S(SEES_CASE_REGULATOR),
        post(
            lambda w: f"/regulator/disclosures/{w.number}/decide",
            {"decision": "refused", "reason": "属实"},
        ),
    ),
    # By number, as typed: another office's case is "no such case" (400), never shown.
    ("POST", "/regulator/disclosures/withhold"): Rule(
        S(REGULATORS),
        lambda w: (
            "/regulator/disclosures/withhold",
            {"data": {"number": w.number, "reason": "x"}},
        ),
    ),
    ("POST", "/regulator/dead-letters/{notification_id:int}/retry"): Rule(
        S({"city_admin"}), post(lambda w: f"/regulator/dead-letters/{w.dead_letter_id}/retry")
    ),
    ("GET", "/regulator/enterprises"): Rule(S(REGULATORS), get("/regulator/enterprises")),
    ("GET", "/regulator/enterprises/{enterprise_id:int}"): Rule(
        S(SEES_CASE_REGULATOR), get(lambda w: f"/regulator/enterprises/{w.platform_id}")
    ),
    ("POST", "/regulator/enterprises/{enterprise_id:int}/apply"): Rule(
        S(SEES_CASE_REGULATOR),
        post(lambda w: f"/regulator/enterprises/{w.platform_id}/apply", {"signatory": ""}),
    ),
    ("POST", "/regulator/enterprises/applications/{application_id:int}/decide"): Rule(
        S({"other_office", "city_admin"}),  # the shop's application: 兴宁区 and the city decide
        post(lambda w: f"/regulator/enterprises/applications/{w.application_id}/decide"),
    ),
    ("POST", "/regulator/enterprises/{enterprise_id:int}/merge"): Rule(
        S(SEES_CASE_REGULATOR),  # no business to merge into: 400
        post(lambda w: f"/regulator/enterprises/{w.platform_id}/merge"),
    ),
    ("POST", "/regulator/enterprises/{enterprise_id:int}/status/{action:str}"): Rule(
        S(SEES_CASE_REGULATOR),  # no reason given: 400
        post(lambda w: f"/regulator/enterprises/{w.platform_id}/status/suspend"),
    ),
    ("POST", "/regulator/enterprises/{enterprise_id:int}/marks"): Rule(
        S(SEES_CASE_REGULATOR), post(lambda w: f"/regulator/enterprises/{w.platform_id}/marks")
    ),
    ("POST", "/regulator/enterprises/marks/{mark_id:int}/lift"): Rule(
        S(SEES_CASE_REGULATOR), post(lambda w: f"/regulator/enterprises/marks/{w.mark_id}/lift")
    ),
    ("POST", "/regulator/enterprises/{enterprise_id:int}/takedowns"): Rule(
        S(SEES_CASE_REGULATOR),
        post(lambda w: f"/regulator/enterprises/{w.platform_id}/takedowns"),
    ),
}
# The OpenAPI pages: public documentation of the JSON API.
for _path in (
    "/schema",
    "/schema/openapi.json",
    "/schema/openapi.yaml",
    "/schema/openapi.yml",
    "/schema/swagger",
    "/schema/redoc",
    "/schema/rapidoc",
    "/schema/elements",
    "/schema/oauth2-redirect.html",
    "/schema/{path:str}",
):
    MATRIX[("GET", _path)] = Rule(
        EVERYONE, get(_path.replace("{path:str}", "openapi.json")), only=S({"anonymous"})
    )


def app_routes(app: Litestar) -> set[tuple[str, str]]:
    """(method, path template) of every route the app answers, OPTIONS aside."""
    found = set()
    for route in app.routes:
        for method in getattr(route, "methods", ()):
            if method != "OPTIONS":
                found.add((method, route.path))
    return found


def test_every_route_of_the_app_is_in_the_matrix(matrix_app):
    routes = app_routes(matrix_app)
    assert routes - set(MATRIX) == set(), "routes without an entry in the matrix"
    assert set(MATRIX) - routes == set(), "matrix entries for routes the app no longer has"


# --- The world ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def matrix_app(settings, demo_logins) -> Litestar:
    """The app with rate limits out of the way: the matrix fails lookups on purpose."""
    return create_app(
        replace(settings, rate_limit_per_address=100_000, rate_limit_per_subject=100_000)
    )


@pytest.fixture
def browsers(matrix_app) -> Iterator[Callable[[], Browser]]:
    """New browsers on demand, each with its own cookies; closed last-opened first."""
    with ExitStack() as opened:
        yield lambda: Browser(
            opened.enter_context(TestClient(matrix_app, base_url="http://127.0.0.1"))
        )


def _enterprise(session, name: str) -> Enterprise:  # type: ignore[no-untyped-def]
    return session.scalar(select(Enterprise).where(Enterprise.name == name))


def _agent(session, username: str, enterprise: Enterprise) -> User:  # type: ignore[no-untyped-def]
    """An agent (not a manager) of the enterprise, made once per run."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(
            username=username,
            password_hash=hash_password(AGENT_PASSWORD),
            display_name="客服专员",
            role="enterprise",
            enterprise_id=enterprise.id,
        )
        session.add(user)
        session.flush()
    user.active = True
    return user


STAFF_LOGINS = {
    "respondent_agent": ("enterprise", "matrix-merchant"),
    "other_agent": ("enterprise", "matrix-duoduo"),
    "platform_agent": ("enterprise", "matrix-meituan"),
    "platform_manager": ("enterprise", "meituan"),
    "office_handler": ("regulator", "reg450103"),
    "other_office": ("regulator", "reg450102"),
    "city_admin": ("regulator", "reg450100"),
}


def _paper(session, case: Case, store: Path, now: datetime) -> Document:  # type: ignore[no-untyped-def]
    """A paper (文书) of the case, stored as issued papers are (its issuing is tested in
    tests/documents/)."""
    pdf = EvidenceFile(f"受理通知书-{case.number}.pdf", "application/pdf", b"%PDF-1.4 matrix")
    write_file(store, pdf)
    document = Document(
        case_id=case.id,
        kind="acceptance_notice",
        title="受理通知书",
        office_id=case.office_id,
        year=2099,
        seq=case.id,
        number=f"青市监受字〔2099〕第{case.id:04d}号",
        filename=pdf.filename,
        sha256=pdf.sha256,
        size=len(pdf.data),
        decision_seq=1,
        event_seq=1,
        issued_at=now,
    )
    session.add(document)
    session.flush()
    return document


def _file(browser: Browser, evidence: bytes | None = None, **overrides: str) -> tuple[str, str]:
    files = [("evidence", ("收据.png", evidence, "image/png"))] if evidence else None
    response = browser.post("/", complaint_form(**overrides), files=files)
    assert response.status_code == 200, response.text[:500]
    number = re.search(r'id="case-number">([^<]+)<', response.text).group(1)  # type: ignore[union-attr]
    code = re.search(r'id="access-code">([^<]+)<', response.text).group(1)  # type: ignore[union-attr]
    return number, code


@pytest.fixture
def world(factory, browsers, evidence_png, settings) -> tuple[World, dict[str, Browser]]:
    """The cases, tokens and records the matrix reaches, and one browser per principal."""
    w = World()
    consumer, other_consumer = browsers(), browsers()
    w.number, w.code = _file(
        consumer, evidence_png, complainant_name=COMPLAINANT, respondent_name=MERCHANT
    )
    w.other_number, w.other_code = _file(
        other_consumer,
        complainant_name=OTHER_COMPLAINANT,
        complainant_phone="13900139000",
        respondent_name=SHOP,
        order_number="HYD-2",
    )
    now = utcnow()
    with transaction(factory) as session:
        case = session.scalar(select(Case).where(Case.number == w.number))
        assert case is not None and case.office is not None
        assert case.office.region_code == "450103" and case.respondent_name == MERCHANT
        w.attachment_id = session.scalar(select(Attachment.id).where(Attachment.case_id == case.id))
        w.document_id = _paper(session, case, settings.evidence_dir, now).id
        # A finished capture of the case; its files are the evidence file (the bytes matter not).
        kept = session.scalar(select(Attachment.sha256).where(Attachment.case_id == case.id))
        capture = WebCapture(
            case_id=case.id,
            office_id=case.office_id,
            url="https://shop.example/item/1",
            requested_by="matrix",
            requested_role="consumer",
            requested_at=now,
            status="done",
            facts={},
            screenshot_sha256=kept,
            warc_sha256=kept,
            report_sha256=kept,
        )
        session.add(capture)
        session.flush()
        w.capture_id = capture.id
        merchant = _enterprise(session, MERCHANT)
        platform = _enterprise(session, PLATFORM)
        other = _enterprise(session, OTHER_PLATFORM)
        w.merchant_id, w.platform_id = merchant.id, platform.id
        _agent(session, "matrix-merchant", merchant)
        _agent(session, "matrix-duoduo", other)
        _agent(session, "matrix-meituan", platform)
        w.spare_user_id = _agent(session, "matrix-meituan-spare", platform).id
        for principal, enterprise in (
            ("respondent_agent", merchant),
            ("other_agent", other),
            ("platform_agent", platform),
            ("platform_manager", platform),
        ):
            w.tokens[principal] = create_api_token(session, enterprise.id, "矩阵测试", now)
        create_api_token(session, platform.id, "备用", now)
        w.spare_token_id = _last_token_id(session, platform.id)
        recipient = NotificationRecipient(
            enterprise_id=platform.id, kind="*", channel="email", address="kefu@example.cn"
        )
        session.add(recipient)
        dead = session.scalar(select(Notification).where(Notification.case_id == case.id))
        assert dead is not None
        dead.status = "dead"
        session.flush()
        w.recipient_id, w.dead_letter_id = recipient.id, dead.id
        office = _office(session, "reg450103")
        shop = _enterprise(session, SHOP)
        application = supervision.pending_application(session, shop.id) or supervision.apply(
            session, shop, _office(session, "reg450102"), signatory="李店长", agreed=True, now=now
        )
        mark = supervision.add_mark(
            session,
            platform,
            office,
            kind="demonstration",
            starts_on=date(2026, 1, 1).isoformat(),
            reason="放心消费示范单位",
            now=now,
        )
        w.application_id, w.mark_id = application.id, mark.id
    return w, {"consumer": consumer, "other_consumer": other_consumer}


def _office(session, username: str):  # type: ignore[no-untyped-def]
    return actor_for(session, session.scalar(select(User).where(User.username == username)))


def _last_token_id(session, enterprise_id: int) -> int:  # type: ignore[no-untyped-def]
    from odr.enterprises.models import ApiToken

    return session.scalar(
        select(ApiToken.id)
        .where(ApiToken.enterprise_id == enterprise_id)
        .order_by(ApiToken.id.desc())
    )


def _browser_of(principal: str, w: World, made: dict[str, Browser], browsers, demo_logins):  # type: ignore[no-untyped-def]
    if principal in made:
        return made[principal]
    browser = browsers()
    if principal in STAFF_LOGINS:
        portal, username = STAFF_LOGINS[principal]
        browser.login(portal, username, demo_logins.get(username, AGENT_PASSWORD))
    return browser


def _send(browser: Browser, principal: str, rule: Rule, w: World, demo_logins):  # type: ignore[no-untyped-def]
    url, how = rule.request(w)
    client = browser.client
    token = w.tokens.get(principal)
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    if how.get("api") == "get":
        return client.get(url, headers=auth)
    if how.get("api") == "post":
        return client.post(url, json=how["json"], headers=auth)
    if "access_code" in how:
        # The consumer holds this case's code; everyone else tries the other case's.
        code = w.code if principal == "consumer" else w.other_code
        return client.get(url, headers={"X-Access-Code": code})
    if "json" in how:
        return client.post(url, json=how["json"])
    if how.get("head"):
        return client.head(url)
    if "login" in how:
        portal, username = STAFF_LOGINS.get(principal, ("", ""))
        if portal != how["login"]:
            return browser.post(url, {"username": "", "password": ""}, follow_redirects=False)
        return browser.post(
            url,
            {"username": username, "password": demo_logins.get(username, AGENT_PASSWORD)},
            follow_redirects=False,
        )
    if "data" in how:
        return browser.post(url, how["data"], follow_redirects=False)
    return client.get(url, follow_redirects=False)


DENIED_REDIRECTS = ("/enterprise/login", "/regulator/login", "/track")


def _denied(response) -> bool:  # type: ignore[no-untyped-def]
    if response.status_code in (401, 403, 404):
        return True
    location = response.headers.get("location", "")
    return response.status_code in (302, 303) and location.split("?")[0] in DENIED_REDIRECTS


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_every_route_allows_and_denies_as_the_matrix_says(principal, world, browsers, demo_logins):
    w, made = world
    browser = _browser_of(principal, w, made, browsers, demo_logins)
    wrong = []
    order = sorted(MATRIX.items(), key=lambda item: item[1].last)
    for (method, path), rule in order:
        if rule.only is not None and principal not in rule.only:
            continue
        response = _send(browser, principal, rule, w, demo_logins)
        denied = _denied(response)
        expected_allowed = principal in rule.allowed
        if expected_allowed and (denied or response.status_code >= 500):
            wrong.append(f"{method} {path}: {response.status_code}, should be allowed")
        elif not expected_allowed and not denied:
            wrong.append(f"{method} {path}: {response.status_code}, should be denied")
        elif not expected_allowed:
            # A refusal may echo the number asked for, nothing else of the case.
            asked = rule.request(w)[0]
            secrets = [COMPLAINANT, MERCHANT] + ([] if w.number in asked else [w.number])
            leaked = [s for s in secrets if s in response.text]
            if leaked:
                wrong.append(f"{method} {path}: the refusal names {leaked}")
        if rule.lists_case is not None and expected_allowed:
            shows = w.number in response.text
            if shows != (principal in rule.lists_case):
                wrong.append(f"{method} {path}: lists the case = {shows}")
    assert wrong == [], f"{principal}:\n" + "\n".join(wrong)
