"""Tenant rules: who may see a case and who may act on it."""

from __future__ import annotations

from odr.auth.actor import Actor
from odr.cases.models import REPORT_CLAIM, Case


def enterprise_ids_of(case: Case) -> set[int]:
    """The enterprises a case concerns: the negotiator, the respondent and its platform."""
    ids = {i for i in (case.enterprise_id, case.respondent_id) if i is not None}
    if case.respondent is not None and case.respondent.platform_id is not None:
        ids.add(case.respondent.platform_id)
    return ids


def may_view(actor: Actor, case: Case) -> bool:
    if actor.role == "system":
        return True
    if actor.role == "consumer":
        return actor.case_id == case.id
    if actor.role == "enterprise":
        if case.claim_type == REPORT_CLAIM:
            return False  # a report and its reporter stay hidden from the enterprise
        return actor.enterprise_id is not None and actor.enterprise_id in enterprise_ids_of(case)
    if actor.role == "regulator":
        return case.office_id is not None and case.office_id in actor.office_ids
    return False


def may_act(actor: Actor, case: Case) -> bool:
    """Acting needs the view, and a regulator acts only for its own office."""
    if not may_view(actor, case):
        return False
    if actor.role == "regulator":
        return case.office_id == actor.office_id
    return True
