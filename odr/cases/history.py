"""A case's past filed at once, as the service would have written it: a generated demo case
(odr/demo/) is filed by submit()'s steps (bulk.new_case, new_report here, bulk.start_new_case),
each later transition fired by act()'s move at its moment (replay), an event that moves no state
chained as service.record_event chains it (record); then many such cases are inserted together
with their words for the search box (load_rows).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from odr.auth.actor import Actor
from odr.cases.bulk import CASE_DEFAULTS, CASES, EVENTS, NOTIFICATIONS, CaseValues
from odr.cases.input import ComplaintInput
from odr.cases.models import REPORT_CLAIM
from odr.cases.search_index import SEARCH, document
from odr.cases.service import (
    OfficeLookup,
    Start,
    case_values,
    chain_event,
    fill_report,
    move_allowed,
    refuse_moved_columns,
)
from odr.db.bulk_load import RowLoader
from odr.engine.rules import Rulebook, Rules
from odr.engine.workflow import Workflow
from odr.offices.models import Office


def new_report(
    complaint: ComplaintInput,
    workflow: Workflow,
    channel: str,
    now: datetime,
    number: str,
    *,
    rulebook: Rulebook | None,
    respondent: Mapping[str, Any],
    office: Office | None,
    anonymous: bool,
    access_code: str | None = None,
    salt: str | None = None,
) -> tuple[CaseValues, str]:
    """A report (its complaint's `report` filled in) as submit_report() builds it, outside
    the ORM; its access code."""
    assert complaint.report is not None
    values, access_code = case_values(
        replace(complaint, facts=complaint.report.facts, claim_type=REPORT_CLAIM),
        workflow,
        channel,
        now,
        number,
        access_code=access_code,
        salt=salt,
    )
    case = CaseValues(**(CASE_DEFAULTS | values), office=office)
    fill_report(
        case,
        complaint.report.violation_type,
        workflow,
        rulebook,
        respondent,
        office,
        anonymous=anonymous,
    )
    return case, access_code


@dataclass(frozen=True)
class PastMove:
    """A move of a case's past: what act() was asked, by whom, and when."""

    trigger: str
    actor: Actor
    data: Mapping[str, Any]
    at: datetime


def replay(
    case: CaseValues,
    started: Start,
    moves: Iterable[PastMove],
    rules: Rules,
    offices: OfficeLookup,
) -> None:
    """Fire each move on a started case as act() would have at its moment (the actors'
    access taken as given), chaining their events onto `started`; each moves the version on."""
    for past in moves:
        workflow = rules.workflow(case.workflow, case.workflow_version)
        from_state = case.state
        _, _, payload = move_allowed(
            offices,
            case,
            workflow,
            past.trigger,
            past.actor,
            past.data,
            rules,
            past.at,
        )
        started.events.append(
            chain_event(case, past.trigger, past.actor, from_state, payload, past.at)
        )
        case.version += 1


def record(
    case: CaseValues,
    started: Start,
    trigger: str,
    actor: Actor,
    payload: Mapping[str, Any],
    *,
    at: datetime,
    changes: Mapping[str, Any],
) -> None:
    """service.record_event on a case outside the ORM: an event that moves no state, with
    the columns of its own it changes."""
    refuse_moved_columns(changes)
    for column, value in changes.items():
        setattr(case, column, value)
    started.events.append(chain_event(case, trigger, actor, case.state, payload, at))
    case.version += 1


def reminders_from(case: CaseValues, rules: Rules, now: datetime) -> None:
    """A replayed case's next reminder counted from now: the reminders of its past are
    history, not sent again."""
    state = rules.workflow(case.workflow, case.workflow_version).states[case.state]
    case.next_reminder_at = rules.next_reminder(state, case.due_at, now)


SEARCH_NAMES = ("case_id", "terms")


def load_rows(
    connection: Connection,
    loader: RowLoader,
    names: tuple[Sequence[str], Sequence[str], Sequence[str]],
    cases: list[Any],
    events: list[Any],
    notifications: list[Any],
    first_event: int,
    first_note: int,
) -> int:
    """Insert a batch of generated cases (odr/demo) with their events and notifications, as
    the loader prepared them (odr/db/bulk_load.py): the cases' ids given, the events' ids (and
    feed positions) and notifications' counted within the batch from 0 and stored from the first
    free ones; return the next event id."""
    case_names, event_names, note_names = names
    loader.insert(connection, CASES, case_names, cases, {})
    # Each case's words for the search index (odr/cases/search_index.py), as submit() writes them.
    searched = [
        {"case_id": values["id"], "terms": document(values)}
        for values in (loader.values(case_names, row) for row in cases)
    ]
    loader.insert(
        connection, SEARCH, SEARCH_NAMES, loader.prepare(SEARCH, SEARCH_NAMES, searched), {}
    )
    # A loaded event's feed position (odr.cases.event_positions) is its id: the batches commit
    # in id order, so the first 12315 feed or incremental verification numbers none of them.
    positions = {"id": first_event, "feed_position": first_event}
    loader.insert(connection, EVENTS, event_names, events, positions)
    loader.insert(
        connection,
        NOTIFICATIONS,
        note_names,
        notifications,
        {"id": first_note, "event_id": first_event},
    )
    return first_event + len(events)
