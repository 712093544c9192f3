"""Every workflow, driven at random through the case service, keeps its promises.

A hypothesis state machine files complaints through submit() (a plain complaint, a seven-day
return, a complaint with a report: one per track; a workflow no complaint reaches is given a case
built the way submit() builds one), each against a drawn respondent so that routing sends it to
negotiation, acceptance or triage, through a drawn channel (the web form; the partner API or a
12315 transfer, received days earlier or with no received moment at all). It then fires random triggers of the case's workflow as random
actors (the consumer, the case's enterprise, another enterprise, the competent office, a
supervising or an unrelated office, the system) with data drawn from the transition's fields,
mostly valid, and moves the clock on, running the sweeper. Every workflow in rules.workflows gets
cases in every example.

After every step: the state is one of the workflow's; a terminal case never changes again; a
deadline runs exactly while the state has a clock; every open state runs one, or is marked as
waiting for a paused clock or as already escalated (triage runs one); a paused clock keeps what was left; every hash
chain verifies; a refused trigger (wrong role, an actor who may not act on the case, bad data,
conditions not met) changes nothing; a trigger that fires took a transition its actor's role may
take, recorded as the case's next event.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest
from complaints import complaint_form
from hypothesis import HealthCheck, Phase, settings
from hypothesis import event as note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import Table, select
from sqlalchemy.orm import Session, sessionmaker

from odr.auth.actor import SYSTEM, Actor, consumer_actor
from odr.cases.chain import verify_all
from odr.cases.evidence import EvidenceFile
from odr.cases.input import ComplaintInput
from odr.cases.models import REPORT_CLAIM, Case, CaseEvent
from odr.cases.service import act, submit
from odr.cases.sweeper import sweep
from odr.clock import SHANGHAI
from odr.engine.rules import Rules
from odr.engine.workflow import FieldDef, TransitionDef, Workflow
from odr.enterprises.models import Enterprise
from odr.errors import CaseForbidden, ConditionsNotMet, InvalidData, TransitionNotAllowed
from odr.intake.complaint import parse_complaint
from odr.models import import_models
from odr.offices.models import Office
from odr.offices.service import supervised_ids
from odr.routing.service import route

REFUSALS = (CaseForbidden, TransitionNotAllowed, InvalidData, ConditionsNotMet)
UNKNOWN_TRIGGER = "no_such_trigger"
REMIND_TRIGGER = "remind"
OUTSIDERS = ("another case's consumer", "other enterprise", "other office")
ANY = object()
# Valid text: no control characters but tab and line breaks (those are refused as invalid).
TEXT = st.characters(blacklist_categories=("Cc", "Cs"), whitelist_characters="\t\n")
TIME_STEPS = st.one_of(
    st.integers(1, 48).map(lambda h: timedelta(hours=h)),
    st.integers(1, 30).map(lambda d: timedelta(days=d)),
)
CHANNELS = ("web", "api", "12315")
RECEIPT_PNG = Path(__file__).parents[1] / "data" / "receipt.png"
# Workflows whose cases submit() could store but not route: filed in their initial state.
UNROUTED: set[str] = set()
# Workflows no complaint reaches through submit(): their cases are built the way it builds one.
BUILT: set[str] = set()


@dataclass(frozen=True)
class World:
    """The demo offices and enterprises the machine's actors come from."""

    factory: sessionmaker[Session]
    rules: Rules
    offices: dict[int, tuple[str, str]]  # id -> (region code, name)
    supervised: dict[int, frozenset[int]]  # id -> itself and the offices below it
    enterprises: dict[int, tuple[str, int | None]]  # id -> (name, platform id)
    evidence_dir: Path
    case_tables: tuple[Table, ...]  # emptied before each example, dependants first


@dataclass(frozen=True)
class Snap:
    """What a case looks like from a fresh session."""

    workflow: str
    workflow_version: int
    state: str
    version: int
    event_count: int
    last_event_hash: str
    due_at: datetime | None
    next_reminder_at: datetime | None
    clock_started_at: datetime | None
    clock_days: int | None
    paused_state: str | None
    paused_days_left: int | None
    closed_at: datetime | None
    office_id: int | None
    enterprise_id: int | None
    respondent_id: int | None
    claim_type: str


def snap_of(case: Case) -> Snap:
    return Snap(**{name: getattr(case, name) for name in Snap.__dataclass_fields__})


def case_tables() -> tuple[Table, ...]:
    """The cases table and every table that refers to it (directly or not), dependants first."""
    import_models()
    metadata = Case.metadata
    tables = {Case.__table__}
    grown = True
    while grown:
        grown = False
        for table in metadata.sorted_tables:
            if table not in tables and any(fk.column.table in tables for fk in table.foreign_keys):
                tables.add(table)
                grown = True
    return tuple(t for t in reversed(metadata.sorted_tables) if t in tables)


def note_unrouted(name: str) -> None:
    if name not in UNROUTED:
        UNROUTED.add(name)
        warnings.warn(
            f"cases on {name} cannot be routed: tested from the initial state", stacklevel=2
        )


def acts_with_evidence() -> bool:
    return "evidence_dir" in inspect.signature(act).parameters


class WorkflowMachine(RuleBasedStateMachine):
    world: ClassVar[World | None] = None

    def __init__(self) -> None:
        super().__init__()
        assert self.world is not None, "the _world fixture sets the database up"
        self.w = self.world
        self.case_ids: list[int] = []
        self.last: dict[int, Snap] = {}
        self.now = datetime(2025, 1, 1, tzinfo=UTC)
        with self.w.factory.begin() as session:  # each example starts with no cases
            for table in self.w.case_tables:
                session.execute(table.delete())

    # --- reading the database --------------------------------------------------------------

    def snapshots(self) -> dict[int, Snap]:
        with self.w.factory() as session:
            cases = session.scalars(select(Case).where(Case.id.in_(self.case_ids)))
            return {case.id: snap_of(case) for case in cases}

    def last_event(self, case_id: int) -> CaseEvent:
        with self.w.factory() as session:
            event = session.scalar(
                select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq.desc())
            )
            assert event is not None
            session.expunge(event)
            return event

    def workflow_of(self, snap: Snap) -> Workflow:
        return self.w.rules.workflow(snap.workflow, snap.workflow_version)

    def is_terminal(self, snap: Snap) -> bool:
        return self.workflow_of(snap).states[snap.state].terminal

    # --- filing ------------------------------------------------------------------------------

    @initialize(data=st.data())
    def file_complaints(self, data: st.DataObject) -> None:
        filed = data.draw(
            st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31, 12)),
            label="filed at (UTC)",
        )
        self.now = filed.replace(tzinfo=UTC)
        respondents: list[int | None] = [None, *sorted(self.w.enterprises)]
        for label, extra in self.variants():
            for respondent in data.draw(
                st.lists(st.sampled_from(respondents), min_size=1, max_size=2),
                label=f"{label}: respondents (None: not registered)",
            ):
                channel = data.draw(st.sampled_from(CHANNELS), label=f"{label}: channel")
                received_at = None
                if channel != "web" and data.draw(st.booleans(), label="gives a received moment"):
                    ago = data.draw(st.integers(0, 60 * 24 * 40), label="received, minutes ago")
                    received_at = self.now - timedelta(minutes=ago)
                self.case_ids += self.file(extra, respondent, channel, received_at)
                self.now += timedelta(minutes=1)
        entered = {s.workflow for s in self.snapshots().values()}
        for name in sorted(set(self.w.rules.workflows) - entered):
            respondent = data.draw(st.sampled_from(respondents), label=f"{name}: respondent")
            self.case_ids.append(self.file_without_submit(name, respondent))
        self.last = self.snapshots()
        assert {s.workflow for s in self.last.values()} == set(self.w.rules.workflows)

    def variants(self) -> list[tuple[str, dict[str, str]]]:
        """The kinds of complaint submit() offers, each leading to a track."""
        today = self.now.astimezone(SHANGHAI).date()
        violations = sorted(
            {v for w in self.w.rules.workflows.values() for v in w.lists.get("violation_types", {})}
        )
        return [
            ("complaint", {}),
            (
                "seven-day return",
                {
                    "claim_type": "seven_day_return",
                    "delivery_date": (today - timedelta(days=2)).isoformat(),
                    "goods_category": "general",
                    "goods_intact": "1",
                },
            ),
            (
                "complaint with a report",
                {
                    "also_report": "1",
                    "violation_type": violations[0] if violations else "",
                    "report_facts": "团长在群里宣传“产地直发”，实为批发市场散货，涉嫌虚假宣传。",
                },
            ),
        ]

    def complaint(self, extra: dict[str, str], respondent: int | None) -> ComplaintInput:
        today = self.now.astimezone(SHANGHAI).date()
        if respondent is None:
            who = {
                "respondent_name": "南宁市某无名水果摊",
                "respondent_address": "南宁市西乡塘区大学东路1号",
            }
        else:
            who = {
                "respondent_id": str(respondent),
                "respondent_name": self.w.enterprises[respondent][0],
            }
        purchased = (today - timedelta(days=3)).isoformat()
        # A fresh order number each time: a repeat of an open case would join it (duplicate).
        self.orders = getattr(self, "orders", 0) + 1
        form = complaint_form(purchase_date=purchased, order_number=f"P-{self.orders}", **who)
        form |= extra
        lists = [w.lists for w in self.w.rules.workflows.values()]
        return parse_complaint(
            form,
            self.w.rules.workflow().lists["claim_types"],
            today=today,
            violation_types={
                k: v for ls in lists for k, v in ls.get("violation_types", {}).items()
            },
        )

    def file(
        self,
        extra: dict[str, str],
        respondent: int | None,
        channel: str = "web",
        received_at: datetime | None = None,
    ) -> list[int]:
        """submit() a complaint; the ids of the cases it filed (none if intake refuses it)."""
        try:
            complaint = self.complaint(extra, respondent)
        except InvalidData:
            return []  # this kind of complaint is not offered (yet)
        self.transfers = getattr(self, "transfers", 0) + 1
        with self.w.factory.begin() as session:
            try:
                submitted = submit(
                    session,
                    complaint,
                    rules=self.w.rules,
                    now=self.now,
                    channel=channel,
                    external_id=f"T-{self.transfers}" if channel != "web" else None,
                    received_at=received_at,
                    received_at_assumed=channel == "12315" and received_at is None,
                )
            except (TransitionNotAllowed, ConditionsNotMet):
                # submit() stored the case and its first event, then found no way to route it:
                # the case stays in its initial state, as submit() left it.
                case = session.scalars(select(Case).order_by(Case.id.desc())).first()
                assert case is not None
                note_unrouted(case.workflow)
                return [case.id]
            report = getattr(submitted, "report", None)
            return [submitted.case.id] + ([report.case.id] if report is not None else [])

    def file_without_submit(self, name: str, respondent: int | None) -> int:
        """A case on a workflow no complaint reaches through submit(): built the way submit()
        builds one (its row, its first event, routing)."""
        from odr.cases.service import _new_case, _start  # noqa: PLC0415

        if name not in BUILT:
            BUILT.add(name)
            warnings.warn(f"no complaint reaches workflow {name} through submit()", stacklevel=1)
        workflow = self.w.rules.workflows[name]
        with self.w.factory.begin() as session:
            found = session.get(Enterprise, respondent) if respondent else None
            routed = route(session, found, self.w.rules.intake_office_code)
            case, access_code = _new_case(self.complaint({}, respondent), workflow, "web", self.now)
            case.respondent_id = found.id if found else None
            case.enterprise_id = routed.enterprise.id if routed.enterprise else None
            case.office_id = routed.office.id if routed.office else None
            session.add(case)
            session.flush()
            try:
                _start(session, case, self.w.rules, self.now, [], access_code)
            except (TransitionNotAllowed, ConditionsNotMet):
                note_unrouted(name)
            return case.id

    # --- actors ------------------------------------------------------------------------------

    def regulator(self, office_id: int) -> Actor:
        return Actor(
            role="regulator",
            label=f"{self.w.offices[office_id][1]} 承办人",
            user_id=None,
            office_id=office_id,
            office_ids=self.w.supervised[office_id],
        )

    def agent(self, enterprise_id: int) -> Actor:
        name = self.w.enterprises[enterprise_id][0]
        return Actor(role="enterprise", label=f"{name} 客服专员", enterprise_id=enterprise_id)

    def actors(self, case_id: int, snap: Snap) -> dict[str, list[Actor]]:
        """Who might fire a trigger on this case, by kind."""
        # A respondent record (a business odr did not know) has no login: nobody acts for it.
        known = snap.respondent_id if snap.respondent_id in self.w.enterprises else None
        platform = self.w.enterprises[known][1] if known else None
        concerned = {snap.enterprise_id, known, platform} - {None}
        negotiator = snap.enterprise_id or known
        others = [o for o in self.w.offices if o != snap.office_id]
        kinds: dict[str, list[Actor]] = {
            "consumer": [consumer_actor(case_id, "张三")],
            "another case's consumer": [consumer_actor(case_id + 10**6, "李四")],
            "case enterprise": [self.agent(negotiator)] if negotiator else [],
            "other enterprise": [self.agent(e) for e in self.w.enterprises if e not in concerned],
            "competent office": [self.regulator(snap.office_id)] if snap.office_id else [],
            "supervising office": [
                self.regulator(o) for o in others if snap.office_id in self.w.supervised[o]
            ],
            "other office": [
                self.regulator(o) for o in others if snap.office_id not in self.w.supervised[o]
            ],
            "system": [SYSTEM],
        }
        return {kind: actors for kind, actors in kinds.items() if actors}

    # --- data ----------------------------------------------------------------------------------

    def valid_value(self, workflow: Workflow, f: FieldDef) -> st.SearchStrategy[Any] | None:
        """Values the field accepts (None: this test cannot make one)."""
        if f.type == "text":
            texts = st.one_of(
                st.text(TEXT, min_size=1, max_size=min(30, f.max_length)).filter(str.strip),
                st.just("字" * f.max_length),
            )
        elif f.type == "choice":
            texts = st.sampled_from(sorted(workflow.lists[f.list or ""]))
        elif f.type == "amount":
            texts = st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2).map(str)
        elif f.type == "office":
            texts = st.sampled_from(sorted(code for code, _ in self.w.offices.values()))
        elif f.type == "file":
            texts = st.just(EvidenceFile("收据.png", "image/png", RECEIPT_PNG.read_bytes()))
        else:
            return None
        return texts if f.required else st.one_of(st.none(), st.just(""), texts)

    @staticmethod
    def invalid_values(f: FieldDef) -> list[Any]:
        bad: list[Any] = [None, "", "   "] if f.required else []
        bad += {
            "text": ["x" * (f.max_length + 1), 42, "a\x00b"],
            "choice": ["no-such-choice", 1],
            "amount": ["abc", "-1", "1.001", "NaN", "1e30"],
            "office": ["000000", 42],
            "file": ["not-a-file"],
        }.get(f.type, [])
        return bad

    def draw_payload(
        self, data: st.DataObject, workflow: Workflow, candidates: list[TransitionDef]
    ) -> tuple[dict[str, Any], bool | None]:
        """Data for the trigger, and whether it is valid (None: cannot tell)."""
        fields = candidates[0].fields if candidates else ()
        spoil = None
        if fields and data.draw(st.integers(0, 4), label="0: spoil a field") == 0:
            spoil = data.draw(st.sampled_from(fields), label="spoiled field")
        payload: dict[str, Any] = {}
        valid: bool | None = True
        for f in fields:
            if f is spoil:
                value = data.draw(st.sampled_from(self.invalid_values(f)), label=f.name)
            else:
                strategy = self.valid_value(workflow, f)
                if strategy is None:
                    valid = None if f.required else valid
                    continue
                value = data.draw(strategy, label=f.name)
            if value is not None:
                payload[f.name] = value
        return payload, (False if spoil is not None else valid)

    def fire(self, case_id: int, trigger: str, actor: Actor, payload: dict[str, Any]):  # type: ignore[no-untyped-def]
        """act() in a transaction of its own; the exception it refused with, or None."""
        extra = {"evidence_dir": self.w.evidence_dir} if acts_with_evidence() else {}
        try:
            with self.w.factory.begin() as session:
                case = session.get(Case, case_id)
                assert case is not None
                act(
                    session,
                    case,
                    trigger,
                    actor,
                    payload,
                    rules=self.w.rules,
                    now=self.now,
                    **extra,
                )
        except REFUSALS as exc:
            return exc
        return None

    # --- rules ---------------------------------------------------------------------------------

    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        """One rule drawing its action: hypothesis's swarm testing would otherwise switch
        actions off for whole examples (say, only moving the clock)."""
        action = data.draw(
            st.sampled_from(["any trigger", "likely trigger", "likely trigger", "time passes"]),
            label="action",
        )
        if action == "time passes":
            self.time_passes(data.draw(TIME_STEPS, label="time passes"))
        else:
            self.fire_and_check(data, likely=action == "likely trigger")

    def fire_and_check(self, data: st.DataObject, likely: bool) -> None:
        snaps = self.last
        open_cases = [i for i in self.case_ids if not self.is_terminal(snaps[i])]
        choices = open_cases if likely and open_cases else self.case_ids
        case_id = data.draw(st.sampled_from(choices), label="case")
        before = self.last
        snap = before[case_id]
        workflow = self.workflow_of(snap)
        triggers = sorted({t.trigger for t in workflow.transitions}) + [UNKNOWN_TRIGGER]
        here = sorted({t.trigger for t in workflow.transitions if snap.state in t.sources})
        trigger = data.draw(st.sampled_from(here if likely and here else triggers), label="trigger")
        candidates = workflow.candidates(snap.state, trigger)
        roles = {r for t in candidates for r in t.roles}
        actors = self.actors(case_id, snap)
        kinds = sorted(actors)
        take_over = any(t.assign_office == "actor" for t in candidates)
        fitting = [
            k
            for k in kinds
            if actors[k][0].role in roles
            and k not in OUTSIDERS
            and (k == "supervising office") == take_over
        ]
        if likely and fitting and data.draw(st.integers(0, 3), label="0: any actor"):
            kinds = fitting
        kind = data.draw(st.sampled_from(kinds), label="actor kind")
        actor = data.draw(st.sampled_from(actors[kind]), label="actor")
        payload, valid = self.draw_payload(data, workflow, candidates)
        self.now += timedelta(minutes=data.draw(st.integers(0, 600), label="minutes later"))

        refused = self.fire(case_id, trigger, actor, payload)
        after = self.snapshots()
        note(f"act: {type(refused).__name__ if refused else 'fired'}")

        expected = self.expected(snap, workflow, trigger, kind, actor, valid)
        if expected is not ANY:
            assert type(refused) in expected, (
                f"{kind} firing {trigger} in {snap.state} with {payload}: expected "
                f"{[e.__name__ for e in expected]}, got {refused!r}"
            )
        if refused is not None:
            assert after == before, f"{trigger} was refused ({refused!r}) but changed a case"
            return
        assert {i: s for i, s in after.items() if i != case_id} == {
            i: s for i, s in before.items() if i != case_id
        }, "act() changed another case"
        note(f"fired: {snap.workflow} {snap.state} -> {after[case_id].state}")
        self.check_fired(case_id, snap, after[case_id], workflow, trigger, actor, payload)

    @staticmethod
    def expected(
        snap: Snap,
        workflow: Workflow,
        trigger: str,
        kind: str,
        actor: Actor,
        valid: bool | None,
    ) -> tuple[type | None, ...] | object:
        """What act() may answer: the refusals (None: it fires) or ANY (cannot tell)."""
        candidates = workflow.candidates(snap.state, trigger)
        role_may = any(actor.role in t.roles for t in candidates)
        # A superior office may see a case; it acts on it only to take it over.
        take_over = {t.trigger for t in workflow.transitions if t.assign_office == "actor"}
        if kind == "supervising office" and trigger in take_over:
            if not role_may:
                return (CaseForbidden, TransitionNotAllowed)
        elif kind in OUTSIDERS or kind == "supervising office":
            return (CaseForbidden,)
        elif kind == "case enterprise" and snap.claim_type == REPORT_CLAIM:
            return (CaseForbidden,)  # a report stays hidden from the enterprise it concerns
        if not role_may:
            return (TransitionNotAllowed,)
        if candidates[0].assign_office == "actor" and kind != "supervising office":
            return (TransitionNotAllowed,)  # the handling office cannot take a case over
        if valid is None:
            return ANY
        if not valid:
            return (InvalidData,)
        return (type(None), ConditionsNotMet)

    def check_fired(
        self,
        case_id: int,
        snap: Snap,
        new: Snap,
        workflow: Workflow,
        trigger: str,
        actor: Actor,
        payload: dict[str, Any],
    ) -> None:
        assert new.event_count == snap.event_count + 1
        assert new.version > snap.version
        event = self.last_event(case_id)
        assert (event.seq, event.trigger, event.actor_role) == (
            new.event_count,
            trigger,
            actor.role,
        )
        assert (event.from_state, event.to_state) == (snap.state, new.state)
        assert event.occurred_at == self.now
        taken = workflow.transition_for(trigger, snap.state, new.state)
        assert taken is not None, f"no transition {trigger}: {snap.state} -> {new.state}"
        assert actor.role in taken.roles, f"{actor.role} took {trigger} -> {taken.dest}"
        assert taken in workflow.candidates(snap.state, trigger)

        dest = workflow.states[new.state]
        clock_fields = ("due_at", "next_reminder_at", "clock_started_at", "clock_days")
        if taken.internal:
            for name in (*clock_fields, "paused_state", "paused_days_left"):
                assert getattr(new, name) == getattr(snap, name), name
        elif taken.clock == "resume" and snap.paused_state == new.state:
            assert (new.paused_state, new.paused_days_left) == (None, None)
            assert new.clock_started_at == self.now and new.clock_days == snap.paused_days_left
        elif dest.clock is not None:
            assert new.clock_started_at == self.now and new.clock_days == dest.clock.days
        if taken.clock == "pause":
            assert new.paused_state == snap.state and new.paused_days_left is not None

        assign = getattr(taken, "assign_office", None)
        office_codes = {code: i for i, (code, _) in self.w.offices.items()}
        office_fields = [f.name for f in taken.fields if f.type == "office" and payload.get(f.name)]
        if assign == "actor":
            assert new.office_id == actor.office_id
        elif assign == "intake":
            assert new.office_id == office_codes[self.w.rules.intake_office_code]
        elif office_fields:
            assert new.office_id == office_codes[payload[office_fields[0]].strip()]
        else:
            assert new.office_id == snap.office_id

    def time_passes(self, step: timedelta) -> None:
        before = self.last
        self.now += step
        result = sweep(self.w.factory, self.w.rules, self.now)
        after = self.snapshots()
        expired = reminded = 0
        for case_id, old in before.items():
            new = after[case_id]
            workflow = self.workflow_of(old)
            if old.due_at is not None and old.due_at <= self.now:
                expired += 1
                clock = workflow.states[old.state].clock
                assert clock is not None
                event = self.last_event(case_id)
                assert new.event_count == old.event_count + 1
                assert (event.trigger, event.actor_role) == (clock.on_expiry, "system")
                assert (event.from_state, event.to_state) == (old.state, new.state)
                assert event.occurred_at == self.now
                taken = workflow.transition_for(clock.on_expiry, old.state, new.state)
                assert taken is not None and "system" in taken.roles
            elif old.next_reminder_at is not None and old.next_reminder_at <= self.now:
                reminded += 1
                event = self.last_event(case_id)
                assert new.event_count == old.event_count + 1
                assert (event.trigger, event.from_state, event.to_state) == (
                    REMIND_TRIGGER,
                    old.state,
                    old.state,
                )
                assert (new.state, new.due_at) == (old.state, old.due_at)
            else:
                assert new == old, "the sweeper changed a case that was not due"
            assert new.due_at is None or new.due_at > self.now, "an expired clock is left"
            assert new.next_reminder_at is None or new.next_reminder_at > self.now
        assert (result.expired, result.reminded) == (expired, reminded)
        note(f"sweep: {expired} expired, {reminded} reminded")

    # --- after every step ------------------------------------------------------------------------

    @invariant()
    def cases_keep_their_promises(self) -> None:
        if not self.case_ids:
            return
        now = self.snapshots()
        assert set(now) == set(self.case_ids)
        for case_id, snap in now.items():
            workflow = self.workflow_of(snap)
            assert snap.state in workflow.states, snap.state
            state = workflow.states[snap.state]
            old = self.last.get(case_id)
            if old is not None and workflow.states[old.state].terminal:
                assert snap == old, f"a case left or changed in terminal state {old.state}"
            if state.terminal:
                assert snap.closed_at is not None
                assert (snap.paused_state, snap.paused_days_left) == (None, None)
            else:
                assert snap.closed_at is None
            if not state.terminal and state.clock is None:
                # A case resting without a clock is never reminded, escalated or overdue.
                assert state.no_clock in ("paused", "escalated") or (
                    state.no_clock == "routing" and snap.workflow in UNROUTED
                ), f"{snap.workflow}: open state {snap.state} runs no clock"
            if snap.state == "triage":
                assert snap.due_at is not None, "triage without a clock"
            runs = state.clock is not None and not state.terminal
            assert (snap.due_at is not None) == runs, f"{snap.state}: due_at {snap.due_at}"
            assert (snap.clock_started_at is not None) == runs
            if snap.next_reminder_at is not None:
                assert snap.due_at is not None and snap.next_reminder_at <= snap.due_at
            assert (snap.paused_state is None) == (snap.paused_days_left is None)
            if snap.paused_state is not None:
                paused = workflow.states[snap.paused_state].clock
                assert paused is not None
                assert 0 <= snap.paused_days_left <= paused.days  # type: ignore[operator]
                if old is not None and old.paused_state is not None:
                    assert (snap.paused_state, snap.paused_days_left) == (
                        old.paused_state,
                        old.paused_days_left,
                    ), "a paused clock moved"
        with self.w.factory() as session:
            problems = [str(p) for p in verify_all(session)]
        assert problems == []
        self.last = now


WorkflowMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    # No explain phase: on a failure it replays the whole machine hundreds of times.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(autouse=True)
def _world(
    factory: sessionmaker[Session],
    rules: Rules,
    demo_logins: dict[str, str],
    tmp_path: Path,
):  # type: ignore[no-untyped-def]
    with factory() as session:
        offices = {o.id: (o.region_code, o.name) for o in session.scalars(select(Office))}
        supervised = {o: supervised_ids(session, o) for o in offices}
        enterprises = {
            e.id: (e.name, e.platform_id)
            for e in session.scalars(
                select(Enterprise).where(Enterprise.record_status == "verified")
            )
        }
    WorkflowMachine.world = World(
        factory=factory,
        rules=rules,
        offices=offices,
        supervised=supervised,
        enterprises=enterprises,
        evidence_dir=tmp_path / "evidence",
        case_tables=case_tables(),
    )
    yield
    WorkflowMachine.world = None


TestWorkflowProperties = WorkflowMachine.TestCase
