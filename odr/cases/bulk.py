"""Many new complaints in one transaction: submit()'s rules, rows written a table at a time.

Each complaint goes through the steps submit() takes (odr/cases/service.py): the track and
rulebook of the day, the business it names, a repeat of an open case (also of one earlier in
the same batch), the route, the case's columns, its submit and route events and the outbox
rows of routing. What repeats across a batch is looked up once: businesses, routes,
recipients, the calendar's answers for the batch's moment. The cases, their events and their
notifications are then inserted with one executemany each.

act_batch() is the same for one trigger fired on many stored cases (the sweeper's expiries):
act()'s checks and move for each, on the cases' rows rather than ORM objects (whose flush,
version-checked, writes one UPDATE per case), then the changed columns, the events and the
outbox rows an executemany each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    Table,
    bindparam,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import Compiled, Dialect
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.cases.models import Case, CaseEvent
from odr.cases.service import (
    DUPLICATE_KEY_COLUMNS,
    SHANGHAI,
    ConcurrentChange,
    Start,
    case_values,
    chain_event,
    duplicate_event,
    duplicate_key,
    fill_intake,
    intake_rules,
    joinable,
    move,
    new_case_numbers,
    require_findable,
    routed_for,
    start_case,
)
from odr.db.dialects import guided
from odr.engine.rules import Rulebook, Rules
from odr.engine.workflow import Clock, InvalidData, StateDef, Workflow
from odr.enterprises.models import Enterprise
from odr.enterprises.service import match_respondent
from odr.intake.complaint import ComplaintInput
from odr.notify.models import Notification
from odr.notify.outbox import context_for, notification_rows, remembered_recipients
from odr.offices.models import Office
from odr.routing.service import Route, route

CASES = Case.__table__
EVENTS = CaseEvent.__table__
NOTIFICATIONS = Notification.__table__
# Every column of a new case, with the model's default where it has one.
CASE_DEFAULTS = {
    column.key: column.default.arg if column.default is not None else None
    for column in CASES.columns
    if column.key != "id"
}
QUERY_CHUNK = 500  # keys per IN (...): well inside SQLite's limit of bound parameters


@dataclass(frozen=True)
class NewComplaint:
    """One complaint of a batch, as submit() would be asked to file it."""

    complaint: ComplaintInput
    prefer_odr: bool = True
    office: Office | None = None  # the handling office the transferring platform named
    intake_payload: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Filed:
    status: str  # created / duplicate / rejected
    case_number: str | None = None
    access_code: str = ""  # of a created case: shown once
    errors: Mapping[str, str] | None = None  # of a rejected one
    state: str | None = None  # of the case created or joined, after routing
    due_at: datetime | None = None


class CaseValues(SimpleNamespace):
    """Case's columns as attributes, outside the ORM (and its office, which the notices name):
    a new case before it is stored, or a stored one changed in bulk (stored_cases, then
    store_changes). The engine fires triggers on it as on a Case."""

    def columns(self) -> dict[str, Any]:
        columns = dict(vars(self))
        del columns["office"]
        return columns


def stored_cases(session: Session, statement: Select[Any]) -> list[tuple[CaseValues, dict]]:
    """The cases a select of the cases table finds, as values with their offices, each with a
    copy of its columns as stored (what store_changes compares with)."""
    rows = [dict(row._mapping) for row in session.execute(statement)]
    office_ids = sorted({row["office_id"] for row in rows if row["office_id"] is not None})
    offices = {
        office.id: office
        for ids in _chunks(office_ids)
        for office in session.scalars(select(Office).where(Office.id.in_(ids)))
    }
    return [(CaseValues(**row, office=offices.get(row["office_id"])), row) for row in rows]


def store_changes(session: Session, cases: Sequence[tuple[CaseValues, dict]]) -> None:
    """Write what changed in each case since it was read, an executemany per set of changed
    columns, each row only if its version is still the one read (the ORM's version check,
    whose own flush writes row by row); each case's version moves on by one. Columns are
    compared by value: every column of a case holds an immutable value (text, number, moment)."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for case, stored in cases:
        now = vars(case)
        changed = tuple(k for k, v in stored.items() if now[k] != v and k != "version")
        row = {f"v_{k}": now[k] for k in changed}
        row |= {"w_id": case.id, "w_version": stored["version"], "v_version": case.version + 1}
        by_columns.setdefault(changed, []).append(row)
    connection = session.connection()
    for changed, rows in by_columns.items():
        statement = (
            update(CASES)
            .where(CASES.c.id == bindparam("w_id"), CASES.c.version == bindparam("w_version"))
            .values({k: bindparam(f"v_{k}", type_=CASES.c[k].type) for k in (*changed, "version")})
            .compile(dialect=connection.dialect)
        )
        for chunk in _chunks(rows):
            updated = _execute_many(connection, statement, chunk)
            if updated != len(chunk):  # another transaction changed one meanwhile
                numbers = {c.id: c.number for c, _ in cases}
                raise ConcurrentChange(", ".join(numbers[r["w_id"]] for r in chunk))
    for case, _ in cases:
        case.version += 1


@dataclass
class _Planned:
    case: CaseValues
    start: Start


class _RememberedCalendar:
    """The working calendar, remembering whether a deadline is provisional."""

    def __init__(self, calendar: Any):
        self._calendar = calendar
        self._provisional: dict[tuple[datetime, datetime], bool] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._calendar, name)

    def is_provisional(self, start: datetime, deadline: datetime) -> bool:
        key = (start, deadline)
        if key not in self._provisional:
            self._provisional[key] = self._calendar.is_provisional(start, deadline)
        return self._provisional[key]


class _RememberedRules:
    """The rules, remembering the calendar's answers: every case of a batch starts its clock at
    the same moment, so each deadline is counted once."""

    def __init__(self, rules: Rules):
        self._rules = rules
        self.calendar = _RememberedCalendar(rules.calendar)
        self._due: dict[tuple[Clock, datetime, int], datetime] = {}
        self._reminders: dict[tuple[int, datetime | None, datetime], datetime | None] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rules, name)

    def due(self, clock: Clock, start: datetime, days: int) -> datetime:
        key = (clock, start, days)
        if key not in self._due:
            self._due[key] = self._rules.due(clock, start, days)
        return self._due[key]

    def next_reminder(
        self, state: StateDef, due_at: datetime | None, now: datetime
    ) -> datetime | None:
        key = (id(state), due_at, now)  # states live as long as their workflow
        if key not in self._reminders:
            self._reminders[key] = self._rules.next_reminder(state, due_at, now)
        return self._reminders[key]


def existing_cases(session: Session, channel: str, external_ids: Iterable[str]) -> dict[str, str]:
    """external id -> case number, of the cases of a channel already stored."""
    wanted = sorted(set(external_ids))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), QUERY_CHUNK):
        found.update(
            session.execute(
                select(Case.external_id, Case.number).where(
                    Case.channel == channel,
                    Case.external_id.in_(wanted[start : start + QUERY_CHUNK]),
                )
            ).all()
        )
    return found


def _open_cases(
    session: Session, keys: set[tuple[str, int, str]], now: datetime
) -> dict[tuple[str, int, str], Case]:
    """The earliest open case for each duplicate key (what _open_duplicate finds one by one),
    read along ix_cases_repeat. PostgreSQL reads a row-value IN of many keys along the index;
    SQLite scanned the whole table for it (53 ms a chunk on 100,000 cases), so it is told the
    keys' phones too: it reads them along the index and checks the row values there."""
    wanted = sorted(keys)
    found: dict[tuple[str, int, str], Case] = {}
    for start in range(0, len(wanted), QUERY_CHUNK):
        chunk = wanted[start : start + QUERY_CHUNK]
        statement = guided(
            session,
            select(Case).where(tuple_(*DUPLICATE_KEY_COLUMNS).in_(chunk)),
            Case.complainant_phone.in_(sorted({phone for phone, _, _ in chunk})),
        )
        for case in session.scalars(statement.where(*joinable(now)).order_by(Case.id)):
            found.setdefault((case.complainant_phone, case.respondent_id, case.order_number), case)
    return found


def submit_batch(
    session: Session,
    items: Sequence[tuple[str | None, NewComplaint | InvalidData]],
    *,
    rules: Rules,
    now: datetime,
    channel: str,
    identity_verified: bool = False,
) -> list[Filed]:
    """File (external id, complaint) pairs as submit() would one by one, in the caller's
    transaction: each one's outcome, in order. A complaint already refused (InvalidData) is
    rejected, unless an earlier one of the batch with its external id was filed (a repeat).
    Joint complaints and reports filed with a complaint go through submit()."""
    received = now.astimezone(SHANGHAI).date()
    remembered = _RememberedRules(rules)
    recipients = remembered_recipients(session)
    respondents: dict[tuple[int | None, str, str | None], Enterprise | None] = {}
    routes: dict[int | None, Route] = {}
    tracks: dict[str, tuple[Workflow, Rulebook | None]] = {}

    def respondent_of(complaint: ComplaintInput) -> Enterprise | None:
        key = (complaint.respondent_id, complaint.respondent_name, complaint.respondent_uscc)
        if key not in respondents:
            respondents[key] = match_respondent(session, *key)
        return respondents[key]

    found: list[Enterprise | None | InvalidData] = []
    for _, item in items:
        if isinstance(item, InvalidData):
            found.append(item)
            continue
        if item.complaint.co_complainants or item.complaint.report is not None:
            raise ValueError("joint complaints and reports are filed by submit()")
        respondent = respondent_of(item.complaint)
        try:
            require_findable(item.complaint, respondent)
        except InvalidData as exc:
            found.append(exc)
            continue
        found.append(respondent)
    keys = {
        key
        for (_, item), respondent in zip(items, found, strict=True)
        if isinstance(item, NewComplaint)
        and isinstance(respondent, Enterprise)
        and (key := duplicate_key(item.complaint, respondent.id))
    }
    open_cases = _open_cases(session, keys, now) if keys else {}
    numbers = iter(
        new_case_numbers(session, sum(isinstance(f, Enterprise | None) for f in found), now)
    )

    results: list[Filed] = []
    planned: list[_Planned] = []
    filed_here: dict[str, CaseValues] = {}  # external id -> a case created in this batch
    open_here: dict[tuple[str, int, str], _Planned] = {}
    for (external_id, item), respondent in zip(items, found, strict=True):
        if external_id is not None and external_id in filed_here:
            results.append(_joined(filed_here[external_id]))
            continue
        if isinstance(respondent, InvalidData):
            results.append(Filed("rejected", errors=respondent.errors))
            continue
        assert isinstance(item, NewComplaint)
        key = duplicate_key(item.complaint, respondent.id if respondent else None)
        if key is not None and key in open_cases:
            earlier = open_cases[key]
            event = duplicate_event(earlier, channel, external_id, item.intake_payload, now)
            session.add(CaseEvent(case_id=earlier.id, **vars(event)))
            results.append(_joined(earlier))
            continue
        if key is not None and key in open_here:
            joined = open_here[key]
            joined.start.events.append(
                duplicate_event(joined.case, channel, external_id, item.intake_payload, now)
            )
            results.append(_joined(joined.case))
            continue
        track = item.complaint.claim_type  # what intake_rules decides the track by
        if track not in tracks:
            tracks[track] = intake_rules(item.complaint, rules, received)
        workflow, rulebook = tracks[track]
        route_key = respondent.id if respondent else None
        if route_key not in routes:
            routes[route_key] = route(session, respondent, rules.intake_office_code)
        routed = routed_for(routes[route_key], item.prefer_odr, item.office)
        values, access_code = case_values(item.complaint, workflow, channel, now, next(numbers))
        case = CaseValues(**(CASE_DEFAULTS | values), office=routed.office)
        fill_intake(
            case,
            item.complaint,
            respondent,
            routed,
            rulebook,
            received,
            external_id=external_id,
            identity_verified=identity_verified,
        )
        start = start_case(
            case,
            remembered,  # type: ignore[arg-type]  # the rules, with the calendar remembered
            now,
            [],
            access_code,
            item.intake_payload,
            recipients,
        )
        planned.append(_Planned(case, start))
        if key is not None and case.closed_at is None:
            open_here[key] = planned[-1]
        if external_id is not None:
            filed_here[external_id] = case
        results.append(
            Filed("created", case.number, access_code, state=case.state, due_at=case.due_at)
        )
    session.flush()  # the repeats that joined cases already stored
    _write(session, planned)
    return results


def _joined(case: Case | CaseValues) -> Filed:
    return Filed("duplicate", case.number, state=case.state, due_at=case.due_at)


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), QUERY_CHUNK):
        yield values[start : start + QUERY_CHUNK]


def _converted(process: Any, values: list[Any]) -> list[Any]:
    """A column's values bound by its type's conversion; a moment the rows share (a batch's
    `now`, its deadlines) is converted once."""
    moments: dict[datetime, Any] = {}
    out = []
    for value in values:
        if isinstance(value, datetime):
            if value not in moments:
                moments[value] = process(value)
            out.append(moments[value])
        else:
            out.append(process(value))
    return out


def _insert_many(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """One executemany inserting rows with the same keys."""
    if rows:
        compiled = _compiled_insert(connection.dialect, table, tuple(rows[0]))
        _execute_many(connection, compiled, rows)


@lru_cache(maxsize=64)
def _compiled_insert(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> Compiled:
    """An INSERT of these columns, compiled once: compiling costs more than inserting a few
    rows (a batch of one API complaint compiled three, about 1.6 ms)."""
    return insert(table).compile(dialect=dialect, column_keys=list(keys))


def _execute_many(connection: Connection, compiled: Compiled, rows: list[dict[str, Any]]) -> int:
    """One executemany of rows with the same keys, each value bound by its column's type as
    SQLAlchemy would, a column at a time; the rows it changed. SQLAlchemy's own executemany
    costs several times the statement, row by row."""
    processors = compiled._bind_processors  # noqa: SLF001 - the statement's own conversions
    positional = compiled.positional  # type: ignore[attr-defined]
    names = list(compiled.positiontup or ()) if positional else list(rows[0])  # type: ignore[attr-defined]
    columns = []
    for name in names:
        values = [row[name] for row in rows]
        process = processors.get(name)
        columns.append(values if process is None else _converted(process, values))
    if positional:
        params: list[Any] = list(zip(*columns, strict=True))
    else:
        params = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    return connection.exec_driver_sql(compiled.string, params).rowcount


def _write(session: Session, planned: list[_Planned]) -> None:
    """The cases, then their events and notifications. The ids each needs are read back by the
    unique case number: an INSERT ... RETURNING of many rows costs SQLAlchemy several times
    more than the insert itself."""
    if not planned:
        return
    connection = session.connection()
    _insert_many(connection, CASES, [p.case.columns() for p in planned])
    case_ids: dict[str, int] = {}
    for numbers in _chunks([p.case.number for p in planned]):
        case_ids.update(
            connection.execute(
                select(CASES.c.number, CASES.c.id).where(CASES.c.number.in_(numbers))
            ).all()
        )
    _write_events(connection, [(case_ids[p.case.number], p.start) for p in planned])


def _write_events(connection: Connection, started: list[tuple[int, Start]]) -> None:
    """Events of stored cases, then their notifications, an executemany each; the events' ids
    read back by (case, seq)."""
    _insert_many(
        connection,
        EVENTS,
        [
            {"case_id": case_id, **vars(event)}
            for case_id, start in started
            for event in start.events
        ],
    )
    event_ids: dict[tuple[int, int], int] = {}
    for ids in _chunks(sorted({case_id for case_id, _ in started})):
        for event_id, case_id, seq in connection.execute(
            select(EVENTS.c.id, EVENTS.c.case_id, EVENTS.c.seq).where(EVENTS.c.case_id.in_(ids))
        ):
            event_ids[(case_id, seq)] = event_id
    _insert_many(
        connection,
        NOTIFICATIONS,
        [
            {"case_id": case_id, "event_id": event_ids[(case_id, start.events[index].seq)], **row}
            for case_id, start in started
            for index, row in start.notices
        ],
    )


def act_batch(
    session: Session,
    cases: Sequence[tuple[CaseValues, dict]],
    trigger: str,
    actor: Actor,
    *,
    rules: Rules,
    now: datetime,
) -> int:
    """Fire a trigger without data on many stored cases (from stored_cases), in the caller's
    transaction, as act() would one by one (its checks and move, the chained event, the outbox
    rows): the cases' changes, their events and their notifications an executemany each.
    Recipients are looked up once per enterprise or office, each deadline counted once.
    Returns how many fired; ConcurrentChange when one changed since it was read. The actor is
    one whose checks read only the case's columns (the system: the sweeper's expiries)."""
    recipients = remembered_recipients(session)
    remembered = _RememberedRules(rules)  # every clock of the batch starts at `now`
    moved: list[tuple[CaseValues, Start]] = []
    for case, _ in cases:
        workflow = rules.workflow(case.workflow, case.workflow_version)
        from_state = case.state
        transition, _, payload = move(
            session,
            case,  # type: ignore[arg-type]  # the engine fires on a case's values as on a Case
            workflow,
            trigger,
            actor,
            {},
            remembered,  # type: ignore[arg-type]  # the rules, with the calendar remembered
            now,
        )
        event = chain_event(case, trigger, actor, from_state, payload, now)
        context = context_for(case, workflow, transition.fields, payload)  # type: ignore[arg-type]
        rows = notification_rows(case, transition.notify, context, now, None, recipients)
        moved.append((case, Start(events=[event], notices=[(0, row) for row in rows])))
    store_changes(session, cases)
    _write_events(session.connection(), [(case.id, start) for case, start in moved])
    return len(moved)
