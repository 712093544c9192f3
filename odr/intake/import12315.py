"""Import 12315 transfer records: each valid one becomes a case once, whatever is re-sent.

Records are stored a batch per transaction through odr.cases.bulk (submit()'s rules, the rows
written a table at a time); a bad record is rejected and never takes good ones with it. The
12315 number is unique per channel, so a re-run (after a crash half-way, or a resend) finds
what is already there and creates nothing twice. A batch that meets a 12315 number another
import stored meanwhile is done again one record at a time, each in a savepoint.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from odr.cases.bulk import Filed, NewComplaint, existing_cases, submit_batch
from odr.cases.models import Case
from odr.cases.service import submit
from odr.clock import SHANGHAI
from odr.engine.rules import Rules
from odr.errors import InvalidData
from odr.intake.complaint import parse_complaint
from odr.intake.received import parse_received_at
from odr.intake.transfer12315 import CLAIMS, FIELD_HEADERS, TransferRecord
from odr.offices.models import Office
from odr.routing.service import named_office
from odr.text import N_, both

CHANNEL = "12315"
MAX_RECORDS = 10_000
BATCH = 2_000  # records per transaction
YES = {"是", "y", "yes", "true", "1"}
NO = {"否", "n", "no", "false", "0"}
_AMOUNT_NOISE = re.compile(r"[元￥¥,，\s]")
_DATE = re.compile(r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


@dataclass(frozen=True)
class RecordResult:
    line: int
    external_id: str
    status: str  # created / duplicate / rejected
    case_number: str | None = None
    field: str | None = None  # the record's header of the field at fault
    reason: str | None = None  # in both languages: a report has no reader's switch


def _iso_date(value: str) -> str:
    """2026-11-20, 2026/11/20, 2026年11月20日 or with a time: as YYYY-MM-DD (else as given)."""
    match = _DATE.match(value)
    if not match:
        return value
    year, month, day = (int(part) for part in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def complaint_fields(record: TransferRecord) -> dict[str, str]:
    """The record as the complaint form's fields."""
    f = {k: v.strip() for k, v in record.fields.items()}
    raw = {
        k: f.get(k, "")
        for k in (
            "complainant_name",
            "complainant_phone",
            "complainant_address",
            "respondent_name",
            "respondent_uscc",
            "respondent_address",
            "product",
            "order_number",
            "facts",
            "category",
            "problem_nature",
        )
    }
    raw["claim_type"] = CLAIMS.get(f.get("claim_type", ""), f.get("claim_type", ""))
    raw["purchase_date"] = _iso_date(f.get("purchase_date", ""))
    raw["amount"] = _AMOUNT_NOISE.sub("", f.get("amount", ""))
    raw["notify_sms"], raw["notify_email"] = "1", "0"
    return raw


def _chose_odr(record: TransferRecord) -> bool:
    value = record.fields.get("chose_odr", "").strip().lower()
    if value and value not in YES | NO:
        raise InvalidData({"chose_odr": N_("应为“是”或“否”")})
    return value not in NO


def _office(session: Session, record: TransferRecord) -> Office | None:
    """The handling office 12315 named (承办单位), if it names one here: routing uses it when
    it finds no competent office; one that names none is said in the triage note."""
    return named_office(session, _named(record))


def _named(record: TransferRecord) -> str:
    return record.fields.get("handling_office", "").strip()


def _received(record: TransferRecord, now: datetime) -> datetime | None:
    """When 12315 received the complaint (登记时间); None: not given, its arrival stands in."""
    return parse_received_at(record.fields.get("registered_at", ""), now, "registered_at")


def _header(field: str) -> str:
    return FIELD_HEADERS.get(field, field)


def _existing(session: Session, external_id: str) -> str | None:
    return session.scalar(
        select(Case.number).where(Case.channel == CHANNEL, Case.external_id == external_id)
    )


def _import_one(
    session: Session, record: TransferRecord, rules: Rules, now: datetime
) -> RecordResult:
    external_id = _external_id(record)
    if bad := _bad_external_id(record, external_id):
        return bad
    if number := _existing(session, external_id):
        return RecordResult(record.line, external_id, "duplicate", case_number=number)
    try:
        complaint = parse_complaint(
            complaint_fields(record),
            rules.workflow().lists["claim_types"],
            today=now.astimezone(SHANGHAI).date(),
            classification=rules.classification,
        )
        received_at = _received(record, now)
        with session.begin_nested():
            submission = submit(
                session,
                complaint,
                rules=rules,
                channel=CHANNEL,
                external_id=external_id,
                now=now,
                identity_verified=True,
                prefer_odr=_chose_odr(record),
                office=_office(session, record),
                named_office=_named(record),
                intake_payload={"registered_at": record.fields.get("registered_at", "")},
                received_at=received_at,
                received_at_assumed=received_at is None,
            )
    except InvalidData as exc:
        field, reason = next(iter(exc.errors.items()))
        return RecordResult(
            record.line, external_id, "rejected", field=_header(field), reason=both(reason)
        )
    except IntegrityError:  # another import stored the same 12315 number meanwhile
        return RecordResult(
            record.line, external_id, "duplicate", case_number=_existing(session, external_id)
        )
    status = "duplicate" if submission.duplicate else "created"
    return RecordResult(record.line, external_id, status, case_number=submission.case.number)


def _external_id(record: TransferRecord) -> str:
    return record.fields.get("external_id", "").strip()


def _bad_external_id(record: TransferRecord, external_id: str) -> RecordResult | None:
    if not external_id or len(external_id) > 64:
        return RecordResult(
            record.line,
            external_id,
            "rejected",
            field="投诉编号",
            reason=both(N_("必填，不超过64字符")),
        )
    return None


def _prepare(
    session: Session,
    record: TransferRecord,
    rules: Rules,
    now: datetime,
    offices: dict[str, Office | None],
) -> NewComplaint | InvalidData:
    """The record as a complaint to file, or why it is none (checked in _import_one's order:
    the complaint's fields, 登记时间, the ODR choice; the handling office, looked up once a
    batch)."""
    try:
        complaint = parse_complaint(
            complaint_fields(record),
            rules.workflow().lists["claim_types"],
            today=now.astimezone(SHANGHAI).date(),
            classification=rules.classification,
        )
        received_at = _received(record, now)
        prefer_odr = _chose_odr(record)
    except InvalidData as exc:
        return exc
    named = _named(record)
    if named not in offices:
        offices[named] = _office(session, record)
    return NewComplaint(
        complaint,
        prefer_odr=prefer_odr,
        office=offices[named],
        named_office=named,
        intake_payload={"registered_at": record.fields.get("registered_at", "")},
        received_at=received_at,
        received_at_assumed=received_at is None,
    )


def _outcome(record: TransferRecord, external_id: str, filed: Filed) -> RecordResult:
    if filed.status == "rejected":
        field, reason = next(iter((filed.errors or {}).items()))
        return RecordResult(
            record.line, external_id, "rejected", field=_header(field), reason=both(reason)
        )
    return RecordResult(record.line, external_id, filed.status, case_number=filed.case_number)


def _import_batch(
    session: Session, records: list[TransferRecord], rules: Rules, now: datetime
) -> list[RecordResult]:
    """A batch of records filed together (odr.cases.bulk): the same results as _import_one's
    one by one."""
    ids = [_external_id(record) for record in records]
    stored = existing_cases(session, CHANNEL, (i for i in ids if i and len(i) <= 64))
    results: list[RecordResult | None] = []
    pending: list[tuple[int, TransferRecord]] = []
    items: list[tuple[str | None, NewComplaint | InvalidData]] = []
    offices: dict[str, Office | None] = {}
    for record, external_id in zip(records, ids, strict=True):
        if bad := _bad_external_id(record, external_id):
            results.append(bad)
        elif number := stored.get(external_id):
            results.append(RecordResult(record.line, external_id, "duplicate", case_number=number))
        else:
            pending.append((len(results), record))
            results.append(None)
            items.append((external_id, _prepare(session, record, rules, now, offices)))
    filed = submit_batch(
        session, items, rules=rules, now=now, channel=CHANNEL, identity_verified=True
    )
    for (position, record), (filed_id, _), outcome in zip(pending, items, filed, strict=True):
        results[position] = _outcome(record, filed_id or "", outcome)
    return [r for r in results if r is not None]


def import_records(
    factory: sessionmaker[Session],
    records: Iterable[TransferRecord],
    rules: Rules,
    now: datetime,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> list[RecordResult]:
    """Import records, a batch per transaction; each record's result, in order."""
    results: list[RecordResult] = []
    pending = list(records)
    for start in range(0, len(pending), batch):
        chunk = pending[start : start + batch]
        try:
            with factory() as session, session.begin():
                done = _import_batch(session, chunk, rules, now)
        except IntegrityError:  # another import stored some of these meanwhile
            with factory() as session, session.begin():
                done = [_import_one(session, record, rules, now) for record in chunk]
        results.extend(done)
        if progress:
            progress(len(chunk))
    return results
