"""What a page shows must match the case: closed cases carry no live alarm, rates are coloured
by how good they are, the bell shows a count only when there is one, office names fit."""

from __future__ import annotations

import re
from types import SimpleNamespace

from sqlalchemy import select

from odr.cases.models import Case
from odr.portals.templating import office_short


def test_a_closed_case_shows_its_escalation_as_history(client, file_complaint, factory):
    number, code = file_complaint()
    with factory.begin() as session:  # as a case the consumer escalated and mediation closed
        case = session.scalar(select(Case).where(Case.number == number))
        case.state, case.escalation_reason = "mediated", "offer_rejected"
    client.post("/track", {"number": number, "access_code": code})
    page = client.get(f"/track/{number}").text
    assert "调解成功" in page
    assert not re.search(r'class="badge overdue">消费者拒绝和解方案', page)
    assert re.search(r'class="history">曾升级至监管部门：消费者拒绝和解方案', page)

    with factory.begin() as session:  # still open: the reason is the live alarm it was
        case = session.scalar(select(Case).where(Case.number == number))
        case.state = "acceptance"
    assert 'class="badge overdue">消费者拒绝和解方案' in client.get(f"/track/{number}").text


def scorecard_html(app, **rates: float | None) -> str:  # type: ignore[no-untyped-def]
    env = app.template_engine.engine
    card = SimpleNamespace(
        received=3, closed=0, escalated=0, overdue=0, open=3, average_response_days=None,
        rated=0, average_rating=None, weekly=[], on_time_rate=None, settlement_rate=None,
    )  # fmt: skip
    for name, value in rates.items():
        setattr(card, name, value)
    macro = env.from_string(
        '{% import "charts.html" as charts with context %}{{ charts.scorecard(card, False) }}'
    )
    return macro.render(card=card, _=lambda s, **k: s % k if k else s)


def test_rates_are_coloured_by_threshold_and_not_at_all_without_data(app):
    html = scorecard_html(app, on_time_rate=None, settlement_rate=0.0)
    assert re.search(r'class="rate rate-poor"><dt>和解成功率</dt><dd>0.0%', html)
    assert re.search(r'class="rate "><dt>按时办结率</dt><dd>—', html)
    html = scorecard_html(app, on_time_rate=0.95, settlement_rate=0.6)
    assert 'class="rate rate-good"><dt>按时办结率' in html
    assert 'class="rate rate-fair"><dt>和解成功率' in html


def test_the_bell_shows_no_zero(client, demo_logins):
    client.login("regulator", "reg450100", demo_logins["reg450100"])
    client.post("/regulator/notifications/read", {})
    bell = re.search(
        r'<a href="/regulator/notifications" class="bell">.*?</a>', client.get("/regulator").text
    )
    assert bell and 'class="count"' not in bell.group(0), bell


def test_office_names_take_their_short_form():
    assert office_short("南宁市青秀区市场监督管理局") == "南宁市青秀区市场监管局"
    assert office_short("广西壮族自治区市场监督管理局") == "广西壮族自治区市场监管局"
    assert len(office_short("南宁市青秀区市场监督管理局")) <= 13  # what the chart shows whole
