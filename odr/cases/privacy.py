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
from collections.abc import Callable, Iterator
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


def _purge_case(
    session: Session, case: Case, evidence_dir: Path, now: datetime, cutoff: datetime
) -> tuple[int, list[str]] | None:
    """Redact one case and chain the purge event; (events redacted, file hashes) or None."""
    events = list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
        )
    )
    attachments = list(session.scalars(select(Attachment).where(Attachment.case_id == case.id)))
    evidence = [a.sha256 for a in attachments if a.event_seq is None]
    if any(True for _ in verify_case(case, events, evidence)):
        return None  # never bless a tampered chain with a purge's new hashes
    parties = list(session.scalars(select(CaseParty).where(CaseParty.case_id == case.id)))
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
    for note in session.scalars(select(Notification).where(Notification.case_id == case.id)):
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


def _batches(factory: sessionmaker[Session], cutoff: datetime, batch: int) -> Iterator[list[int]]:
    after = 0
    while True:
        with factory() as session:
            ids = [c.id for c in _candidates(session, cutoff, after, batch)]
        if not ids:
            return
        yield ids
        after = ids[-1]


def purge(
    factory: sessionmaker[Session],
    evidence_dir: Path,
    older_than: str,
    now: datetime,
    *,
    dry_run: bool = False,
    batch: int = 200,
) -> PurgeResult:
    """Purge the personal data of cases closed longer ago than `older_than` (e.g. '3y')."""
    cutoff = parse_age(older_than)(now)
    result = PurgeResult()
    for ids in _batches(factory, cutoff, batch):
        with factory() as session:
            cases = session.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.id))
            shas: set[str] = set()
            for case in cases:
                done = _purge_case(session, case, evidence_dir, now, cutoff)
                if done is None:
                    result.skipped.append(case.number)
                    continue
                result.cases.append(case.number)
                result.events_redacted += done[0]
                shas.update(done[1])
            session.flush()
            doomed = shas - _still_needed(session, shas)
            if dry_run:
                session.rollback()
                result.files_deleted += len(doomed)
                continue
            session.commit()
        # Files go only once the redaction is committed: a failed batch loses nothing.
        for sha in doomed:
            evidence_path(evidence_dir, sha).unlink(missing_ok=True)
            result.files_deleted += 1
    return result
