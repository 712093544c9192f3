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

A case's whole past filed at once (the demo's generated cases) is odr/cases/history.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Select,
    bindparam,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.cases.input import ComplaintInput
from odr.cases.models import Case, CaseEvent
from odr.cases.outbox import Recipients, context_for, notification_rows, remembered_recipients
from odr.cases.search_index import index_new
from odr.cases.service import (
    DUPLICATE_KEY_COLUMNS,
    DUPLICATE_WINDOW,
    PROBABLE_REPEAT_WINDOW,
    Start,
    case_duplicate_key,
    case_probable_repeat_key,
    case_values,
    chain_event,
    duplicate_event,
    duplicate_key,
    fill_intake,
    intake_rules,
    intake_track,
    joinable,
    move,
    new_case_numbers,
    probable_repeat_key,
    require_findable,
    start_case,
)
from odr.clock import SHANGHAI
from odr.db.dialects import guided
from odr.engine.rules import Rulebook, Rules
from odr.engine.workflow import Clock, StateDef, Workflow
from odr.enterprises.models import Enterprise
from odr.enterprises.respondents import respondent_for
from odr.errors import ConcurrentChange, InvalidData
from odr.notify.models import Notification
from odr.offices.models import Office
from odr.routing.service import Route, route, routed_for

CASES = Case.__table__
EVENTS = CaseEvent.__table__
NOTIFICATIONS = Notification.__table__
# Every column of a new case, with the model's default where it has one.
CASE_DEFAULTS = {
    column.key: column.default.arg if column.default is not None else None  # type: ignore[attr-defined]  # a model's default= is a ColumnDefault, which has .arg
    for column in CASES.columns
    if column.key != "id"
}
# A started case's version: the ORM counted submit()'s insert, then routing's update.
STARTED_VERSION = 2
QUERY_CHUNK = 500  # keys per IN (...): well inside SQLite's limit of bound parameters


@dataclass(frozen=True)
class NewComplaint:
    """One complaint of a batch, as submit() would be asked to file it."""

    complaint: ComplaintInput
    prefer_odr: bool = True
    office: Office | None = None  # the handling office the transferring platform named
    intake_payload: Mapping[str, Any] | None = None
    named_office: str = ""  # how the platform named it
    received_at: datetime | None = None  # when the platform received it (None: now)
    received_at_assumed: bool = False  # the platform did not say


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


def stored_cases(
    session: Session, statement: Select[Any]
) -> list[tuple[CaseValues, dict[str, Any]]]:
    """The cases a select of the cases table finds, as values with their offices, each with a
    copy of its columns as stored (what store_changes compares with)."""
    rows = [dict(row) for row in session.execute(statement).mappings()]
    office_ids = sorted({row["office_id"] for row in rows if row["office_id"] is not None})
    offices = {
        office.id: office
        for ids in _chunks(office_ids)
        for office in session.scalars(select(Office).where(Office.id.in_(ids)))
    }
    return [(CaseValues(**row, office=offices.get(row["office_id"])), row) for row in rows]


def store_changes(session: Session, cases: Sequence[tuple[CaseValues, dict[str, Any]]]) -> None:
    """Write what changed in each case since it was read, an executemany per set of changed
    columns, each row only if its version is still the one read (the check the ORM makes of
    a versioned row); each case's version moves on by one. Columns are compared by value:
    every column of a case holds an immutable value (text, number, moment)."""
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
            .values({k: bindparam(f"v_{k}") for k in (*changed, "version")})
        )
        # Both drivers count the rows of an executemany (supports_sane_multi_rowcount).
        if connection.execute(statement, rows).rowcount != len(rows):
            numbers = {c.id: c.number for c, _ in cases}
            raise ConcurrentChange(", ".join(numbers[r["w_id"]] for r in rows))
    for case, _ in cases:
        case.version += 1


def stop_clocks(session: Session, cases: Sequence[tuple[CaseValues, dict[str, Any]]]) -> None:
    """Stop the clock of stored cases whose state has none now (a workflow definition changed
    under them): no deadline, no reminder."""
    for case, _ in cases:
        case.due_at = case.next_reminder_at = None
    store_changes(session, cases)


@dataclass
class _Planned:
    case: CaseValues
    start: Start


def _local(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


class _RememberedCalendar:
    """The working calendar, remembering whether a deadline is provisional (which depends on
    the local years of its start and end only)."""

    def __init__(self, calendar: Any):
        self._calendar = calendar
        self._provisional: dict[tuple[int, int], bool] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._calendar, name)

    def is_provisional(self, start: datetime, deadline: datetime) -> bool:
        key = (_local(start).year, _local(deadline).year)
        if key not in self._provisional:
            self._provisional[key] = self._calendar.is_provisional(start, deadline)
        return self._provisional[key]


class RememberedRules:
    """The rules, remembering the calendar's answers by what they depend on: a deadline by the
    local day its clock starts (every clock of a batch starts at the same moment), a state's
    reminder moments by its deadline (deadlines end at the end of a day)."""

    def __init__(self, rules: Rules):
        self._rules = rules
        self.calendar = _RememberedCalendar(rules.calendar)
        self._due: dict[tuple[Clock, date, int], datetime] = {}
        self._reminders: dict[tuple[int, datetime], list[datetime]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rules, name)

    def due(self, clock: Clock, start: datetime, days: int) -> datetime:
        key = (clock, _local(start), days)  # Rules.due counts from the start's local day
        if key not in self._due:
            self._due[key] = self._rules.due(clock, start, days)
        return self._due[key]

    def next_reminder(
        self, state: StateDef, due_at: datetime | None, now: datetime
    ) -> datetime | None:
        """Rules.next_reminder: the first of the state's reminders still ahead of `now`."""
        if state.clock is None or due_at is None:
            return None
        key = (id(state), due_at)  # states live as long as their workflow
        if key not in self._reminders:
            self._reminders[key] = [
                self._rules.calendar.reminder_time(due_at, days) for days in state.clock.reminders
            ]
        return min((moment for moment in self._reminders[key] if moment > now), default=None)


def existing_cases(session: Session, channel: str, external_ids: Iterable[str]) -> dict[str, str]:
    """external id -> case number, of the cases of a channel already stored."""
    wanted = sorted(set(external_ids))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), QUERY_CHUNK):
        rows = session.execute(
            select(Case.external_id, Case.number).where(
                Case.channel == channel,
                Case.external_id.in_(wanted[start : start + QUERY_CHUNK]),
            )
        )
        found.update((external_id, number) for external_id, number in rows if external_id)
    return found


RepeatKey = tuple[str, int | None, str, str]  # duplicate_key / probable_repeat_key


def _open_cases(session: Session, keys: set[RepeatKey], now: datetime) -> dict[RepeatKey, Case]:
    """The earliest open case for each duplicate key (what _open_duplicate finds one by one),
    read along ix_cases_repeat. PostgreSQL reads a row-value IN of many keys along the index;
    SQLite scanned the whole table for it (benchmarks/README.md), so it is told the keys'
    phones too: it reads them along the index and checks the row values there. A business that
    is not registered (no respondent id) is told by its USCC or name, checked on the rows read."""
    wanted = sorted(keys, key=repr)
    found: dict[RepeatKey, Case] = {}
    for start in range(0, len(wanted), QUERY_CHUNK):
        chunk = wanted[start : start + QUERY_CHUNK]
        rows = sorted({key[:3] for key in chunk}, key=repr)
        statement = guided(
            session,
            select(Case).where(
                tuple_(*DUPLICATE_KEY_COLUMNS).in_([r for r in rows if r[1] is not None])
                | (
                    Case.respondent_id.is_(None)
                    & Case.complainant_phone.in_(sorted({r[0] for r in rows if r[1] is None}))
                    & Case.order_number.in_(sorted({r[2] for r in rows if r[1] is None}))
                )
            ),
            Case.complainant_phone.in_(sorted({phone for phone, *_ in chunk})),
        )
        for case in session.scalars(statement.where(*joinable(now)).order_by(Case.id)):
            # It matched a key, whose order number is never NULL.
            found.setdefault(cast(RepeatKey, case_duplicate_key(case)), case)
    return found


def _probable_repeats(
    session: Session, keys: set[RepeatKey], now: datetime
) -> dict[RepeatKey, int]:
    """The latest open case of the last 7 days for each probable-repeat key (what
    probable_repeat_of finds one by one), read by the keys' phones along ix_cases_repeat."""
    phones = sorted({phone for phone, *_ in keys})
    found: dict[RepeatKey, int] = {}
    for start in range(0, len(phones), QUERY_CHUNK):
        statement = select(Case).where(
            Case.complainant_phone.in_(phones[start : start + QUERY_CHUNK])
        )
        statement = statement.where(*joinable(now, PROBABLE_REPEAT_WINDOW)).order_by(Case.id)
        for case in session.scalars(statement):
            if (key := case_probable_repeat_key(case)) in keys:
                found[key] = case.id  # the latest wins
    return found


def submit_batch(
    session: Session,
    items: Sequence[tuple[str | None, NewComplaint | InvalidData]],
    *,
    rules: Rules,
    now: datetime,
    channel: str,
    identity_verified: bool = False,
    intake_office_code: str | None = None,
) -> list[Filed]:
    """File (external id, complaint) pairs as submit() would one by one, in the caller's
    transaction: each one's outcome, in order. A complaint already refused (InvalidData) is
    rejected, unless an earlier one of the batch with its external id was filed (a repeat).
    Joint complaints and reports filed with a complaint go through submit().
    What is looked up once is kept by everything its answer depends on."""
    intake_office_code = intake_office_code or rules.intake_office_code
    remembered = RememberedRules(rules)
    recipients = remembered_recipients(session)
    respondents: dict[tuple[int | None, str, str | None, str], Enterprise | None] = {}
    routes: dict[tuple[int | None, str], Route] = {}
    tracks: dict[tuple[str, date], tuple[Workflow, Rulebook | None]] = {}

    def respondent_of(complaint: ComplaintInput) -> Enterprise | None:
        key = (
            complaint.respondent_id,
            complaint.respondent_name,
            complaint.respondent_uscc,
            complaint.respondent_address,
        )
        if key not in respondents:
            respondents[key] = respondent_for(session, complaint)
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
    filing = [
        (item.complaint, respondent.id if respondent else None)
        for (_, item), respondent in zip(items, found, strict=True)
        if isinstance(item, NewComplaint) and not isinstance(respondent, InvalidData)
    ]
    keys = {key for c, r in filing if (key := duplicate_key(c, r))}
    open_cases = _open_cases(session, keys, now) if keys else {}
    probable_keys = {key for c, r in filing if (key := probable_repeat_key(c, r))}
    probable = _probable_repeats(session, probable_keys, now) if probable_keys else {}
    numbers = iter(
        new_case_numbers(session, sum(isinstance(f, Enterprise | None) for f in found), now)
    )

    results: list[Filed] = []
    planned: list[_Planned] = []
    filed_here: dict[str, CaseValues] = {}  # external id -> a case created in this batch
    open_here: dict[RepeatKey, _Planned] = {}
    # Probable repeats of a case filed earlier in this batch, linked once both have ids.
    by_product_here: dict[RepeatKey, CaseValues] = {}
    repeats_here: list[tuple[CaseValues, CaseValues]] = []
    for (external_id, item), respondent in zip(items, found, strict=True):  # type: ignore[assignment]  # an Enterprise | None above, InvalidData too here
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
            joined.case.version += 1  # submit() would have written the case again
            results.append(_joined(joined.case))
            continue
        received = (item.received_at or now).astimezone(SHANGHAI).date()
        track = (intake_track(item.complaint), received)
        if track not in tracks:
            tracks[track] = intake_rules(item.complaint, rules, received)
        workflow, rulebook = tracks[track]
        route_key = (respondent.id if respondent else None, intake_office_code)
        if route_key not in routes:
            routes[route_key] = route(session, respondent, intake_office_code)
        routed = routed_for(routes[route_key], item.prefer_odr, item.office, item.named_office)
        case, access_code = new_case(
            item.complaint,
            workflow,
            channel,
            now,
            next(numbers),
            respondent=respondent,
            routed=routed,
            rulebook=rulebook,
            external_id=external_id,
            identity_verified=identity_verified,
            received_at=item.received_at,
        )
        case.received_at_assumed = item.received_at_assumed
        respondent_id = respondent.id if respondent else None
        if probable_key := probable_repeat_key(item.complaint, respondent_id):
            if probable_key in by_product_here:  # later than any stored one
                repeats_here.append((case, by_product_here[probable_key]))
            else:
                case.probable_repeat_of = probable.get(probable_key)
        start = start_new_case(
            case,
            remembered,  # type: ignore[arg-type]  # the rules, with the calendar remembered
            now,
            access_code,
            recipients,
            item.intake_payload,
        )
        planned.append(_Planned(case, start))
        # Joinable as joinable() has it for a stored case: open and received within the window.
        if (
            key is not None
            and case.closed_at is None
            and case.received_at >= now - DUPLICATE_WINDOW
        ):
            open_here[key] = planned[-1]
        if case.closed_at is None and case.received_at >= now - PROBABLE_REPEAT_WINDOW:
            by_product_here[case_probable_repeat_key(case)] = case
        if external_id is not None:
            filed_here[external_id] = case
        results.append(
            Filed("created", case.number, access_code, state=case.state, due_at=case.due_at)
        )
    session.flush()  # the repeats that joined cases already stored
    case_ids = _write(session, planned)
    if repeats_here:
        session.connection().execute(
            update(CASES)
            .where(CASES.c.id == bindparam("case_id"))
            .values(probable_repeat_of=bindparam("earlier_id")),
            [
                {"case_id": case_ids[later.number], "earlier_id": case_ids[earlier.number]}
                for later, earlier in repeats_here
            ],
        )
    return results


def new_case(
    complaint: ComplaintInput,
    workflow: Workflow,
    channel: str,
    now: datetime,
    number: str,
    *,
    respondent: Enterprise | None,
    routed: Route,
    rulebook: Rulebook | None,
    external_id: str | None,
    identity_verified: bool,
    access_code: str | None = None,
    salt: str | None = None,
    received_at: datetime | None = None,
) -> tuple[CaseValues, str]:
    """A new complaint's case as submit() builds it, outside the ORM: its columns in the
    initial state with what intake decided; its access code. `received_at`: when a
    transferring platform received it (None: now)."""
    values, access_code = case_values(
        complaint,
        workflow,
        channel,
        now,
        number,
        received_at,
        access_code=access_code,
        salt=salt,
    )
    case = CaseValues(**(CASE_DEFAULTS | values), office=routed.office)
    fill_intake(
        case,
        complaint,
        respondent,
        routed,
        rulebook,
        (received_at or now).astimezone(SHANGHAI).date(),
        external_id=external_id,
        identity_verified=identity_verified,
    )
    return case, access_code


def start_new_case(
    case: CaseValues,
    rules: Rules,
    now: datetime,
    access_code: str,
    recipients: Recipients,
    intake_payload: Mapping[str, Any] | None = None,
) -> Start:
    """A new case's submit and route events and routing's notices (submit()'s start_case);
    its version as submit() leaves it (the ORM counts the insert and routing's update)."""
    started = start_case(case, rules, now, [], access_code, intake_payload, recipients)
    case.version = STARTED_VERSION
    return started


def _joined(case: Case | CaseValues) -> Filed:
    return Filed("duplicate", case.number, state=case.state, due_at=case.due_at)


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), QUERY_CHUNK):
        yield values[start : start + QUERY_CHUNK]


def _write(session: Session, planned: list[_Planned]) -> dict[str, int]:
    """The cases, then their events and notifications, an executemany each; each case's id
    read back from its insert (RETURNING), by its number."""
    if not planned:
        return {}
    connection = session.connection()
    inserted = connection.execute(
        insert(CASES).returning(CASES.c.number, CASES.c.id), [p.case.columns() for p in planned]
    )
    case_ids: dict[str, int] = {number: case_id for number, case_id in inserted}
    _write_events(connection, [(case_ids[p.case.number], p.start) for p in planned])
    index_new(connection, [(case_ids[p.case.number], p.case) for p in planned])
    return case_ids


def _write_events(connection: Connection, started: list[tuple[int, Start]]) -> None:
    """Events of stored cases, then their notifications, an executemany each; each event's id
    read back from its insert by (case, seq)."""
    events = [
        {"case_id": case_id, **vars(event)} for case_id, start in started for event in start.events
    ]
    if not events:
        return
    inserted = connection.execute(
        insert(EVENTS).returning(EVENTS.c.case_id, EVENTS.c.seq, EVENTS.c.id), events
    )
    event_ids = {(case_id, seq): event_id for case_id, seq, event_id in inserted}
    notifications = [
        {"case_id": case_id, "event_id": event_ids[(case_id, start.events[index].seq)], **row}
        for case_id, start in started
        for index, row in start.notices
    ]
    if notifications:
        connection.execute(insert(NOTIFICATIONS), notifications)


def act_batch(
    session: Session,
    cases: Sequence[tuple[CaseValues, dict[str, Any]]],
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
    remembered = RememberedRules(rules)  # every clock of the batch starts at `now`
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
