"""Queue notifications in the transaction of the case event that causes them (the case service
writes the outbox rows; odr/notify/ delivers them and knows nothing of cases)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from odr.cases.models import Case, CaseEvent
from odr.clock import SHANGHAI
from odr.engine.workflow import FieldDef, Workflow
from odr.enterprises.models import Enterprise
from odr.notify.models import Notification, NotificationRecipient
from odr.offices.models import Office

STAFF_LOCALE = "zh-CN"
# (case, audience, kind) -> [(channel, recipient, audience_id)]
Recipients = Callable[[Any, str, str], list[tuple[str, str, int | None]]]


def context_for(
    case: Case, workflow: Workflow, fields: Iterable[FieldDef], payload: Mapping[str, Any]
) -> dict[str, Any]:
    """What a message about this event may say (odr/notify/catalog.py lists the names)."""
    state = workflow.states[case.state]
    context: dict[str, Any] = {
        "case_number": case.number,
        "state": case.state,
        "state_zh": state.label.get("zh", case.state),
        "state_en": state.label.get("en", case.state),
        "due_at": case.due_at.isoformat() if case.due_at else None,
        "due_date": case.due_at.astimezone(SHANGHAI).date().isoformat() if case.due_at else None,
        "respondent_name": case.respondent_name,
        "product": case.product,
        "office_name": case.office.name if case.office else None,
    }
    for f in fields:
        value = payload.get(f.name)
        context[f.name] = value
        if f.type == "choice" and f.list:
            label = workflow.lists[f.list].get(value or "", {})
            context[f"{f.name}_zh"] = label.get("zh", value)
            context[f"{f.name}_en"] = label.get("en", value)
    return context


def _recipients(
    session: Session, case: Case, audience: str, kind: str
) -> list[tuple[str, str, int | None]]:
    """(channel, recipient, audience_id) for each way an audience hears of this kind."""
    if audience == "consumer":
        found: list[tuple[str, str, int | None]] = []
        if case.notify_sms:
            found.append(("sms", case.complainant_phone, None))
        if case.notify_email and case.complainant_email:
            found.append(("email", case.complainant_email, None))
        return found
    if audience == "enterprise":
        if case.enterprise_id is None:
            return []
        enterprise = session.get(Enterprise, case.enterprise_id)
        found = [("in_app", f"enterprise:{case.enterprise_id}", case.enterprise_id)]
        subscribed = session.scalars(
            select(NotificationRecipient).where(
                NotificationRecipient.enterprise_id == case.enterprise_id,
                NotificationRecipient.kind.in_((kind, "*")),
            )
        )
        found += [(r.channel, r.address, case.enterprise_id) for r in subscribed]
        if enterprise is not None and enterprise.webhook_url and enterprise.webhook_secret:
            found.append(("webhook", enterprise.webhook_url, case.enterprise_id))
        return found
    office_id = case.office_id
    if audience == "supervisor" and office_id is not None:
        office = session.get(Office, office_id)
        office_id = office.parent_id if office else None
    if office_id is None:
        return []
    return [("in_app", f"office:{office_id}", office_id)]


def recipients_of(session: Session) -> Recipients:
    """Who hears of what, asked of this session each time (a case changing now)."""
    return lambda case, audience, kind: _recipients(session, case, audience, kind)


def remembered_recipients(session: Session) -> Recipients:
    """Who hears of what, looked up once per enterprise or office (a batch of cases). The
    lookups do not flush the batch's changes first (autoflush): they read recipients, which
    the batch does not change, and a flush per lookup would write the cases one by one."""
    known: dict[tuple[str, str, int | None], list[tuple[str, str, int | None]]] = {}

    def recipients(case: Any, audience: str, kind: str) -> list[tuple[str, str, int | None]]:
        if audience == "consumer":  # the case's own phone and address: nothing to look up
            return _recipients(session, case, audience, kind)
        # What _recipients reads: the enterprise's subscriptions, or the office (its parent).
        key = (audience, kind, case.enterprise_id if audience == "enterprise" else case.office_id)
        if key not in known:
            with session.no_autoflush:
                known[key] = _recipients(session, case, audience, kind)
        return known[key]

    return recipients


def notification_rows(
    case: Any,
    kinds: Mapping[str, str],
    context: Mapping[str, Any],
    now: datetime,
    consumer_extra: Mapping[str, Any] | None,
    recipients: Recipients,
) -> list[dict[str, Any]]:
    """The outbox rows of an event (without case and event ids): one per (channel, recipient);
    a recipient named twice gets one."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for audience, kind in kinds.items():
        locale = case.locale if audience == "consumer" else STAFF_LOCALE
        row_context = dict(context)
        if audience == "consumer" and consumer_extra:
            row_context.update(consumer_extra)  # e.g. the access code: the consumer's alone
        for channel, recipient, audience_id in recipients(case, audience, kind):
            rows.setdefault(
                (channel, recipient),
                {
                    "kind": kind,
                    "audience": audience,
                    "audience_id": audience_id,
                    "channel": channel,
                    "recipient": recipient,
                    "locale": locale,
                    "context": row_context,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                },
            )
    return list(rows.values())


def queue_notifications(
    session: Session,
    case: Case,
    event: CaseEvent,
    kinds: Mapping[str, str],
    context: Mapping[str, Any],
    now: datetime,
    consumer_extra: Mapping[str, Any] | None = None,
) -> list[Notification]:
    """One outbox row per (audience, channel, recipient); a recipient named twice gets one."""
    rows = [
        Notification(case_id=case.id, event_id=event.id, **row)
        for row in notification_rows(
            case, kinds, context, now, consumer_extra, recipients_of(session)
        )
    ]
    session.add_all(rows)
    return rows
