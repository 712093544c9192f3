"""Anchors of the hash chains: a periodic, append-only record of every case's chain head.

A case's own chain proves its events were not altered one by one, but whoever can write the
database can cut a case's last events and set its head back (or write a new chain): the case
then verifies. An anchor records each case's head -- its event count and last hash -- whenever
it changed since the last anchor, and chains the anchors themselves: each anchor's digest covers
the digest before it and every head it recorded. `odr audit anchor` prints the newest digest for
keeping outside odr (a regulator's register, a notary, a print-out); `odr audit verify` checks
every head ever anchored against the events (a case cut short or rewritten after an anchor no
longer holds the anchored event), recomputes the anchors' digests, and, given a digest kept
outside, that it is still in the record.

Anchoring is one ordered pass over the cases, a page per transaction (on SQLite a writer waits
for one page at most), writing only the heads that changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, Index, String, delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from odr.cases.models import Case, CaseEvent
from odr.db.base import Base, Id, UtcDateTime

PAGE = 5000  # cases a transaction
STALE = timedelta(hours=1)  # an anchor without its digest so long was left by a dead process


class AuditAnchor(Base):
    """One anchor: when, how many cases and new heads, and its digest (the chain's link)."""

    __tablename__ = "audit_anchors"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    cases: Mapped[int]  # every case there was
    heads: Mapped[int]  # the heads it recorded: new cases and cases changed since the last
    # Unique: two processes anchoring at once cannot both follow the same anchor.
    prev_digest: Mapped[str] = mapped_column(String(64), unique=True)
    digest: Mapped[str] = mapped_column(String(64))


class AnchoredHead(Base):
    """A case's chain head as an anchor found it. No foreign key to the case: a case deleted
    since must leave its heads behind, to be missed."""

    __tablename__ = "audit_anchor_heads"
    __table_args__ = (Index("ix_audit_anchor_heads_case", "case_id", "event_count"),)

    anchor_id: Mapped[int] = mapped_column(ForeignKey("audit_anchors.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(Id, primary_key=True)
    event_count: Mapped[int]
    head: Mapped[str] = mapped_column(String(64))


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Digest:
    """An anchor's digest: the digest before it, its moment and case count, then each head it
    recorded in case order."""

    def __init__(self, prev_digest: str, created_at: datetime, cases: int) -> None:
        self._hash = hashlib.sha256(f"{prev_digest}\n{_timestamp(created_at)}\n{cases}\n".encode())

    def add(self, case_id: int, event_count: int, head: str) -> None:
        self._hash.update(f"{case_id} {event_count} {head}\n".encode())

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


@dataclass(frozen=True)
class Anchored:
    id: int
    created_at: datetime
    cases: int
    heads: int
    digest: str


def latest(session: Session) -> AuditAnchor | None:
    return session.scalar(select(AuditAnchor).order_by(AuditAnchor.id.desc()).limit(1))


def anchor(factory: sessionmaker[Session], now: datetime) -> Anchored | None:
    """Record every case's head that changed since the last anchor, and the anchor; None when
    another process is anchoring. The anchor's row is claimed first (its unique prev_digest is
    the lock) and its digest written once its heads are."""
    with factory() as session, session.begin():
        prev = latest(session)
        if prev is not None and not prev.digest:  # an anchor under way, or one that died
            if prev.created_at > now - STALE:
                return None
            session.execute(delete(AnchoredHead).where(AnchoredHead.anchor_id == prev.id))
            session.delete(prev)
            session.flush()
            prev = latest(session)
        anchor_id = (prev.id if prev else 0) + 1
        prev_digest = prev.digest if prev else ""
        cases = session.scalar(select(func.count()).select_from(Case)) or 0
    try:
        with factory() as session, session.begin():
            session.add(
                AuditAnchor(
                    id=anchor_id,
                    created_at=now,
                    cases=cases,
                    heads=0,
                    prev_digest=prev_digest,
                    digest="",
                )
            )
    except IntegrityError:  # another process claimed this anchor a moment ago
        return None
    digest = _Digest(prev_digest, now, cases)
    changed = ~exists().where(
        AnchoredHead.case_id == Case.id,
        AnchoredHead.event_count == Case.event_count,
        AnchoredHead.head == Case.last_event_hash,
    )
    last_id, recorded = 0, 0
    while True:
        with factory() as session, session.begin():
            page = session.execute(
                select(Case.id, Case.event_count, Case.last_event_hash)
                .where(Case.id > last_id, changed)
                .order_by(Case.id)
                .limit(PAGE)
            ).all()
            if not page:
                break
            last_id = page[-1].id
            rows = [
                {"anchor_id": anchor_id, "case_id": c, "event_count": n, "head": h}
                for c, n, h in page
            ]
            for c, n, h in page:
                digest.add(c, n, h)
            session.execute(insert(AnchoredHead.__table__), rows)
            recorded += len(rows)
    with factory() as session, session.begin():
        session.execute(
            update(AuditAnchor)
            .where(AuditAnchor.id == anchor_id)
            .values(heads=recorded, digest=digest.hexdigest())
        )
    return Anchored(anchor_id, now, cases, recorded, digest.hexdigest())


def anchor_if_due(factory: sessionmaker[Session], now: datetime, interval: timedelta) -> int:
    """Anchor when the last anchor is `interval` old or more (the background job); 1 if done."""
    with factory() as session:
        prev = latest(session)
    if prev is not None and prev.created_at > now - interval:
        return 0
    return 1 if anchor(factory, now) is not None else 0


@dataclass(frozen=True)
class AnchorProblem:
    anchor_id: int | None
    problem: str

    def __str__(self) -> str:
        return f"anchor #{self.anchor_id}: {self.problem}" if self.anchor_id else self.problem


def anchored_heads(session: Session, case_ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
    """(event count, head) of every anchor of these cases."""
    found: dict[int, list[tuple[int, str]]] = {}
    for case_id, count, head in session.execute(
        select(AnchoredHead.case_id, AnchoredHead.event_count, AnchoredHead.head).where(
            AnchoredHead.case_id.in_(case_ids)
        )
    ):
        found.setdefault(case_id, []).append((count, head))
    return found


def head_problems(events: Sequence[CaseEvent], heads: Sequence[tuple[int, str]]) -> Iterator[str]:
    """What an anchored head says of a case's events now."""
    by_seq = {event.seq: event.hash for event in events}
    for count, head in sorted(set(heads)):
        if count == 0:
            continue
        if count not in by_seq:
            yield f"event #{count} was anchored and is gone (the chain was cut short)"
        elif by_seq[count] != head:
            yield f"event #{count} differs from the anchored head (the chain was rewritten)"


def verify_anchors(
    session: Session, expected_digest: str | None = None, after_id: int | None = None
) -> Iterator[Any]:
    """Recompute each anchor's digest from its heads and its link to the one before; name the
    anchored cases that are gone; and, given a digest kept outside odr, check that it is still
    one of the anchors'. With `after_id` (an incremental pass), the anchors up to that one were
    verified before: their stored digests are taken as they are, and deleted cases are left to
    a full pass."""
    prev_digest, digests = "", set()
    anchors = session.execute(select(AuditAnchor).order_by(AuditAnchor.id)).scalars().all()
    for item in anchors:
        if not item.digest and item is anchors[-1]:
            break  # under way
        if item.prev_digest != prev_digest:
            yield AnchorProblem(item.id, "does not follow the anchor before it")
        if after_id is not None and item.id <= after_id:
            digests.add(item.digest)
            prev_digest = item.digest
            continue
        digest, last_case = _Digest(item.prev_digest, item.created_at, item.cases), 0
        while True:
            page = session.execute(
                select(AnchoredHead.case_id, AnchoredHead.event_count, AnchoredHead.head)
                .where(AnchoredHead.anchor_id == item.id, AnchoredHead.case_id > last_case)
                .order_by(AnchoredHead.case_id)
                .limit(PAGE * 4)
            ).all()
            if not page:
                break
            for row in page:
                digest.add(row.case_id, row.event_count, row.head)
            last_case = page[-1].case_id
        if digest.hexdigest() != item.digest:
            yield AnchorProblem(item.id, "its digest does not match its heads (altered)")
        digests.add(digest.hexdigest())
        prev_digest = item.digest
    if after_id is None:
        missing = session.scalars(
            select(AnchoredHead.case_id)
            .where(~exists().where(Case.id == AnchoredHead.case_id))
            .distinct()
            .order_by(AnchoredHead.case_id)
        ).all()
        for case_id in missing:
            yield AnchorProblem(None, f"case id {case_id}: anchored, and deleted since")
    if expected_digest is not None and expected_digest not in digests:
        yield AnchorProblem(None, f"no anchor has the digest {expected_digest} (kept outside odr)")
