"""Respondent records: businesses complaints name that odr did not know.

A named respondent not yet in odr becomes a record (unverified: no login, no ODR role) so that
its repeats, clusters, statistics and public figures count under one business (a regulator
merges two records that are one: odr/enterprises/merge.py).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from odr.cases.input import ComplaintInput
from odr.enterprises.models import Enterprise
from odr.enterprises.service import match_respondent
from odr.routing.service import record_region

UNVERIFIED = "unverified"


def respondent_for(session: Session, complaint: ComplaintInput) -> Enterprise | None:
    """The business a complaint names: one odr knows, else a new respondent record (None when
    the complaint gives neither address nor USCC to find it by: intake refuses that)."""
    found = match_respondent(
        session,
        complaint.respondent_id,
        complaint.respondent_name,
        complaint.respondent_uscc,
        complaint.respondent_address,
    )
    if found is not None or not (complaint.respondent_address or complaint.respondent_uscc):
        return found
    record = Enterprise(
        name=complaint.respondent_name,
        uscc=complaint.respondent_uscc,
        kind="shop",
        address=complaint.respondent_address,
        region_code=record_region(complaint.respondent_uscc, complaint.respondent_address),
        odr_status="none",
        record_status=UNVERIFIED,
    )
    session.add(record)
    session.flush()
    return record
