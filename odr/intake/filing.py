"""Complaints that partner systems post to the API, filed many to a transaction.

`POST /api/v1/complaints` hands each checked complaint to the process's group commit
(odr/db/group_commit.py), which passes whatever has queued up to file_complaints: the plain
ones go through odr.cases.bulk.submit_batch together (submit()'s rules, a table at a time),
joint complaints and those with a report through submit() one by one. A complaint's answer is
sent once its transaction has committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import msgspec
from sqlalchemy.orm import Session

from odr.cases.bulk import NewComplaint, submit_batch
from odr.cases.input import ComplaintInput
from odr.cases.service import submit
from odr.clock import utcnow
from odr.engine.rules import Rules
from odr.errors import InvalidData

CHANNEL = "api"


class ReportCreated(msgspec.Struct):
    number: str
    access_code: str


class ComplaintCreated(msgspec.Struct):
    number: str
    access_code: str | None  # None when the complaint joined an open case (duplicate_of)
    state: str
    due_at: datetime | None
    report: ReportCreated | None = None
    duplicate_of: str | None = None


@dataclass(frozen=True)
class ApiComplaint:
    complaint: ComplaintInput
    rules: Rules  # the app's (one per process)
    # When the partner received it, if it says (its clocks run from then); None: now.
    received_at: datetime | None = None


def file_complaints(
    session: Session, items: Sequence[ApiComplaint]
) -> list[ComplaintCreated | InvalidData]:
    """Each complaint's answer, in order: created, joined to an open case, or refused (the
    InvalidData its request answers with 400)."""
    now = utcnow()
    answers: list[ComplaintCreated | InvalidData | None] = [None] * len(items)
    plain: list[int] = []  # positions of the complaints filed together
    for position, item in enumerate(items):
        if item.complaint.co_complainants or item.complaint.report is not None:
            try:
                with session.begin_nested():  # a refusal undoes only its own writes
                    answers[position] = _file_one(session, item, now)
            except InvalidData as refused:
                answers[position] = refused
        else:
            plain.append(position)
    if plain:
        filed = submit_batch(
            session,
            [
                (None, NewComplaint(items[p].complaint, received_at=items[p].received_at))
                for p in plain
            ],
            rules=items[0].rules,  # one app's group commit: every item carries its rules
            now=now,
            channel=CHANNEL,
        )
        for position, outcome in zip(plain, filed, strict=True):
            if outcome.status == "rejected":
                answers[position] = InvalidData(dict(outcome.errors or {}))
            else:
                assert outcome.case_number is not None and outcome.state is not None
                duplicate = outcome.status == "duplicate"
                answers[position] = ComplaintCreated(
                    number=outcome.case_number,
                    access_code=None if duplicate else outcome.access_code,
                    state=outcome.state,
                    due_at=outcome.due_at,
                    duplicate_of=outcome.case_number if duplicate else None,
                )
    return [answer for answer in answers if answer is not None]


def _file_one(session: Session, item: ApiComplaint, now: datetime) -> ComplaintCreated:
    """A joint complaint, or one with a report, through submit()."""
    result = submit(
        session,
        item.complaint,
        rules=item.rules,
        channel=CHANNEL,
        now=now,
        received_at=item.received_at,
    )
    case = result.case
    if result.duplicate:
        return ComplaintCreated(
            case.number, None, case.state, case.due_at, duplicate_of=case.number
        )
    report = result.report
    return ComplaintCreated(
        case.number,
        result.access_code,
        case.state,
        case.due_at,
        report=ReportCreated(report.case.number, report.access_code) if report else None,
    )
