"""What an actor may do on a case now, and doing it: the one way portals and APIs fire a
trigger, with the rules that go with some triggers (the desk's tags and handler, a handler
left behind when the case changes office)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from odr.auth.access import may_act
from odr.auth.actor import Actor
from odr.cases import disclosure
from odr.cases.campaigns import TAG_TRIGGER, UNTAG_TRIGGER, Campaign, tag, untag
from odr.cases.classification import CLASSIFY_TRIGGER, classify
from odr.cases.handlers import ASSIGN_TRIGGER, assign_handler, release_if_moved
from odr.cases.models import Case
from odr.cases.service import DocumentIssuer, act, may_take_over
from odr.engine.rules import Rules
from odr.engine.workflow import TransitionDef


def available_actions(case: Case, actor: Actor, rules: Rules) -> list[TransitionDef]:
    """The triggers this actor may fire on the case now (one transition per trigger)."""
    workflow = rules.workflow(case.workflow, case.workflow_version)
    # The disclosure of a closed complaint has pages of its own (odr/cases/disclosure.py).
    offered = [
        t
        for t in workflow.available(case.state, actor.role)
        if t.trigger not in disclosure.TRIGGERS
    ]
    if may_act(actor, case):  # the handling office does not take a case over from itself
        return [t for t in offered if t.assign_office != "actor"]
    if may_take_over(actor, case):  # a supervising office may only take the case over
        return [t for t in offered if t.assign_office == "actor"]
    return []


def perform(
    session: Session,
    case: Case,
    trigger: str,
    actor: Actor,
    data: Mapping[str, Any],
    *,
    rules: Rules,
    campaigns: Mapping[str, Campaign],
    notice_days: int = 10,
    documents: DocumentIssuer | None = None,
) -> None:
    """Fire a trigger through act(). The desk's triggers go through the functions that also
    keep their result on the case (tags, handler) or beside it (disclosure); a case that
    changed office leaves its handler behind; a decision issues its paper through `documents`.
    Raises what act() raises (CaseForbidden, InvalidData, TransitionNotAllowed,
    ConditionsNotMet, ConcurrentChange)."""
    if trigger == TAG_TRIGGER:
        tag(session, case, str(data.get("campaign", "")), actor, rules=rules, campaigns=campaigns)
    elif trigger == UNTAG_TRIGGER:
        untag(session, case, str(data.get("campaign", "")), actor, rules=rules)
    elif trigger in disclosure.TRIGGERS:
        disclosure.perform(
            session, case, actor, data, trigger=trigger, rules=rules, notice_days=notice_days
        )
    elif trigger == CLASSIFY_TRIGGER:
        classify(
            session,
            case,
            str(data.get("goods_category", "")),
            str(data.get("problem_nature", "")),
            actor,
            rules=rules,
        )
    elif trigger == ASSIGN_TRIGGER:
        assign_handler(session, case, str(data.get("handler", "")), actor, rules=rules)
    else:
        act(session, case, trigger, actor, data, rules=rules, documents=documents)
        release_if_moved(session, case)
