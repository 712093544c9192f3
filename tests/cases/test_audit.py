"""`odr audit verify` recomputes every hash chain and names what was altered."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import delete, select, update

from odr.cases.chain import verify_all
from odr.cases.models import Case, CaseEvent
from odr.cli import main
from odr.notify.models import Notification


def run_verify(database_url: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["audit", "verify"], env={"ODR_DATABASE_URL": database_url})


def test_intact_chains_verify(file_complaint, database_url, factory):
    file_complaint()
    file_complaint(order_number="B-2")
    with factory() as session:
        assert list(verify_all(session)) == []
    result = run_verify(database_url)
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


def test_altered_event_is_named(file_complaint, database_url, factory):
    number, _ = file_complaint()
    with factory.begin() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        session.execute(
            update(CaseEvent)
            .where(CaseEvent.case_id == case.id, CaseEvent.seq == 2)
            .values(actor_label="someone else")
        )
        event_id = session.scalar(
            select(CaseEvent.id).where(CaseEvent.case_id == case.id, CaseEvent.seq == 2)
        )
    result = run_verify(database_url)
    assert result.exit_code == 1
    assert f"case {number}: event #2 (id {event_id}): content altered" in result.output


def test_altered_complaint_content_is_named(file_complaint, database_url, factory):
    number, _ = file_complaint()
    untouched, _ = file_complaint(order_number="B-3")
    with factory.begin() as session:
        session.execute(update(Case).where(Case.number == number).values(amount="9999.00"))
    result = run_verify(database_url)
    assert result.exit_code == 1
    assert f"case {number}: case: complaint content altered" in result.output
    assert untouched not in result.output


def test_deleted_event_breaks_the_chain(file_complaint, other_client, demo_logins, factory):
    number, _ = file_complaint()
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    other_client.post(f"/enterprise/cases/{number}/act/decline", {"reason": "不是本平台订单"})
    with factory.begin() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        event = session.scalar(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.seq == 2)
        )
        session.execute(delete(Notification).where(Notification.event_id == event.id))
        session.delete(event)
    with factory() as session:
        problems = [str(p) for p in verify_all(session)]
    assert any("expected seq 2" in p for p in problems)
    assert any("prev_hash does not match" in p for p in problems)
