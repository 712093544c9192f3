"""Two dispatchers over the same 1,000 queued notifications deliver each exactly once
(PostgreSQL in CI's second run: claims use FOR UPDATE SKIP LOCKED; SQLite serialises them)."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select, update

from odr.cases.models import Case, CaseEvent
from odr.clock import utcnow
from odr.enterprises.models import Enterprise
from odr.notify.dispatcher import dispatch
from odr.notify.models import Notification

QUEUED = 1000


def test_two_dispatchers_send_each_notification_once(
    file_complaint, factory, settings, http_receiver
):
    number, _ = file_complaint()
    now = utcnow()
    with factory.begin() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        event_id = session.scalar(
            select(func.max(CaseEvent.id)).where(CaseEvent.case_id == case.id)
        )
        session.execute(update(Notification).values(status="sent"))  # leave only ours queued
        session.execute(
            update(Enterprise)
            .where(Enterprise.id == case.enterprise_id)
            .values(webhook_url=f"{http_receiver.url}/hook", webhook_secret="whsec_test")
        )
        session.add_all(
            Notification(
                case_id=case.id,
                event_id=event_id,
                kind="new_case",
                audience="enterprise",
                audience_id=case.enterprise_id,
                channel="webhook",
                # Sent where the enterprise's webhook points; distinct as queued (the
                # outbox keeps one row per event, channel and recipient).
                recipient=f"{http_receiver.url}/hook/{i}",
                locale="zh-CN",
                context={"case_number": number},
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            for i in range(QUEUED)
        )

    barrier = threading.Barrier(2)
    sent: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            sent.append(dispatch(factory, settings, now=now, batch=40))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors

    deliveries = Counter(r.headers["X-ODR-Delivery"] for r in http_receiver.requests)
    assert len(deliveries) == QUEUED and set(deliveries.values()) == {1}
    assert sum(sent) == QUEUED
    assert all(count > 0 for count in sent), sent  # both dispatchers did part of the work
    with factory() as session:
        states = Counter(
            session.execute(
                select(Notification.status, Notification.attempts).where(
                    Notification.channel == "webhook"
                )
            ).all()
        )
    assert states == {("sent", 1): QUEUED}
