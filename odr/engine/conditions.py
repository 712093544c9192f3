"""Conditions a workflow may name on a transition: pure checks of the case row and the data."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Condition = Callable[[Any, Mapping[str, Any]], bool]


def respondent_is_odr_enterprise(case: Any, data: Mapping[str, Any]) -> bool:
    """Routing found an enrolled, active ODR enterprise to negotiate."""
    return case.enterprise_id is not None


def competent_office_known(case: Any, data: Mapping[str, Any]) -> bool:
    """Routing found the regulator office competent for the respondent (a routing note says
    why it did not: the case is with the intake office for triage)."""
    return (
        case.respondent_id is not None
        and case.office_id is not None
        and not getattr(case, "routing_note", None)
    )


def consent_refused(case: Any, data: Mapping[str, Any]) -> bool:
    """A party said it does not consent to mediation."""
    return data.get("decision") == "refuse"


def reporter_named(case: Any, data: Mapping[str, Any]) -> bool:
    """The reporter gave a name, so is told the decision (an anonymous one is not)."""
    return not case.anonymous


CONDITIONS: dict[str, Condition] = {
    "reporter_named": reporter_named,
    "consent_refused": consent_refused,
    "respondent_is_odr_enterprise": respondent_is_odr_enterprise,
    "competent_office_known": competent_office_known,
}
