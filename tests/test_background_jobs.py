"""`odr serve` runs the sweeper and the dispatcher in-process (the app's lifespan)."""

from __future__ import annotations

import time
from dataclasses import replace

from litestar.testing import TestClient
from sqlalchemy import select

from odr.app import create_app
from odr.notify.models import Notification


def test_lifespan_runs_dispatcher(settings, factory, demo_logins):
    app = create_app(
        replace(
            settings,
            background_jobs=True,
            dispatch_interval_seconds=0.1,
            sweep_interval_seconds=0.1,
        )
    )
    with TestClient(app) as client:
        response = client.post(
            "/api/v1/complaints",
            json={
                "complainant_name": "王五",
                "complainant_phone": "13900139000",
                "complainant_address": "南宁市兴宁区",
                "respondent_name": "多多买菜（南宁）",
                "product": "鸡蛋 30枚",
                "claim_type": "replacement",
                "facts": "鸡蛋破损超过一半，要求更换。",
            },
        )
        assert response.status_code == 201
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with factory() as session:
                statuses = set(session.scalars(select(Notification.status)))
            if statuses == {"sent"}:
                break
            time.sleep(0.1)
    assert statuses == {"sent"}
