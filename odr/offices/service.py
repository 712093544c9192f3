"""Which office is competent for a region, and which offices an office supervises."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from odr.offices.models import Office
from odr.offices.regions import ancestry


def competent_office(session: Session, region_code: str) -> Office | None:
    """The county office of a region, else the nearest city or province office above it."""
    chain = ancestry(region_code)
    offices = {
        o.region_code: o
        for o in session.scalars(select(Office).where(Office.region_code.in_(chain)))
    }
    return next((offices[code] for code in chain if code in offices), None)


def by_code(session: Session, region_code: str) -> Office | None:
    return session.scalar(select(Office).where(Office.region_code == region_code))


def supervised_ids(session: Session, office_id: int) -> frozenset[int]:
    """The office itself and every office below it."""
    found = {office_id}
    frontier = [office_id]
    while frontier:
        children = session.scalars(select(Office.id).where(Office.parent_id.in_(frontier))).all()
        frontier = [c for c in children if c not in found]
        found.update(frontier)
    return frozenset(found)
