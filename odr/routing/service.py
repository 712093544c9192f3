"""Choose the negotiating ODR enterprise and the competent office for a respondent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from odr.enterprises.models import Enterprise
from odr.offices.models import Office
from odr.offices.service import by_code, competent_office


@dataclass(frozen=True)
class Route:
    enterprise: Enterprise | None  # enrolled ODR enterprise that negotiates first
    office: Office | None  # competent regulator office (acceptance, escalation)


def negotiating_enterprise(respondent: Enterprise) -> Enterprise | None:
    """The respondent if it is an active ODR enterprise, else its platform if that one is."""
    if respondent.is_odr_enterprise:
        return respondent
    platform = respondent.platform
    if platform is not None and platform.is_odr_enterprise:
        return platform
    return None


def jurisdiction_region(respondent: Enterprise) -> str:
    """Where the respondent operates; a merchant without a known place falls to its platform."""
    if respondent.region_code or respondent.platform is None:
        return respondent.region_code
    return respondent.platform.region_code


def route(session: Session, respondent: Enterprise | None, intake_office_code: str) -> Route:
    """Route a complaint; an unknown respondent goes to the intake office's triage."""
    if respondent is None:
        return Route(enterprise=None, office=by_code(session, intake_office_code))
    office = competent_office(session, jurisdiction_region(respondent))
    return Route(enterprise=negotiating_enterprise(respondent), office=office)
