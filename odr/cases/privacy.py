"""Personal-data purge: closed cases past the retention period keep their figures, not the person.

What goes: the complainant's name, phone, address, e-mail, the facts, the order number, the
follow-up comment, the co-complainants, evidence file names and bytes, free text in event
payloads (messages, notes, reasons, answers), the consumer's name in event actor labels, and
what notifications kept of all that. What stays, for scorecards and dashboards: the number,
state, dates, respondent, enterprise, office, product, claim type, amount, outcome, rating,
channel and every event's trigger, states and time.

The hash chain stays verifiable: the purge appends one `purge_personal_data` event (through
service.record_event, which also masks the case's personal columns) holding the content
digest after the purge, the digest of what was removed, and for every redacted event its
stored hash and the hash of its redacted form; `odr audit verify` (cases/chain.py) checks the
redacted rows against those.

The purge is the one code outside the service that rewrites stored events, and only their
payload and actor label (tests/cases/test_one_door.py holds it to those two): rewriting is
what it is for, and the purge event it chains records each rewritten event's hashes.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, sessionmaker

from odr.auth.actor import SYSTEM
from odr.cases.chain import (
    CONTENT_COLUMNS,
    PURGE_TRIGGER,
    canonical_json,
    content_digest,
    event_hash,
    verify_case,
)
from odr.cases.evidence import evidence_path
from odr.cases.models import Attachment, Case, CaseEvent, CaseParty
from odr.cases.service import record_event
from odr.db.dialects import claim
from odr.db.engine import reading
from odr.masking import REDACTED
from odr.notify.models import Notification

# Case columns that hold the person, and what they become.
PERSONAL_COLUMNS: dict[str, str | None] = {
    "complainant_name": REDACTED,
    "complainant_phone": REDACTED,
    "complainant_address": REDACTED,
    "complainant_email": None,
    "facts": REDACTED,
    "order_number": None,
    "rating_comment": None,
}
# Payload values kept as they are: codes, digests, deadlines and figures, never free text.
KEPT_KEYS = frozenset(
    {"channel", "content_sha256", "sha256", "due_at", "amount", "office", "external_id"}
)
# A value of a choice list (e.g. a rejection ground) is a lowercase code: it names no one.
CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_DURATION = re.compile(r"(\d+)\s*([ymwd])")


def parse_age(text: str) -> Callable[[datetime], datetime]:
    """'3y', '18m', '6w' or '90d' -> the function giving the cutoff before a moment."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match:
        raise ValueError(f"{text!r}: give a number and y, m, w or d, e.g. 3y")
    count, unit = int(match.group(1)), match.group(2)

    def cutoff(now: datetime) -> datetime:
        if unit in "wd":
            return now - timedelta(days=count * (7 if unit == "w" else 1))
        months = now.year * 12 + now.month - 1 - count * (12 if unit == "y" else 1)
        year, month = divmod(months, 12)
        for day in range(now.day, 0, -1):  # 29 February three years on is 28 February
            try:
                return now.replace(year=year, month=month + 1, day=day)
            except ValueError:
                continue
        raise AssertionError("unreachable")

    return cutoff


def redact(value: Any, key: str = "") -> Any:
    """A payload (or notification context) with its free text replaced."""
    if key in KEPT_KEYS:
        return value
    if isinstance(value, dict):
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str) and value and not CODE.fullmatch(value):
        return REDACTED
    return value


def _actor_label(event: CaseEvent) -> str:
    # Consumer events are labelled "投诉人 <name>" (auth/actor.py).
    return "投诉人" if event.actor_role == "consumer" else event.actor_label


@dataclass
class PurgeResult:
    cases: list[str] = field(default_factory=list)  # numbers purged (or, dry run, to purge)
    events_redacted: int = 0
    files_deleted: int = 0
    skipped: list[str] = field(default_factory=list)  # broken chains: not purged, verify names them
    seconds: float = 0.0
    longest_batch_seconds: float = 0.0  # the longest transaction (of a batch) it held


def _candidates(session: Session, cutoff: datetime, after_id: int, batch: int) -> list[Case]:
    """Closed before the cutoff, and not purged since their last event."""
    last = CaseEvent.__table__.alias("last_event")
    return list(
        session.scalars(
            select(Case)
            .join(last, and_(last.c.case_id == Case.id, last.c.seq == Case.event_count))
            .where(
                Case.closed_at.is_not(None),
                Case.closed_at < cutoff,
                last.c.trigger != PURGE_TRIGGER,
                Case.id > after_id,
            )
            .order_by(Case.id)
            .limit(batch)
        )
    )


@dataclass
class _Rows:
    """A case's rows the purge rewrites, read for a whole batch at once."""

    events: list[CaseEvent] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    parties: list[CaseParty] = field(default_factory=list)
    notes: list[Notification] = field(default_factory=list)


def _rows_of(session: Session, case_ids: list[int]) -> dict[int, _Rows]:
    rows = {case_id: _Rows() for case_id in case_ids}
    kinds: tuple[tuple[Any, Any, str], ...] = (
        (CaseEvent, CaseEvent.seq, "events"),
        (Attachment, Attachment.id, "attachments"),
        (CaseParty, CaseParty.id, "parties"),
        (Notification, Notification.id, "notes"),
    )
    for model, order, kept in kinds:
        for row in session.scalars(
            select(model).where(model.case_id.in_(case_ids)).order_by(order)
        ):
            getattr(rows[row.case_id], kept).append(row)
    return rows


def _purge_case(
    session: Session, case: Case, rows: _Rows, evidence_dir: Path, now: datetime, cutoff: datetime
) -> tuple[int, list[str]] | None:
    """Redact one case and chain the purge event; (events redacted, file hashes) or None."""
    events, attachments, parties = rows.events, rows.attachments, rows.parties
    evidence = [a.sha256 for a in attachments if a.event_seq is None]
    if any(True for _ in verify_case(case, events, evidence)):
        return None  # never bless a tampered chain with a purge's new hashes
    removed: dict[str, Any] = {
        "case": {
            c: None if getattr(case, c) is None else str(getattr(case, c)) for c in PERSONAL_COLUMNS
        },
        "parties": [[p.name, p.phone, p.address] for p in parties],
        "files": sorted((a.filename, a.sha256) for a in attachments),
        "events": {},
    }
    for party in parties:
        party.name = party.phone = party.address = REDACTED
    for attachment in attachments:
        extension = attachment.filename.rsplit(".", 1)[-1][:10]
        attachment.filename = f"{REDACTED}.{extension}"
    redacted: dict[str, dict[str, str]] = {}
    for event in events:
        if event.trigger == PURGE_TRIGGER:
            continue
        payload, label = redact(event.payload), _actor_label(event)
        if payload == event.payload and label == event.actor_label:
            continue
        removed["events"][str(event.seq)] = [event.actor_label, event.payload]
        event.payload, event.actor_label = payload, label
        redacted[str(event.seq)] = {
            "hash": event.hash,
            "redacted_hash": event_hash(case.number, event),
        }
    for note in rows.notes:
        note.context = redact(note.context)
        note.subject = note.body = None
        if note.audience == "consumer":
            note.recipient = REDACTED
    removed_sha256 = hashlib.sha256(canonical_json(removed).encode("utf-8")).hexdigest()
    masked = {column: getattr(case, column) for column in CONTENT_COLUMNS} | PERSONAL_COLUMNS
    payload = {
        "cutoff": cutoff.isoformat(),
        "content_sha256": content_digest(SimpleNamespace(**masked), evidence),
        "removed_sha256": removed_sha256,
        "redacted": redacted,
    }
    record_event(session, case, PURGE_TRIGGER, SYSTEM, payload, now=now, changes=PERSONAL_COLUMNS)
    files = [a.sha256 for a in attachments if evidence_path(evidence_dir, a.sha256).exists()]
    return len(redacted), files


def _still_needed(session: Session, shas: set[str]) -> set[str]:
    """The files another case not yet purged still refers to (same bytes, filed twice)."""
    if not shas:
        return set()
    return set(
        session.scalars(
            select(Attachment.sha256)
            .join(Case, Case.id == Attachment.case_id)
            .where(Attachment.sha256.in_(shas), Case.complainant_name != REDACTED)
        )
    )


@dataclass
class PurgeProgress:
    """Where a purge stands after a batch: for a progress line, and to resume by."""

    batches: int
    cases: int  # purged so far (or, dry run, to purge)
    after_id: int  # the last case id the purge has passed
    seconds: float  # since it began
    batch_seconds: float  # the transaction of the batch just committed


def _candidate_ids(
    factory: sessionmaker[Session], cutoff: datetime, after_id: int, batch: int
) -> list[int]:
    # Read without the write lock (SQLite): the batch's own transaction claims the rows.
    with reading(factory) as session:
        return [c.id for c in _candidates(session, cutoff, after_id, batch)]


def purge_batch(
    session: Session,
    ids: list[int],
    evidence_dir: Path,
    now: datetime,
    cutoff: datetime,
    result: PurgeResult,
    seconds: float | None = None,
) -> tuple[set[str], int]:
    """Purge these cases in the session's transaction, the ones another transaction holds
    skipped (PostgreSQL: SKIP LOCKED; a later run takes them), and no more once `seconds` have
    passed: (the evidence files now unused, the last id it went through)."""
    began = time.perf_counter()
    cases = session.scalars(claim(select(Case).where(Case.id.in_(ids)).order_by(Case.id))).all()
    rows = _rows_of(session, [case.id for case in cases])
    shas: set[str] = set()
    last = ids[-1]
    for handled, case in enumerate(cases):
        # At least one case a batch, however slow: a purge always moves on.
        if handled and seconds is not None and time.perf_counter() - began > seconds:
            last = case.id - 1  # the rest of the batch is the next batch's
            break
        done = _purge_case(session, case, rows[case.id], evidence_dir, now, cutoff)
        if done is None:
            result.skipped.append(case.number)
            continue
        result.cases.append(case.number)
        result.events_redacted += done[0]
        shas.update(done[1])
    session.flush()
    return shas - _still_needed(session, shas), last


def purge(
    factory: sessionmaker[Session],
    evidence_dir: Path,
    older_than: str,
    now: datetime,
    *,
    dry_run: bool = False,
    batch: int = 100,
    batch_seconds: float | None = 1.0,
    progress: Callable[[PurgeProgress], None] | None = None,
) -> PurgeResult:
    """Purge the personal data of cases closed longer ago than `older_than` (e.g. '3y'), a
    batch of cases per short transaction (`batch` cases, committed sooner once
    `batch_seconds` have passed), in id order. Stopped at any point, it loses nothing and a
    new run goes on where it stopped: a purged case is no candidate any more."""
    cutoff = parse_age(older_than)(now)
    result = PurgeResult()
    started, after, batches = time.perf_counter(), 0, 0
    while ids := _candidate_ids(factory, cutoff, after, batch):
        began = time.perf_counter()
        with factory() as session:
            doomed, after = purge_batch(
                session, ids, evidence_dir, now, cutoff, result, batch_seconds
            )
            if dry_run:
                session.rollback()
            else:
                session.commit()
        took = time.perf_counter() - began
        result.longest_batch_seconds = max(result.longest_batch_seconds, took)
        batches += 1
        if dry_run:
            result.files_deleted += len(doomed)
        else:
            # Files go only once the redaction is committed: a failed batch loses nothing.
            for sha in doomed:
                evidence_path(evidence_dir, sha).unlink(missing_ok=True)
                result.files_deleted += 1
        if progress is not None:
            elapsed = time.perf_counter() - started
            progress(PurgeProgress(batches, len(result.cases), after, elapsed, took))
    result.seconds = time.perf_counter() - started
    return result
