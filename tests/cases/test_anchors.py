"""A case cut short (its last event deleted, its head set back) or rewritten no longer passes
`odr audit verify`: its state contradicts its last event, and an anchor taken before holds the
head that is gone. The anchors are chained; their newest digest, kept outside odr, catches a
rewritten anchor log too."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import delete, select, update

from odr.cases.anchors import AnchoredHead, AuditAnchor, anchor, verify_anchors
from odr.cases.chain import event_hash, verify_all
from odr.cases.models import Case, CaseEvent
from odr.cli import main
from odr.clock import utcnow
from odr.notify.models import Notification


def _cli(database_url: str, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["audit", *args], env={"ODR_DATABASE_URL": database_url})


def _declined(file_complaint, other_client, demo_logins, **form: str) -> str:  # type: ignore[no-untyped-def]
    """A case the enterprise declined: its last event took it to the regulator's acceptance."""
    number, _ = file_complaint(**form)
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    other_client.post(f"/enterprise/cases/{number}/act/decline", {"reason": "不是本平台订单"})
    return number


def _cut_the_last_event(factory, number: str) -> None:  # type: ignore[no-untyped-def]
    """What a forger does: delete the last event and set the case's head back to the one before."""
    with factory.begin() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        last = session.scalar(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.seq == case.event_count)
        )
        session.execute(delete(Notification).where(Notification.event_id == last.id))
        session.delete(last)
        session.flush()
        before = session.scalar(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.seq == last.seq - 1)
        )
        session.execute(
            update(Case)
            .where(Case.id == case.id)
            .values(event_count=before.seq, last_event_hash=before.hash)
        )


def test_a_cut_tail_with_its_head_set_back_is_caught(
    file_complaint, other_client, demo_logins, factory, database_url
):
    number = _declined(file_complaint, other_client, demo_logins)
    untouched, _ = file_complaint(order_number="B-7")
    _cut_the_last_event(factory, number)
    result = _cli(database_url, "verify")
    assert result.exit_code == 1, result.output
    assert f"case {number}: case: state 'acceptance' is not where the last event" in result.output
    assert untouched not in result.output


def test_an_anchor_catches_a_case_cut_short_even_when_its_state_is_set_back(
    file_complaint, other_client, demo_logins, factory, database_url
):
    number = _declined(file_complaint, other_client, demo_logins)
    anchored = _cli(database_url, "anchor")
    assert anchored.exit_code == 0, anchored.output
    digest = anchored.output.strip().rsplit(" ", 1)[-1]
    assert len(digest) == 64
    assert _cli(database_url, "verify", "--digest", digest).exit_code == 0

    _cut_the_last_event(factory, number)
    with factory.begin() as session:  # the state too, as the event before left it
        session.execute(update(Case).where(Case.number == number).values(state="negotiation"))
    with factory() as session:
        problems = [str(p) for p in verify_all(session)]
    assert problems == [
        f"case {number}: case: event #{_count(factory, number) + 1} was anchored and is gone "
        "(the chain was cut short)"
    ]


def test_an_anchor_catches_a_rewritten_chain(file_complaint, factory, database_url):
    number, _ = file_complaint()
    made = anchor(factory, utcnow())
    assert made is not None and made.heads == 1
    with factory.begin() as session:  # a new chain, hashed right, with another actor
        case = session.scalar(select(Case).where(Case.number == number))
        prev = ""
        for event in session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
        ):
            event.actor_label = "某人"
            event.prev_hash = prev
            event.hash = prev = event_hash(case.number, event)
        case.last_event_hash = prev
    with factory() as session:
        problems = [str(p) for p in verify_all(session)]
    assert any("differs from the anchored head (the chain was rewritten)" in p for p in problems)


def test_anchors_record_only_what_changed_and_chain_their_digests(
    file_complaint, other_client, demo_logins, factory
):
    _declined(file_complaint, other_client, demo_logins)
    second_case, _ = file_complaint(order_number="B-8")
    first = anchor(factory, utcnow())
    assert first is not None and (first.cases, first.heads) == (2, 2)
    unchanged = anchor(factory, utcnow())
    assert unchanged is not None and unchanged.heads == 0
    noted = other_client.post(
        f"/enterprise/cases/{second_case}/act/add_note", {"note": "已电话联系"}
    )
    assert noted.status_code == 200, noted.text[:300]
    third = anchor(factory, utcnow())
    assert third is not None and third.heads == 1  # only the case with a new event
    with factory() as session:
        assert list(verify_anchors(session, first.digest)) == []
        links = session.execute(
            select(AuditAnchor.prev_digest, AuditAnchor.digest).order_by(AuditAnchor.id)
        ).all()
    assert [link.prev_digest for link in links] == ["", first.digest, unchanged.digest]

    with factory.begin() as session:  # the anchor log rewritten: a head changed
        session.execute(
            update(AnchoredHead).where(AnchoredHead.anchor_id == first.id).values(head="0" * 64)
        )
    with factory() as session:
        problems = [str(p) for p in verify_anchors(session, "f" * 64)]
    assert f"anchor #{first.id}: its digest does not match its heads (altered)" in problems
    assert f"no anchor has the digest {'f' * 64} (kept outside odr)" in problems


def test_a_deleted_case_is_missed_by_its_anchor(file_complaint, factory):
    number, _ = file_complaint()
    assert anchor(factory, utcnow()) is not None
    with factory.begin() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        session.execute(delete(Notification).where(Notification.case_id == case.id))
        session.execute(delete(CaseEvent).where(CaseEvent.case_id == case.id))
        session.delete(case)
        case_id = case.id
    with factory() as session:
        problems = [str(p) for p in verify_anchors(session)]
    assert problems == [f"case id {case_id}: anchored, and deleted since"]


def _count(factory, number: str) -> int:  # type: ignore[no-untyped-def]
    with factory() as session:
        return session.scalar(select(Case.event_count).where(Case.number == number))
