"""The follow-up (回访) after closure: the consumer rates the outcome once, within 60 days."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.cases.models import Case, CaseEvent
from odr.cases.service import record_event
from odr.errors import InvalidData
from odr.text import N_

FOLLOW_UP_WINDOW = timedelta(days=60)
FOLLOW_UP_TRIGGER = "follow_up"


def can_rate(case: Case, now: datetime) -> bool:
    """Closed, not rated yet, and closed no more than 60 days ago."""
    return (
        case.closed_at is not None
        and case.rated_at is None
        and now - case.closed_at <= FOLLOW_UP_WINDOW
    )


def rate(
    session: Session, case: Case, actor: Actor, rating: object, comment: str, now: datetime
) -> CaseEvent:
    """Record the consumer's rating (1-5) and comment: an event on the closed case."""
    if actor.role != "consumer" or actor.case_id != case.id:
        raise InvalidData({"rating": N_("只有投诉人可以评价")})
    if not can_rate(case, now):
        raise InvalidData({"rating": N_("案件办结60日内可评价一次")})
    try:
        stars = int(str(rating))
    except ValueError:
        stars = 0
    if not 1 <= stars <= 5:
        raise InvalidData({"rating": N_("请选择1至5星")})
    comment = comment.strip()
    if len(comment) > 2000:
        raise InvalidData({"comment": N_("不超过2000字")})
    return record_event(
        session,
        case,
        FOLLOW_UP_TRIGGER,
        actor,
        {"rating": stars, "comment": comment},
        now=now,
        changes={
            "rating": stars,
            "rating_comment": comment or None,
            "rated_at": now,
            "updated_at": now,
        },
    )
