"""`odr privacy purge`: closed cases past retention lose the person, keep the figures and chain."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from complaints import submit_form
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from odr.cases.chain import PURGE_TRIGGER, verify_all
from odr.cases.evidence import evidence_path
from odr.cases.models import Attachment, Case, CaseEvent, CaseParty
from odr.cases.privacy import REDACTED, PurgeProgress, PurgeResult, parse_age, purge, purge_batch
from odr.cli import main
from odr.clock import utcnow
from odr.db.engine import make_engine
from odr.intake.idempotency import purge_replays
from odr.intake.models import IdempotencyKey
from odr.notify.models import Notification

LATER = timedelta(days=4 * 366)  # "now" for the purge: four years after the case closed


def _closed_case(client, file_complaint, evidence_png, factory):  # type: ignore[no-untyped-def]
    number, _ = file_complaint(files={"evidence": ("我的收据.png", evidence_png, "image/png")})
    client.post(f"/track/{number}/act/send_message", {"message": "我的电话是13800138000"})
    client.post(f"/track/{number}/act/withdraw", {"reason": "张三已自行解决"})
    with factory.begin() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case.closed_at is not None, case.state
        session.add(
            CaseParty(
                case_id=case.id,
                name="李四",
                phone="13900139000",
                address="南宁市兴宁区",
                consented_at=case.received_at,
            )
        )
    return number


def _snapshot(factory, number):  # type: ignore[no-untyped-def]
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        events = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
        ).all()
        return (
            {c.key: getattr(case, c.key) for c in Case.__table__.columns if c.key != "version"},
            [(e.seq, e.actor_label, e.payload, e.hash) for e in events],
        )


def test_purge_removes_the_person_keeps_the_figures_and_verify_passes(
    client, file_complaint, evidence_png, factory, settings
):
    number = _closed_case(client, file_complaint, evidence_png, factory)
    open_number, _ = file_complaint(complainant_name="王五", order_number="B-2")
    open_before = _snapshot(factory, open_number)
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        sha = session.scalar(select(Attachment.sha256).where(Attachment.case_id == case.id))
        before = {
            c: getattr(case, c)
            for c in (
                "state",
                "received_at",
                "closed_at",
                "amount",
                "respondent_id",
                "claim_type",
                "respondent_name",
            )
        }
    assert evidence_path(settings.evidence_dir, sha).exists()

    result = purge(factory, settings.evidence_dir, "3y", utcnow() + LATER)

    assert result.cases == [number] and result.files_deleted == 1 and not result.skipped
    assert not evidence_path(settings.evidence_dir, sha).exists()
    with factory() as session:
        assert list(verify_all(session)) == []
        case = session.scalar(select(Case).where(Case.number == number))
        assert {c: getattr(case, c) for c in before} == before
        assert case.complainant_name == REDACTED and case.complainant_email is None
        assert case.complainant_phone == REDACTED and case.facts == REDACTED
        assert case.order_number is None
        party = session.scalar(select(CaseParty).where(CaseParty.case_id == case.id))
        assert (party.name, party.phone, party.address) == (REDACTED,) * 3
        attachment = session.scalar(select(Attachment).where(Attachment.case_id == case.id))
        assert "收据" not in attachment.filename and attachment.sha256 == sha
        events = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
        ).all()
        text = repr([(e.actor_label, e.payload) for e in events])
        for personal in ("张三", "13800138000", "收据", "李四"):
            assert personal not in text
        assert events[-1].trigger == PURGE_TRIGGER
        assert events[-1].payload["redacted"]  # the withdraw reason, the message, ...
        assert events[-1].payload["removed_sha256"]
        notes = session.scalars(select(Notification).where(Notification.case_id == case.id)).all()
        assert notes  # the consumer was told of the filing, the enterprise of the case
        sent = repr([(n.recipient, n.context, n.subject, n.body) for n in notes])
        for personal in ("张三", "13800138000"):
            assert personal not in sent
    assert _snapshot(factory, open_number) == open_before  # an open case is untouched

    verify = CliRunner().invoke(
        main, ["audit", "verify"], env={"ODR_DATABASE_URL": settings.database_url}
    )
    assert verify.exit_code == 0, verify.output


def test_purged_cases_still_show_in_the_portals(
    client, other_client, file_complaint, evidence_png, factory, settings, demo_logins
):
    number = _closed_case(client, file_complaint, evidence_png, factory)
    purge(factory, settings.evidence_dir, "3y", utcnow() + LATER)
    track = client.get(f"/track/{number}")
    assert track.status_code == 200 and "张三" not in track.text and REDACTED in track.text
    assert "保存期满，个人信息已删除" in track.text  # the timeline names the purge
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    page = other_client.get(f"/enterprise/cases/{number}")
    assert page.status_code == 200 and "13800138000" not in page.text
    assert "保存期满，个人信息已删除" in page.text and "purge_personal_data" not in page.text
    with factory() as session:
        attachment = session.scalar(select(Attachment).join(Case).where(Case.number == number))
    gone = other_client.get(f"/evidence/{attachment.id}")
    assert gone.status_code == 404


def test_tampering_after_the_purge_is_still_detected(
    client, file_complaint, evidence_png, factory, settings
):
    number = _closed_case(client, file_complaint, evidence_png, factory)
    purge(factory, settings.evidence_dir, "3y", utcnow() + LATER)
    with factory.begin() as session:
        case_id = session.scalar(select(Case.id).where(Case.number == number))
        session.execute(update(Case).where(Case.id == case_id).values(amount="9999.00"))
    with factory() as session:
        problems = [str(p) for p in verify_all(session)]
    assert len(problems) == 1
    assert problems[0].startswith(f"case {number}: case: complaint content altered since the purge")
    with factory.begin() as session:
        session.execute(update(Case).where(Case.id == case_id).values(amount="39.90"))
        # A redacted event's columns other than the payload are still covered.
        session.execute(
            update(CaseEvent)
            .where(CaseEvent.case_id == case_id, CaseEvent.trigger == "withdraw")
            .values(to_state="settled")
        )
        # And so is a redacted payload: nobody writes new text into it unnoticed.
        session.execute(
            update(CaseEvent)
            .where(CaseEvent.case_id == case_id, CaseEvent.trigger == "send_message")
            .values(payload={"message": "另一段话"})
        )
    with factory() as session:
        problems = [p.problem for p in verify_all(session)]
    assert problems == ["content altered since the purge", "content altered since the purge"]


def test_an_altered_purge_event_is_named(client, file_complaint, evidence_png, factory, settings):
    number = _closed_case(client, file_complaint, evidence_png, factory)
    purge(factory, settings.evidence_dir, "3y", utcnow() + LATER)
    with factory.begin() as session:
        case_id = session.scalar(select(Case.id).where(Case.number == number))
        event = session.scalar(
            select(CaseEvent).where(
                CaseEvent.case_id == case_id, CaseEvent.trigger == PURGE_TRIGGER
            )
        )
        event.payload = {**event.payload, "redacted": {}}
    with factory() as session:
        problems = [p.problem for p in verify_all(session)]
    assert "content altered (hash mismatch)" in problems


def test_recent_cases_dry_run_and_a_second_run_change_nothing(
    client, file_complaint, evidence_png, factory, settings
):
    number = _closed_case(client, file_complaint, evidence_png, factory)
    before = _snapshot(factory, number)
    assert purge(factory, settings.evidence_dir, "3y", utcnow()).cases == []  # closed today
    dry = purge(factory, settings.evidence_dir, "3y", utcnow() + LATER, dry_run=True)
    assert dry.cases == [number] and dry.files_deleted == 1
    assert _snapshot(factory, number) == before
    with factory() as session:
        sha = session.scalar(select(Attachment.sha256).join(Case).where(Case.number == number))
    assert evidence_path(settings.evidence_dir, sha).exists()

    assert purge(factory, settings.evidence_dir, "3y", utcnow() + LATER).cases == [number]
    after = _snapshot(factory, number)
    again = purge(factory, settings.evidence_dir, "3y", utcnow() + LATER)
    assert again.cases == [] and again.files_deleted == 0
    assert _snapshot(factory, number) == after
    with factory() as session:
        assert list(verify_all(session)) == []


def test_a_tampered_case_is_not_purged(client, file_complaint, evidence_png, factory, settings):
    number = _closed_case(client, file_complaint, evidence_png, factory)
    with factory.begin() as session:
        session.execute(update(Case).where(Case.number == number).values(amount="1.00"))
    result = purge(factory, settings.evidence_dir, "3y", utcnow() + LATER)
    assert result.cases == [] and result.skipped == [number]


def test_the_command(client, file_complaint, evidence_png, factory, settings):
    number = _closed_case(client, file_complaint, evidence_png, factory)
    env = {"ODR_DATABASE_URL": settings.database_url, "ODR_VAR_DIR": str(settings.var_dir)}
    later = (utcnow() + LATER).isoformat()
    dry = CliRunner().invoke(
        main, ["privacy", "purge", "--older-than", "3y", "--dry-run", "--now", later], env=env
    )
    assert dry.exit_code == 0, dry.output
    assert "1 case(s) would be purged" in dry.output
    done = CliRunner().invoke(
        main, ["privacy", "purge", "--older-than", "3y", "--now", later], env=env
    )
    assert done.exit_code == 0, done.output
    assert "1 case(s) purged" in done.output
    with factory() as session:
        name = session.scalar(select(Case.complainant_name).where(Case.number == number))
    assert name == REDACTED
    bad = CliRunner().invoke(main, ["privacy", "purge", "--older-than", "three"], env=env)
    assert bad.exit_code == 2 and "--older-than" in bad.output


def test_ages():
    now = utcnow().replace(year=2028, month=2, day=29)
    assert parse_age("3y")(now) == now.replace(year=2025, day=28)
    assert parse_age("18m")(now) == now.replace(year=2026, month=8)
    assert parse_age("90d")(now) == now - timedelta(days=90)


def test_old_api_replay_records_go_too(factory, settings):
    def key(name, created_at):  # type: ignore[no-untyped-def]
        return IdempotencyKey(
            client="c",
            key=name,
            method="POST",
            path="/api/v1/complaints",
            request_sha256="0" * 64,
            status=201,
            body=b'{"access_code":"X"}',
            created_at=created_at,
        )

    with factory.begin() as session:
        session.add_all([key("old", utcnow() - LATER), key("new", utcnow())])
    cutoff = parse_age("3y")(utcnow())
    assert purge_replays(factory, cutoff, dry_run=True) == 1
    assert purge_replays(factory, cutoff) == 1
    with factory() as session:
        assert session.scalars(select(IdempotencyKey.key)).all() == ["new"]


class _Stop(Exception):
    pass


def test_a_purge_stopped_after_a_batch_goes_on_where_it_was(
    client, file_complaint, evidence_png, factory, settings
):
    numbers = [_closed_case(client, file_complaint, evidence_png, factory) for _ in range(3)]
    seen: list[PurgeProgress] = []

    def stop_after_the_first(done: PurgeProgress) -> None:
        seen.append(done)
        raise _Stop  # the process killed between two batches

    later = utcnow() + LATER
    with pytest.raises(_Stop):
        purge(factory, settings.evidence_dir, "3y", later, batch=1, progress=stop_after_the_first)
    assert [(p.batches, p.cases) for p in seen] == [(1, 1)]
    with factory() as session:
        names = {n: c for n, c in session.execute(select(Case.number, Case.complainant_name))}
    assert sorted(names.values()) == sorted([REDACTED, "张三", "张三"])  # the batch committed

    rest = purge(factory, settings.evidence_dir, "3y", later, batch=2, progress=seen.append)
    assert sorted(rest.cases) == sorted(n for n in numbers if names[n] != REDACTED)
    assert [(p.batches, p.cases) for p in seen[1:]] == [(1, 2)]
    assert rest.longest_batch_seconds > 0 and rest.seconds >= rest.longest_batch_seconds
    with factory() as session:
        assert list(verify_all(session)) == []
        purges = session.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.trigger == PURGE_TRIGGER)
        )
    assert purges == 3  # each case purged once


def test_between_batches_other_writers_get_their_turn(
    client, file_complaint, evidence_png, factory, settings, rules
):
    for _ in range(2):
        _closed_case(client, file_complaint, evidence_png, factory)
    filed: list[str] = []

    def file_one(done: PurgeProgress) -> None:  # SQLite: the write lock is free between batches
        with factory.begin() as session:
            filed.append(submit_form(session, rules, utcnow(), order_number=f"N-{done.batches}"))

    result = purge(
        factory, settings.evidence_dir, "3y", utcnow() + LATER, batch=1, progress=file_one
    )
    assert len(result.cases) == 2 and len(filed) == 2


def test_a_running_batch_makes_intake_and_other_purges_wait_for_nothing(
    postgres_only, client, file_complaint, evidence_png, factory, settings, rules, database_url
):
    number = _closed_case(client, file_complaint, evidence_png, factory)
    later = utcnow() + LATER
    impatient = make_engine(database_url, connect_args={"options": "-c lock_timeout=100"})
    try:
        with factory() as purging:  # a batch of the purge, its transaction still open
            case_id = purging.scalar(select(Case.id).where(Case.number == number))
            result = PurgeResult()
            purge_batch(purging, [case_id], settings.evidence_dir, later, later, result)
            assert result.cases == [number]
            with Session(impatient) as other, other.begin():
                # Any wait for a lock longer than 100 ms is an error here (LockNotAvailable).
                submitted = submit_form(other, rules, utcnow(), order_number="WHILE-PURGING")
                assert submitted is not None
            with Session(impatient) as other, other.begin():
                second = PurgeResult()  # a second purge skips the case, does not wait for it
                purge_batch(other, [case_id], settings.evidence_dir, later, later, second)
                assert second.cases == []
            page = client.get(f"/track/{number}")  # pages read the last commit: 张三 still
            assert page.status_code == 200 and "张三" in page.text
            purging.commit()
    finally:
        impatient.dispose()
    with factory() as session:
        assert (
            session.scalar(select(Case.complainant_name).where(Case.number == number)) == REDACTED
        )


def test_a_batch_commits_when_its_time_is_up(
    client, file_complaint, evidence_png, factory, settings
):
    numbers = [_closed_case(client, file_complaint, evidence_png, factory) for _ in range(3)]
    seen: list[PurgeProgress] = []
    result = purge(
        factory,
        settings.evidence_dir,
        "3y",
        utcnow() + LATER,
        batch=10,
        batch_seconds=1e-9,  # up at once: one case a batch, and never none
        progress=seen.append,
    )
    assert sorted(result.cases) == sorted(numbers)
    assert [p.cases for p in seen] == [1, 2, 3]
