"""`odr audit verify`, full or incremental, and the record of every pass (audit_verifications).

A full pass recomputes every case's hash chain, every anchor's digest, and (through the checks
given) every paper's and web capture's files. An incremental pass takes the last pass that found
nothing as its starting point and recomputes the whole chain of each case with an event
committed since (the events' commit order, odr/cases/event_positions.py: an event whose
transaction committed late is not passed over), the anchors made since, and those cases' papers
and captures. A tampered event of such a case is named, however old it is; an event of a case
with nothing new is not read at all: a full pass (weekly, say) is what catches that, and a case
deleted whole, and an anchor altered after it was verified.

Each pass reads a page of cases per transaction: a pass of an hour holds back neither
PostgreSQL's vacuum nor SQLite's WAL checkpoints for its length, and takes no lock a writer
waits for.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import BigInteger, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from odr.cases.anchors import AuditAnchor, verify_anchors
from odr.cases.chain import Tally, verify_cases
from odr.cases.event_positions import events_committed_through
from odr.cases.models import Case, CaseEvent
from odr.db.base import Base, Id, UtcDateTime
from odr.db.engine import reading, transaction

FULL, INCREMENTAL = "full", "incremental"
PAGE = 1000  # cases a transaction

# A check of other records that hang on the chains (papers, web captures): the problems of
# these cases' records, or of all when given None.
Check = Callable[[Session, Sequence[int] | None], Iterable[object]]


class AuditVerification(Base):
    """One pass of `odr audit verify`: what it read, in how long, through which event."""

    __tablename__ = "audit_verifications"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # full / incremental
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    seconds: Mapped[float]
    # The events' commit positions it covered: after `since` (0 for a full pass), through
    # `through` (the newest committed when it began).
    since: Mapped[int] = mapped_column(BigInteger)
    through: Mapped[int] = mapped_column(BigInteger)
    anchor_id: Mapped[int]  # the newest anchor it verified (0: none)
    cases: Mapped[int]
    events: Mapped[int]
    problems: Mapped[int]


@dataclass
class Verification:
    """What a pass did; its problems went to the caller as they were found."""

    kind: str
    since: int
    through: int
    started_at: datetime
    seconds: float = 0.0
    tally: Tally = field(default_factory=Tally)
    problems: int = 0

    @property
    def events_per_second(self) -> float:
        return self.tally.events / self.seconds if self.seconds else 0.0

    @property
    def cases_per_second(self) -> float:
        return self.tally.cases / self.seconds if self.seconds else 0.0


def last_clean(session: Session) -> AuditVerification | None:
    """The newest pass that found nothing: where an incremental pass starts."""
    return session.scalar(
        select(AuditVerification)
        .where(AuditVerification.problems == 0)
        .order_by(AuditVerification.id.desc())
        .limit(1)
    )


def _all_cases(session: Session) -> Iterator[list[int]]:
    last = 0
    while ids := list(
        session.scalars(select(Case.id).where(Case.id > last).order_by(Case.id).limit(PAGE))
    ):
        yield ids
        last = ids[-1]


def _pages(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), PAGE):
        yield ids[start : start + PAGE]


def verify(
    factory: sessionmaker[Session],
    now: datetime,
    found: Callable[[object], None],
    *,
    incremental: bool = False,
    digest: str | None = None,
    checks: Sequence[Check] = (),
) -> Verification:
    """Run a pass (incremental: since the last clean one, a full pass when there is none),
    hand each problem to `found` as it is met, and record the pass."""
    started = time.perf_counter()
    with reading(factory) as session:
        previous = last_clean(session) if incremental else None
        # (since, anchor verified) of the pass it follows, read before the session lets go.
        start = (previous.through, previous.anchor_id) if previous is not None else None
        position, through = events_committed_through(session, factory)
        run = Verification(INCREMENTAL if start else FULL, start[0] if start else 0, through, now)

        def report(problems: Iterable[object]) -> None:
            for problem in problems:
                run.problems += 1
                found(problem)

        touched: list[int] | None = None
        if start is not None:
            touched = list(
                session.scalars(
                    select(CaseEvent.case_id)
                    .where(position > run.since, position <= run.through)
                    .distinct()
                )
            )
            session.rollback()
        for ids in _all_cases(session) if touched is None else _pages(sorted(touched)):
            report(verify_cases(session, ids, tally=run.tally))
            session.rollback()  # the page's transaction ends here
        report(verify_anchors(session, digest, after_id=start[1] if start else None))
        anchor_id = session.scalar(
            select(func.coalesce(func.max(AuditAnchor.id), 0)).where(AuditAnchor.digest != "")
        )
        session.rollback()
        for check in checks:
            report(check(session, touched))
            session.rollback()
    run.seconds = time.perf_counter() - started
    with transaction(factory) as session:
        session.add(
            AuditVerification(
                kind=run.kind,
                started_at=now,
                seconds=run.seconds,
                since=run.since,
                through=run.through,
                anchor_id=anchor_id or 0,
                cases=run.tally.cases,
                events=run.tally.events,
                problems=run.problems,
            )
        )
    return run
