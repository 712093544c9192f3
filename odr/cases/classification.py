"""Classifying a complaint (workflows/classification.yaml): what the case's words suggest, and
the regulator confirming or correcting the category and the nature through act(), so every
change is an event of the case's hash chain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.cases.models import Case, CaseEvent
from odr.cases.service import act
from odr.engine.classification import Classification
from odr.engine.rules import Rules
from odr.errors import InvalidData
from odr.text import N_

CLASSIFY_TRIGGER = "classify"


def suggestion(case: Case, classification: Classification) -> tuple[str | None, str | None]:
    """The category and nature the case's product and facts suggest."""
    return classification.suggest(case.product, case.facts)


def classify(
    session: Session,
    case: Case,
    goods_category: str,
    problem_nature: str,
    actor: Actor,
    *,
    rules: Rules,
    now: datetime | None = None,
) -> CaseEvent:
    """Confirm or correct a case's classification: an event through act() that records both
    codes and the classification's version, then the case marked as confirmed. InvalidData
    names the field whose code the classification does not offer."""
    classification = rules.classification
    goods_category = (goods_category or "").strip()
    problem_nature = (problem_nature or "").strip()
    errors = {
        field: N_("请选择分类")
        for field, code in (("goods_category", goods_category), ("problem_nature", problem_nature))
        if not code
    }
    for field in classification.check(goods_category, problem_nature):
        errors[field] = N_("不是可选的分类")
    if errors:
        raise InvalidData(errors)
    data = {
        "goods_category": goods_category,
        "problem_nature": problem_nature,
        "classification_version": str(classification.version),
    }
    event = act(session, case, CLASSIFY_TRIGGER, actor, data, rules=rules, now=now)
    case.classification_confirmed = True
    session.flush()
    return event
