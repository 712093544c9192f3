"""Notifications given up on (dead letters), seen and retried by the offices of their cases.

They live beside the cases, not in odr/notify/, because an office's scope is its cases: notify
knows rows and channels, never cases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from odr.cases.models import Case
from odr.notify.models import Notification


def dead_letters(session: Session, office_ids: frozenset[int]) -> list[Any]:
    """Notifications given up on, for cases of these offices, with their case numbers."""
    return list(
        session.execute(
            select(Notification, Case.number)
            .join(Case, Case.id == Notification.case_id)
            .where(Notification.status == "dead", Case.office_id.in_(office_ids))
            .order_by(Notification.id.desc())
        ).all()
    )


def retry(
    session: Session, notification_id: int, office_ids: frozenset[int], now: datetime
) -> bool:
    """Put a dead letter back in the queue for an immediate attempt."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == "dead",
            Notification.case_id.in_(select(Case.id).where(Case.office_id.in_(office_ids))),
        )
        .values(status="pending", attempts=0, next_attempt_at=now, last_error=None)
    )
    return cast(CursorResult[Any], result).rowcount == 1
