"""Taking a call (代为登记): a clerk of an office files a complaint or a report for a consumer
who called the hotline, came to the counter or wrote.

It is the web form's intake with three things added: the channel (`phone`, `visit`, `letter`)
on the case, the clerk (and so the office) as the actor of the first event, and the identity
marked verified when the clerk says they checked it. Validation is parse_complaint's (or
parse_report's), filing is submit()'s (or submit_report()'s): routing, rulebook, clocks and the
consumer's first message with the case number and access code are theirs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.cases.models import CALL_CHANNELS, Case
from odr.cases.service import Submission, submit, submit_report
from odr.clock import SHANGHAI, utcnow
from odr.engine.rules import Rules
from odr.errors import InvalidData
from odr.intake.complaint import (
    EMAIL,
    LOCALES,
    parse_complaint,
    parse_phone,
    parse_report,
)
from odr.intake.received import parse_received_at
from odr.offices.models import Office
from odr.text import N_

KINDS = ("complaint", "report")
# The call form names the caller's fields once; a report's parser names them as the reporter's.
REPORT_FIELDS = {
    "reporter_name": "complainant_name",
    "reporter_phone": "complainant_phone",
    "reporter_address": "complainant_address",
    "report_facts": "facts",
}
# How many of a caller's open cases the clerk is shown (the newest first).
CALLER_CASES_SHOWN = 20


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    return value.strip() if isinstance(value, str) else ""


def _as_report(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The call form's fields under the names parse_report reads."""
    return {**raw, **{report: raw.get(form, "") for report, form in REPORT_FIELDS.items()}}


def take_call(
    session: Session,
    raw: Mapping[str, Any],
    *,
    clerk: Actor,
    rules: Rules,
    intake_office_code: str | None = None,
    now: datetime | None = None,
) -> Submission:
    """File what the clerk typed as a complaint (or, `kind=report`, a report) through submit();
    InvalidData names every bad field, under the call form's names. A letter may have arrived
    days before the clerk types it: a complaint's clocks run from `received_at` when given."""
    now = now or utcnow()
    errors: dict[str, str] = {}
    channel = _text(raw, "channel")
    if channel not in CALL_CHANNELS:
        errors["channel"] = N_("请选择来电、来访或来信")
    kind = _text(raw, "kind") or "complaint"
    if kind not in KINDS:
        errors["kind"] = N_("投诉或举报")
    received_at = None
    if kind != "report":  # a report's review runs from its filing, as on the web
        try:
            received_at = parse_received_at(_text(raw, "received_at"), now, "received_at")
        except InvalidData as exc:
            errors.update(exc.errors)
    email = _text(raw, "complainant_email")
    # The consumer hears by SMS, and by e-mail too when they gave an address.
    notices = {"notify_sms": "1", "notify_email": "1" if email else "0"}
    violation_types = rules.workflow("report").lists["violation_types"]
    complaint = None
    try:
        if kind == "report":
            complaint = parse_report(_as_report(raw), violation_types, today=_today(now))
            if _text(raw, "locale") in LOCALES:  # the language of the reporter's messages
                complaint = replace(complaint, locale=_text(raw, "locale"))
            if email and not EMAIL.match(email):
                errors["complainant_email"] = N_("邮箱地址无效")
            elif email and complaint.complainant_phone:
                complaint = replace(complaint, complainant_email=email, notify_email=True)
        else:
            complaint = parse_complaint(
                {**raw, **notices, "also_report": None},
                rules.workflow().lists["claim_types"],
                today=_today(now),
                violation_types=violation_types,
            )
    except InvalidData as exc:
        errors.update({REPORT_FIELDS.get(k, k): v for k, v in exc.errors.items()})
    if errors or complaint is None:
        raise InvalidData(errors)
    # A reporter who left no phone stays anonymous: there is no identity to have checked.
    ticked = _text(raw, "identity_verified").lower() in {"1", "on", "true", "yes"}
    verified = ticked and bool(complaint.complainant_phone)
    office = session.get(Office, clerk.office_id) if clerk.office_id is not None else None
    payload = {"taken_by_office": office.region_code if office else None}
    if kind == "report":
        return submit_report(
            session,
            complaint,
            rules=rules,
            now=now,
            channel=channel,
            recorded_by=clerk,
            intake_payload=payload,
            identity_verified=verified,
        )
    return submit(
        session,
        complaint,
        rules=rules,
        intake_office_code=intake_office_code,
        channel=channel,
        now=now,
        identity_verified=verified,
        intake_payload=payload,
        received_at=received_at,
        recorded_by=clerk,
    )


def _today(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


def caller_phone(raw_phone: str) -> str:
    """The caller's number as cases store it (E.164); InvalidData naming the phone field."""
    try:
        return parse_phone(raw_phone.strip())
    except ValueError as exc:
        raise InvalidData({"complainant_phone": str(exc)}) from None


def caller_cases(
    session: Session, phone: str, office_ids: frozenset[int] | Sequence[int]
) -> list[Case]:
    """The open cases (complaints and reports) of this phone that a regulator of these offices
    may see, newest first: a repeat caller is recognised before a second case is filed."""
    if not office_ids:
        return []
    return list(
        session.scalars(
            select(Case)
            .where(
                Case.complainant_phone == phone,
                Case.closed_at.is_(None),
                Case.office_id.in_(office_ids),
            )
            .order_by(Case.received_at.desc(), Case.id.desc())
            .limit(CALLER_CASES_SHOWN)
        )
    )
