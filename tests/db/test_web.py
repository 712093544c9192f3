"""A request's transaction: pages (GET) read without waiting for writers; a GET handler that
says it writes takes the write lock like a form post."""

from __future__ import annotations

import threading

from sqlalchemy import func, select, update

from odr.cases.models import DashboardSnapshot
from odr.db.engine import transaction
from odr.enterprises.models import Enterprise


def test_a_page_does_not_wait_for_a_long_write_transaction(client, demo_logins, factory):
    client.login("regulator", "reg450103", demo_logins["reg450103"])
    held, page_done = threading.Event(), threading.Event()

    def long_write() -> None:  # an import batch, a sweep: the write lock held meanwhile
        with transaction(factory) as session:
            session.execute(update(Enterprise).values(webhook_url=None))
            held.set()
            page_done.wait(10)  # the page comes first, unless it waits for this commit

    writer = threading.Thread(target=long_write)
    writer.start()
    assert held.wait(10)
    # a page, and the load balancer's probe (its own session)
    statuses = [client.get(path).status_code for path in ("/regulator/", "/health/ready")]
    writer_still_open = writer.is_alive()
    page_done.set()
    writer.join()
    assert statuses == [200, 200]
    assert writer_still_open


def test_a_get_that_writes_commits_its_write(client, demo_logins, factory):
    """The regulator dashboard stores the figures it computes (opt writes on its handler)."""
    client.login("regulator", "reg450100", demo_logins["reg450100"])
    assert client.get("/regulator/dashboard").status_code == 200
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(DashboardSnapshot)) >= 1
