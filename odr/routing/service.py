"""Choose the negotiating ODR enterprise and the competent office for a respondent.

The competent office is the county-level office where the respondent operates or is domiciled
(DOMAIN.md, "Jurisdiction"). For a business odr knows, its region; for a respondent record (a
business a complaint named that odr did not know), in order: the region code of its USCC
(positions 3-8), the districts its address names, the office the transferring platform named
(12315's 承办单位). Only when none of these gives an office does the case go to the intake
office's triage, with a note that says why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from odr.enterprises.models import Enterprise
from odr.offices.models import Office
from odr.offices.regions import counties_in
from odr.offices.service import by_code, competent_office

NOT_NAMED = "未指明被投诉人 / no respondent named"


@dataclass(frozen=True)
class Route:
    enterprise: Enterprise | None  # enrolled ODR enterprise that negotiates first
    office: Office | None  # competent regulator office (acceptance, escalation)
    # Why no competent office was found (the office is then the intake office: triage).
    note: str | None = None


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


def uscc_region(uscc: str | None) -> str | None:
    """The administrative division code of a (validated) USCC: its characters 3 to 8."""
    if not uscc or len(uscc) != 18 or not uscc[2:8].isdigit():
        return None
    return uscc[2:8]


def record_region(uscc: str | None, address: str) -> str:
    """Where a business odr did not know is most likely based: its USCC's region, else the
    first district its address names ("" if neither says)."""
    return uscc_region(uscc) or next(iter(counties_in(address)), "")


def _record_office(session: Session, record: Enterprise) -> tuple[Office | None, list[str]]:
    """A respondent record's office from its USCC, then its address; else why not."""
    why: list[str] = []
    region = uscc_region(record.uscc)
    if region is not None:
        if office := by_code(session, region):
            return office, why
        why.append(
            f"统一社会信用代码所示区划 {region} 无本系统监管部门 / USCC region {region} has no office here"
        )
    counties = counties_in(record.address)
    for code in counties:
        if office := by_code(session, code):
            return office, why
    if counties:
        codes = ", ".join(counties)
        why.append(
            f"地址所在区县 {codes} 无本系统监管部门 / address region {codes} has no office here"
        )
    else:
        why.append("地址中未识别出区县 / the address names no district")
    return None, why


def named_office(session: Session, named: str) -> Office | None:
    """The office a transferring platform named (12315's 承办单位): by region code, by exact
    name, else by the district or city its name contains (南宁市青秀区市场监督管理局)."""
    named = named.strip()
    if not named:
        return None
    if named.isdigit():
        return by_code(session, named)
    office = session.scalar(select(Office).where(Office.name == named))
    if office is not None:
        return office
    for code in counties_in(named):
        if office := by_code(session, code):
            return office
    return None


def route(session: Session, respondent: Enterprise | None, intake_office_code: str) -> Route:
    """Route a complaint; without a competent office it goes to the intake office's triage."""
    intake = by_code(session, intake_office_code)
    if respondent is None:
        return Route(enterprise=None, office=intake, note=NOT_NAMED)
    enterprise = negotiating_enterprise(respondent)
    if respondent.record_status == "unverified":
        office, why = _record_office(session, respondent)
    else:
        region = jurisdiction_region(respondent)
        office = competent_office(session, region) if region else None
        why = (
            []
            if office
            else [
                f"区划 {region or '未知'} 无本系统监管部门 / region {region or 'unknown'} has no office here"
            ]
        )
    if office is not None:
        return Route(enterprise=enterprise, office=office)
    return Route(enterprise=enterprise, office=intake, note="；".join(why))


def routed_for(routed: Route, prefer_odr: bool, office: Office | None, named: str = "") -> Route:
    """The route as the transferring platform asked: without the enterprise when the consumer
    did not choose its ODR channel (12315); at the handling office it named when routing found
    no competent office (`named`: how the platform named it, for the note if it is none)."""
    if not prefer_odr:
        routed = replace(routed, enterprise=None)
    if routed.note is None:
        return routed
    if office is not None:
        return replace(routed, office=office, note=None)
    if named:
        routed = replace(
            routed,
            note=f"{routed.note}；承办单位“{named}”不是本系统监管部门 / 承办单位 names no office here",
        )
    return routed
