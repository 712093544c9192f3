"""Opening a case by its number for an actor: only within what the actor may see (tenancy)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from odr.auth.access import may_view
from odr.auth.actor import Actor
from odr.cases.models import Case


class CaseNotFound(LookupError):
    """No case by that number that this actor may see; which of the two is not told, so that
    case numbers of other tenants cannot be probed."""


def load_case(session: Session, number: str, actor: Actor) -> Case:
    """The case with this number if the actor may see it; CaseNotFound otherwise."""
    case = session.scalar(select(Case).where(Case.number == number))
    if case is None or not may_view(actor, case):
        raise CaseNotFound(number)
    return case
