"""A request's transaction: pages (GET) read without waiting for writers; a GET handler that
says it writes takes the write lock like a form post."""

from __future__ import annotations

import threading

from sqlalchemy import func, select, update

from odr.cases.models import DashboardSnapshot
from odr.clock import utcnow
from odr.db.engine import transaction
from odr.enterprises.models import ApiToken, Enterprise
from odr.enterprises.service import create_api_token


def test_a_page_does_not_wait_for_a_long_write_transaction(client, demo_logins, factory):
    client.login("regulator", "reg450103", demo_logins["reg450103"])
    assert client.get("/regulator/dashboard").status_code == 200  # its figures stored
    held, page_done = threading.Event(), threading.Event()

    def long_write() -> None:  # an import batch, a sweep: the write lock held meanwhile
        with transaction(factory) as session:
            session.execute(update(Enterprise).values(webhook_url=None))
            held.set()
            page_done.wait(10)  # the page comes first, unless it waits for this commit

    writer = threading.Thread(target=long_write)
    writer.start()
    assert held.wait(10)
    # pages, the dashboard's stored figures, and the load balancer's probe (its own session)
    paths = ("/regulator/", "/regulator/dashboard", "/health/ready")
    statuses = [client.get(path).status_code for path in paths]
    writer_still_open = writer.is_alive()
    page_done.set()
    writer.join()
    assert statuses == [200, 200, 200]
    assert writer_still_open


def test_a_get_that_says_it_writes_commits_its_write(client, factory):
    """The partner API records when a token was last used (opt writes on its controller)."""
    with transaction(factory) as session:
        enterprise_id = session.scalar(select(Enterprise.id).order_by(Enterprise.id).limit(1))
        token = create_api_token(session, enterprise_id, "test", utcnow())
    answer = client.get("/api/v1/enterprise/cases", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    with factory() as session:
        assert session.scalar(select(ApiToken.last_used_at)) is not None


def test_a_stale_dashboard_is_stored_again(client, demo_logins, factory):
    client.login("regulator", "reg450100", demo_logins["reg450100"])
    assert client.get("/regulator/dashboard").status_code == 200
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(DashboardSnapshot)) == 1
