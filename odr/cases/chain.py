"""The hash chain of case events: each event's hash covers its content and its predecessor's."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec
from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from odr.cases.anchors import anchored_heads, head_problems
from odr.cases.models import Attachment, Case, CaseEvent

# The JSON every hash has covered since the first event: the standard library's with these
# options. msgspec writes the same for text, whole numbers, truth values, null, lists and maps
# with text keys (tests/cases/test_chain_json.py), a sixth of the time: a million demo cases
# hash 3.3 million events. It refuses keys that are not text; the standard library takes those.
# (Floats in exponent form, 1e+16, would differ: what a hash covers holds none.)
_STANDARD = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_FAST = msgspec.json.Encoder(order="sorted")


def canonical_json(value: Any) -> str:
    """The JSON a hash covers: sorted keys, no spaces, characters as they are."""
    try:
        return _FAST.encode(value).decode("utf-8")
    except TypeError:  # a map with keys that are not text
        return _STANDARD.encode(value)


# The complaint as filed: the first event's content_sha256 covers these columns and the evidence.
CONTENT_COLUMNS = (
    "number",
    "channel",
    "external_id",
    "complainant_name",
    "complainant_phone",
    "complainant_address",
    "complainant_email",
    "respondent_id",
    "respondent_name",
    "respondent_uscc",
    "respondent_address",
    "product",
    "purchase_date",
    "amount",
    "order_number",
    "claim_type",
    "facts",
)


# The event that records a personal-data purge (odr/cases/privacy.py).
PURGE_TRIGGER = "purge_personal_data"
# The regulator merged the case's respondent record into the business it turned out to be
# (odr/enterprises/respondents.py): the event holds the content digest with the new respondent.
RESPONDENT_MERGED_TRIGGER = "respondent_merged"


def content_digest(case: object, evidence_sha256: list[str]) -> str:
    """SHA-256 of the complaint's content as filed (a Case, or anything with its columns)."""
    content = {name: getattr(case, name) for name in CONTENT_COLUMNS}
    content = {k: (None if v is None else str(v)) for k, v in content.items()}
    content["evidence"] = sorted(evidence_sha256)
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class HashedEvent(Protocol):
    """What an event's hash covers: a stored CaseEvent, or an event about to be stored."""

    @property
    def seq(self) -> int: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def actor_role(self) -> str: ...
    @property
    def actor_id(self) -> int | None: ...
    @property
    def actor_label(self) -> str: ...
    @property
    def trigger(self) -> str: ...
    @property
    def from_state(self) -> str | None: ...
    @property
    def to_state(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def prev_hash(self) -> str: ...


def event_hash(case_number: str, event: HashedEvent) -> str:
    """SHA-256 over the event's content, its case number and the previous hash."""
    content = canonical_json(
        {
            "case": case_number,
            "seq": event.seq,
            "at": _timestamp(event.occurred_at),
            "actor": [event.actor_role, event.actor_id, event.actor_label],
            "trigger": event.trigger,
            "from": event.from_state,
            "to": event.to_state,
            "payload": event.payload,
            "prev": event.prev_hash,
        }
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    case_number: str
    event_seq: int | None
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"event #{self.event_seq} (id {self.event_id})" if self.event_seq else "case"
        return f"case {self.case_number}: {where}: {self.problem}"


def _purges(
    case: Case, events: list[CaseEvent]
) -> tuple[dict[int, dict[str, str]], CaseEvent | None]:
    """What intact purge events (odr/cases/privacy.py) redacted: seq -> its hashes; the last."""
    redacted: dict[int, dict[str, str]] = {}
    last = None
    for event in events:
        if event.trigger == PURGE_TRIGGER and event_hash(case.number, event) == event.hash:
            for seq, hashes in (event.payload.get("redacted") or {}).items():
                if int(seq) < event.seq:  # a purge redacts only what came before it
                    redacted[int(seq)] = hashes
            last = event
    return redacted, last


def verify_case(
    case: Case,
    events: list[CaseEvent],
    evidence_sha256: list[str],
    anchored: Sequence[tuple[int, str]] = (),
) -> Iterator[ChainProblem]:
    """Recompute one case's chain and content digest; yield every problem found.

    A personal-data purge changes the complaint and the events it redacts: the purge event,
    itself on the chain, holds the content digest after it and each redacted event's stored
    hash and the hash of its redacted form, so whatever the purge did not change is checked.
    """
    redacted, purge = _purges(case, events)
    digest = content_digest(case, evidence_sha256)
    merge = next(
        (
            e
            for e in reversed(events)
            if e.trigger == RESPONDENT_MERGED_TRIGGER and event_hash(case.number, e) == e.hash
        ),
        None,
    )
    if merge is not None and (purge is None or merge.seq > purge.seq):
        if merge.payload.get("content_sha256") != digest:
            yield ChainProblem(
                case.number, None, None, f"complaint content altered since the merge (#{merge.seq})"
            )
    elif purge is not None:
        if purge.payload.get("content_sha256") != digest:
            yield ChainProblem(
                case.number, None, None, f"complaint content altered since the purge (#{purge.seq})"
            )
    elif events and events[0].payload.get("content_sha256") != digest:
        yield ChainProblem(case.number, None, None, "complaint content altered since filing")
    prev = ""
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            yield ChainProblem(case.number, event.seq, event.id, f"expected seq {expected_seq}")
        if event.prev_hash != prev:
            yield ChainProblem(case.number, event.seq, event.id, "prev_hash does not match")
        if (hashes := redacted.get(event.seq)) is not None:
            if event.hash != hashes.get("hash") or event_hash(case.number, event) != hashes.get(
                "redacted_hash"
            ):
                yield ChainProblem(
                    case.number, event.seq, event.id, "content altered since the purge"
                )
        elif event_hash(case.number, event) != event.hash:
            yield ChainProblem(case.number, event.seq, event.id, "content altered (hash mismatch)")
        prev = event.hash
    if case.last_event_hash != prev or case.event_count != len(events):
        yield ChainProblem(case.number, None, None, "chain head does not match the last event")
    # Every change of state is an event: a case whose state is not where its last event took
    # it had events cut (and its head set back), or its state written outside act().
    if events and case.state != events[-1].to_state:
        yield ChainProblem(
            case.number,
            None,
            None,
            f"state {case.state!r} is not where the last event (#{events[-1].seq}) took it "
            f"({events[-1].to_state!r})",
        )
    for problem in head_problems(events, anchored):
        yield ChainProblem(case.number, None, None, problem)


@dataclass
class Tally:
    """What a verification read: cases and events."""

    cases: int = 0
    events: int = 0


def _verify_page(session: Session, cases: Sequence[Case], tally: Tally) -> Iterator[ChainProblem]:
    """Verify these cases' chains and anchored heads, their events read in one statement."""
    events: dict[int, list[CaseEvent]] = {c.id: [] for c in cases}
    for event in session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id.in_(events))
        .order_by(CaseEvent.case_id, CaseEvent.seq)
    ):
        events[event.case_id].append(event)
    evidence: dict[int, list[str]] = {c.id: [] for c in cases}
    for case_id, sha in session.execute(
        select(Attachment.case_id, Attachment.sha256).where(
            Attachment.case_id.in_(evidence), Attachment.event_seq.is_(None)
        )
    ):
        evidence[case_id].append(sha)
    heads = anchored_heads(session, list(events))
    for case in cases:
        tally.cases += 1
        tally.events += len(events[case.id])
        yield from verify_case(case, events[case.id], evidence[case.id], heads.get(case.id, ()))
    session.expunge_all()


def verify_all(
    session: Session, batch: int = 1000, tally: Tally | None = None
) -> Iterator[ChainProblem]:
    """Verify every case's chain, and its anchored heads, a batch of cases at a time."""
    tally = tally if tally is not None else Tally()
    last_id = 0
    while True:
        cases = session.scalars(
            select(Case).where(Case.id > last_id).order_by(Case.id).limit(batch)
        ).all()
        if not cases:
            return
        last_id = cases[-1].id
        yield from _verify_page(session, cases, tally)


def verify_cases(
    session: Session, case_ids: Sequence[int], batch: int = 1000, tally: Tally | None = None
) -> Iterator[ChainProblem]:
    """Verify these cases' whole chains (and anchored heads), a batch at a time."""
    tally = tally if tally is not None else Tally()
    ordered = sorted(case_ids)
    for start in range(0, len(ordered), batch):
        cases = session.scalars(
            select(Case).where(Case.id.in_(ordered[start : start + batch])).order_by(Case.id)
        ).all()
        yield from _verify_page(session, cases, tally)


def of_cases(
    column: Any, case_ids: Sequence[int] | None, batch: int
) -> Iterator[ColumnElement[bool]]:
    """What a verification of files beside the chains (papers, captures) reads: every row
    (`case_ids` None), else the rows of those cases, as conditions on their `column`, `batch`
    cases at a time."""
    if case_ids is None:
        yield true()
        return
    ordered = sorted(case_ids)
    for start in range(0, len(ordered), batch):
        yield column.in_(ordered[start : start + batch])
