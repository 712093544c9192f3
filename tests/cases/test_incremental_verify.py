"""`odr audit verify --incremental`: only the cases with an event since the last clean pass,
their whole chains; a full pass still reads everything. Each pass reports its rate."""

from __future__ import annotations

import re

from click.testing import CliRunner
from sqlalchemy import func, select, update

from odr.cases.models import Case, CaseEvent
from odr.cases.verification import FULL, INCREMENTAL, AuditVerification, verify
from odr.cli import main
from odr.clock import utcnow

RATE = re.compile(r"(\d+) case\(s\), (\d+) event\(s\) in [\d.]+ s: [\d,]+ events/s, [\d,]+ cases/s")


def run_verify(database_url: str, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        main, ["audit", "verify", *args], env={"ODR_DATABASE_URL": database_url}
    )


def _tamper(factory, number: str, seq: int | None = None) -> int:  # type: ignore[no-untyped-def]
    """Alter one event of the case in place (its last when no seq is given); its id."""
    with factory.begin() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        event = session.scalar(
            select(CaseEvent).where(
                CaseEvent.case_id == case.id, CaseEvent.seq == (seq or case.event_count)
            )
        )
        session.execute(
            update(CaseEvent).where(CaseEvent.id == event.id).values(actor_label="someone else")
        )
        return event.id


def test_an_incremental_pass_reads_only_changed_cases_and_reports_its_rate(
    client, file_complaint, database_url, factory
):
    file_complaint()
    changed, _ = file_complaint(order_number="B-2")
    first = run_verify(database_url, "--incremental")  # no pass yet: a full one
    assert first.exit_code == 0, first.output
    assert "full pass" in first.output and "intact" in first.output
    assert RATE.search(first.output).groups() == ("2", "4")

    nothing = run_verify(database_url, "--incremental")
    assert nothing.exit_code == 0, nothing.output
    assert RATE.search(nothing.output).groups() == ("0", "0")

    client.post(f"/track/{changed}/act/send_message", {"message": "还没有退款"})
    again = run_verify(database_url, "--incremental")
    assert again.exit_code == 0, again.output
    assert "incremental pass" in again.output
    assert RATE.search(again.output).groups() == ("1", "3")  # the changed case, whole
    with factory() as session:
        kinds = session.scalars(select(AuditVerification.kind).order_by(AuditVerification.id))
        assert list(kinds) == [FULL, INCREMENTAL, INCREMENTAL]


def test_an_altered_new_event_is_caught_incrementally_an_altered_old_one_by_a_full_pass(
    client, file_complaint, database_url, factory
):
    old, _ = file_complaint()
    changed, _ = file_complaint(order_number="B-2")
    assert run_verify(database_url).exit_code == 0
    client.post(f"/track/{changed}/act/send_message", {"message": "还没有退款"})
    new_event = _tamper(factory, changed)  # after the last verified point
    old_event = _tamper(factory, old, seq=1)  # a case with nothing new

    incremental = run_verify(database_url, "--incremental")
    assert incremental.exit_code == 1
    assert f"case {changed}: event #3 (id {new_event}): content altered" in incremental.output
    assert old not in incremental.output

    # A pass that found a problem does not move the starting point: the next names it again.
    assert f"id {new_event}" in run_verify(database_url, "--incremental").output

    full = run_verify(database_url)
    assert full.exit_code == 1
    assert f"case {changed}: event #3 (id {new_event}): content altered" in full.output
    assert f"case {old}: event #1 (id {old_event}): content altered" in full.output


def test_the_rate_and_the_record_of_a_pass(file_complaint, factory):
    for n in range(3):
        file_complaint(order_number=f"R-{n}")
    found: list[object] = []
    done = verify(factory, utcnow(), found.append)
    assert found == [] and done.kind == FULL
    assert (done.tally.cases, done.tally.events) == (3, 6)
    assert done.events_per_second > 0 and done.cases_per_second > 0
    with factory() as session:
        row = session.scalar(select(AuditVerification))
        events = session.scalar(select(func.count()).select_from(CaseEvent))
    assert (row.cases, row.events, row.problems, row.since) == (3, events, 0, 0)
    assert row.through > 0 and row.seconds == done.seconds
