"""Test data for the regulator portal: complaints filed through submit() at a chosen moment and
channel, regulator and enterprise actors, a second handler in an office."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from complaints import complaint_form
from sqlalchemy import select

from odr.auth.actor import Actor
from odr.auth.models import User
from odr.auth.service import actor_for, hash_password
from odr.cases.models import Case
from odr.cases.service import submit
from odr.clock import SHANGHAI
from odr.enterprises.models import Enterprise
from odr.intake.complaint import parse_complaint

FILED = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # a Monday, Beijing 09:00
SHOP = "南宁市兴宁区好又多便利店"  # not enrolled: straight to the 兴宁区 office (450102)
MERCHANT = "青秀区鲜果坊"  # a merchant of 美团优选 (450103), negotiated by the platform
PLATFORM = "美团优选（南宁）"


def file(session, rules, now=FILED, channel="web", **overrides) -> Case:  # type: ignore[no-untyped-def]
    """A complaint through submit(), as of `now`, from a channel."""
    bought = (now - timedelta(days=3)).astimezone(SHANGHAI).date().isoformat()
    form = {"respondent_name": SHOP, "purchase_date": bought, "order_number": ""}
    form.update(overrides)
    complaint = parse_complaint(
        complaint_form(**form),
        rules.workflow().lists["claim_types"],
        today=now.astimezone(SHANGHAI).date(),
    )
    return submit(session, complaint, rules=rules, now=now, channel=channel).case


def user(session, username: str) -> User:  # type: ignore[no-untyped-def]
    return session.scalar(select(User).where(User.username == username))


def actor(session, username: str) -> Actor:  # type: ignore[no-untyped-def]
    return actor_for(session, user(session, username))


def enterprise(session, name: str) -> Enterprise:  # type: ignore[no-untyped-def]
    return session.scalar(select(Enterprise).where(Enterprise.name == name))


def second_handler(session, office_username: str, username: str) -> User:  # type: ignore[no-untyped-def]
    """Another regulator user in the office of `office_username` (created once per run)."""
    found = user(session, username)
    if found is None:
        found = User(
            username=username,
            password_hash=hash_password("another-handler-pw"),
            display_name=f"承办人{username[-1]}",
            role="regulator",
            office_id=user(session, office_username).office_id,
        )
        session.add(found)
        session.flush()
    return found
