"""Patterns a regulator watches for: many consumers against the same business and product (a
candidate joint complaint, or a sign of a product problem), and one phone behind complaints
against many businesses (a possible professional claimant, 职业索赔)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from odr.cases.models import REPORT_CLAIM, Case
from odr.masking import mask_phone

CLUSTER_WINDOW = timedelta(days=30)
CLUSTER_MIN_CASES = 3
CLAIMANT_WINDOW = timedelta(days=90)
CLAIMANT_MIN_RESPONDENTS = 3


@dataclass(frozen=True)
class Cluster:
    respondent_name: str
    product: str
    cases: int
    consumers: int
    numbers: list[str]


@dataclass(frozen=True)
class FrequentClaimant:
    phone: str  # masked: 138****8000
    cases: int
    respondents: int


def _scope(office_ids: Collection[int], since: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        Case.office_id.in_(office_ids),
        Case.received_at >= since,
        Case.claim_type != REPORT_CLAIM,
    )


def clusters(session: Session, office_ids: Collection[int], now: datetime) -> list[Cluster]:
    """Complaints of several consumers against one business about one product, lately."""
    product = func.lower(func.trim(Case.product))
    rows = session.execute(
        select(
            Case.respondent_name,
            product,
            func.count(),
            func.count(Case.complainant_phone.distinct()),
        )
        .where(*_scope(office_ids, now - CLUSTER_WINDOW), Case.respondent_id.is_not(None))
        .group_by(Case.respondent_id, Case.respondent_name, product)
        .having(func.count(Case.complainant_phone.distinct()) >= CLUSTER_MIN_CASES)
        .order_by(func.count().desc())
    ).all()
    found = []
    for name, item, count, consumers in rows:
        numbers = session.scalars(
            select(Case.number)
            .where(
                *_scope(office_ids, now - CLUSTER_WINDOW),
                Case.respondent_name == name,
                product == item,
            )
            .order_by(Case.id)
        ).all()
        found.append(Cluster(name, item, count, consumers, list(numbers)))
    return found


def frequent_claimants(
    session: Session, office_ids: Collection[int], now: datetime
) -> list[FrequentClaimant]:
    """Phones behind complaints against several businesses lately."""
    respondents = func.count(Case.respondent_name.distinct())
    rows = session.execute(
        select(Case.complainant_phone, func.count(), respondents)
        .where(*_scope(office_ids, now - CLAIMANT_WINDOW))
        .group_by(Case.complainant_phone)
        .having(respondents >= CLAIMANT_MIN_RESPONDENTS)
        .order_by(respondents.desc())
    ).all()
    return [FrequentClaimant(mask_phone(phone), count, distinct) for phone, count, distinct in rows]
