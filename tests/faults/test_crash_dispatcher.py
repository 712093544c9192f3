"""`odr worker` killed with SIGKILL while it sends mail to a slow SMTP server, then started again.

Delivery is at least once: the claim of the killed dispatcher runs out (its lease, 5 minutes; the
new worker's clock is moved past it rather than the test waiting), and the rows it held are sent
again. So: every notification is delivered and recorded as sent, none is left claimed, and a mail
arrives twice only for a row that was claimed (in flight) when the worker was killed."""

from __future__ import annotations

import httpx
import pytest
from fault_support import Processes, SlowInbox, complaint, free_port, wait_for
from sqlalchemy import func, select

from odr.db.engine import make_engine, make_session_factory
from odr.notify.models import Notification

pytestmark = pytest.mark.slow
COMPLAINTS = 40
PAST_THE_LEASE = str(10 * 60)  # seconds: the dispatcher's claim lasts 5 minutes


def test_dispatcher_killed_while_sending_delivers_everything(
    fault_database: str, processes: Processes, slow_smtp: tuple[int, SlowInbox]
) -> None:
    smtp_port, inbox = slow_smtp
    port = free_port()
    processes.serve("serve", port, "--no-background")
    for i in range(COMPLAINTS):  # each complaint: a mail to the complainant
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/complaints",
            json=complaint(i, "MAIL", email=True),
            timeout=30,
        )
        assert response.status_code == 201, response.text
    engine = make_engine(fault_database)
    factory = make_session_factory(engine)
    with factory() as session:
        emails = set(
            session.scalars(select(Notification.id).where(Notification.channel == "email"))
        )
    assert len(emails) == COMPLAINTS

    mail = {"ODR_SMTP_HOST": "127.0.0.1", "ODR_SMTP_PORT": str(smtp_port)}
    worker = processes.start("worker", "worker", **mail)
    wait_for(lambda: inbox.total() >= COMPLAINTS // 3, 60, "the first mails", processes)
    processes.kill(worker)
    sent_before_kill = set(inbox.received)
    with factory() as session:
        in_flight = set(
            session.scalars(select(Notification.id).where(Notification.status == "sending"))
        )
    assert sent_before_kill - {-1} <= in_flight  # sent, but the outcome not yet recorded
    assert len(sent_before_kill) < COMPLAINTS  # the kill landed mid-send

    processes.start("worker-again", "worker", ODR_CLOCK_OFFSET=PAST_THE_LEASE, **mail)

    def done() -> bool:
        with factory() as session:
            left = select(func.count()).where(Notification.status.in_(("pending", "sending")))
            return session.scalar(left) == 0

    wait_for(done, 60, "every notification recorded", processes)
    with factory() as session:
        rows = session.execute(
            select(Notification.id, Notification.status, Notification.claim_token)
        ).all()
    engine.dispose()
    assert {status for _, status, _ in rows} == {"sent"}  # none lost, none dead
    assert {token for _, _, token in rows} == {None}  # none left claimed
    assert set(inbox.received) == emails  # every mail arrived
    twice = {i for i, times in inbox.received.items() if times > 1}
    assert twice <= in_flight  # a duplicate only of a row in flight at the kill
    assert max(inbox.received.values()) <= 2
