"""Who in the handling office works a case (承办人): assigned through act(), so each assignment
is an event of the case's hash chain, then kept on the case for the "mine" queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.auth.models import User
from odr.cases.models import Case, CaseEvent
from odr.cases.service import act
from odr.engine.rules import Rules
from odr.errors import InvalidData
from odr.text import N_

ASSIGN_TRIGGER = "assign_handler"


def office_handlers(session: Session, office_id: int | None) -> list[User]:
    """The active regulator users of an office, by name."""
    if office_id is None:
        return []
    return list(
        session.scalars(
            select(User)
            .where(User.role == "regulator", User.office_id == office_id, User.active)
            .order_by(User.display_name, User.username)
        )
    )


def assign_handler(
    session: Session,
    case: Case,
    username: str,
    actor: Actor,
    *,
    rules: Rules,
    now: datetime | None = None,
) -> CaseEvent:
    """Make a regulator user of the case's office its handler: an event through act()."""
    username = username.strip() if isinstance(username, str) else ""
    user = session.scalar(select(User).where(User.username == username))
    if (
        user is None
        or not user.active
        or user.role != "regulator"
        or case.office_id is None
        or user.office_id != case.office_id
    ):
        raise InvalidData({"handler": N_("不是本部门的承办人员")})
    if case.handler_id == user.id:
        raise InvalidData({"handler": N_("已是该案承办人")})
    event = act(
        session, case, ASSIGN_TRIGGER, actor, {"handler": user.username}, rules=rules, now=now
    )
    case.handler_id = user.id
    session.flush()
    return event


def release_if_moved(session: Session, case: Case) -> None:
    """A case that left its office (returned to intake, assigned, taken over) has no handler
    there: the handler of the office it left is cleared."""
    if case.handler_id is None:
        return
    office_id = session.scalar(select(User.office_id).where(User.id == case.handler_id))
    if office_id != case.office_id:
        case.handler_id = None
        session.flush()
