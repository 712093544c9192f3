"""Queue notifications in the transaction of the case event that causes them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from odr.cases.models import Case, CaseEvent
from odr.notify.models import Notification


def _recipients(case: Case, audience: str) -> list[tuple[str, str, int | None]]:
    """(channel, recipient, audience_id) for each way an audience hears of a case."""
    if audience == "consumer":
        found: list[tuple[str, str, int | None]] = [("sms", case.complainant_phone, None)]
        if case.complainant_email:
            found.append(("email", case.complainant_email, None))
        return found
    if audience == "enterprise" and case.enterprise_id is not None:
        return [("in_app", f"enterprise:{case.enterprise_id}", case.enterprise_id)]
    if audience == "office" and case.office_id is not None:
        return [("in_app", f"office:{case.office_id}", case.office_id)]
    return []


def queue_notifications(
    session: Session,
    case: Case,
    event: CaseEvent,
    kinds: Mapping[str, str],
    context: Mapping[str, Any],
    now: datetime,
) -> list[Notification]:
    """Add one outbox row per (audience, channel) named by a transition's `notify`."""
    rows = []
    for audience, kind in kinds.items():
        locale = case.locale if audience == "consumer" else "zh-CN"
        for channel, recipient, audience_id in _recipients(case, audience):
            rows.append(
                Notification(
                    case_id=case.id,
                    event_id=event.id,
                    kind=kind,
                    audience=audience,
                    audience_id=audience_id,
                    channel=channel,
                    recipient=recipient,
                    locale=locale,
                    context=dict(context),
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    session.add_all(rows)
    return rows
