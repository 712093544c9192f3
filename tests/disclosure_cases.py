"""Closed complaints for the disclosure tests: settled with 美团优选（南宁）, or mediated by the
兴宁区 office with a shop that is not enrolled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from complaints import complaint_form

from odr.auth.actor import Actor, consumer_actor
from odr.cases.service import act, submit
from odr.clock import SHANGHAI
from odr.intake.complaint import parse_complaint
from odr.offices.service import supervised_ids

CLOSED = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)  # a Tuesday; 10 working days end Mon 19 Oct
PUBLISH = datetime(2026, 10, 20, 2, 0, tzinfo=UTC)
SHOP = "南宁市兴宁区好又多便利店"


def submit_form(session, rules, now, **overrides):  # type: ignore[no-untyped-def]
    """The web form's complaint, classified as a consumer would (食品, 质量) unless given."""
    form = {"category": "food", "problem_nature": "quality", **overrides}
    complaint = parse_complaint(
        complaint_form(**form),
        rules.workflow().lists["claim_types"],
        today=now.astimezone(SHANGHAI).date(),
        violation_types=rules.workflow("report").lists["violation_types"],
        classification=rules.classification,
    )
    return submit(session, complaint, rules=rules, now=now)


def settled(session, rules, closed=CLOSED, **form):  # type: ignore[no-untyped-def]
    """A complaint against 美团优选（南宁）, settled at `closed`."""
    filed = closed - timedelta(days=3)
    case = submit_form(session, rules, filed, purchase_date="2026-09-20", **form).case
    agent = Actor("enterprise", "美团 客服", enterprise_id=case.enterprise_id)
    act(
        session,
        case,
        "propose_settlement",
        agent,
        {"remedy": "refund", "message": "退款"},
        rules=rules,
        now=filed + timedelta(hours=1),
    )
    act(
        session,
        case,
        "accept_offer",
        consumer_actor(case.id, case.complainant_name),
        {},
        rules=rules,
        now=closed,
    )
    return case


def mediated(session, rules, closed=CLOSED, **form):  # type: ignore[no-untyped-def]
    """A complaint against the shop (not enrolled) closed by a mediation agreement."""
    filed = closed - timedelta(days=10)
    case = submit_form(
        session, rules, filed, respondent_name=SHOP, purchase_date="2026-09-10", **form
    ).case
    office = Actor(
        "regulator",
        "兴宁区 承办人",
        office_id=case.office_id,
        office_ids=supervised_ids(session, case.office_id),
    )
    act(session, case, "accept", office, {}, rules=rules, now=filed + timedelta(days=1))
    act(
        session,
        case,
        "record_agreement",
        office,
        {
            "terms": "退一赔三",
            "consumer_confirmation": "confirmed",
            "respondent_confirmation": "confirmed",
        },
        rules=rules,
        now=closed,
    )
    return case
