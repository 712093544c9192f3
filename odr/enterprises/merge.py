"""Merging a respondent record into the business it turned out to be (a regulator action).

The record's cases move to that business, each with an event on its hash chain that restates the
complaint's content digest (odr/cases/chain.py); the record points there from now on, so later
complaints naming it land there too; the decision is a supervision record (append-only).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.cases.chain import RESPONDENT_MERGED_TRIGGER, content_digest
from odr.cases.models import Attachment, Case
from odr.cases.service import record_event
from odr.enterprises.models import Enterprise, SupervisionRecord
from odr.enterprises.respondents import UNVERIFIED
from odr.enterprises.supervision import record_decision
from odr.errors import InvalidData
from odr.text import N_

MERGED = "merged"
MERGE_ACTION = "merge_record"


def merge_records(
    session: Session,
    record: Enterprise,
    into: Enterprise,
    actor: Actor,
    reason: str,
    now: datetime,
) -> SupervisionRecord:
    """Merge a respondent record into the business it turned out to be: its cases move there,
    it points there from now on, and the decision is recorded on both."""
    reason = reason.strip()
    if not reason or len(reason) > 2000:
        raise InvalidData({"reason": N_("必填，不超过2000字")})
    if record.id == into.id:
        raise InvalidData({"into": N_("不能与自身合并")})
    if record.record_status != UNVERIFIED:
        raise InvalidData({"record": N_("只能合并未核实的被投诉人记录")})
    if into.record_status == MERGED:
        raise InvalidData({"into": N_("该企业已被合并")})
    cases = session.scalars(select(Case).where(Case.respondent_id == record.id)).all()
    for case in cases:
        evidence = session.scalars(
            select(Attachment.sha256).where(
                Attachment.case_id == case.id, Attachment.event_seq.is_(None)
            )
        ).all()
        case.respondent_id = into.id
        record_event(
            session,
            case,
            RESPONDENT_MERGED_TRIGGER,
            actor,
            {
                "from_respondent": record.id,
                "respondent_id": into.id,
                "content_sha256": content_digest(case, list(evidence)),
            },
            now=now,
            changes={"updated_at": now},
        )
    moved = len(cases)
    record.record_status = MERGED
    record.merged_into_id = into.id
    return record_decision(
        session,
        record,
        actor,
        MERGE_ACTION,
        now,
        before=record.odr_status,
        reason=reason,
        subject_id=into.id,
        evidence={"merged_into": into.id, "into_name": into.name, "cases_moved": moved},
    )
