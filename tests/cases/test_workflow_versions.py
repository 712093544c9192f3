"""A changed workflow file becomes a new version; running cases keep the one they started on."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from complaints import complaint_form
from sqlalchemy import select

from odr.auth.actor import Actor
from odr.cases.models import Case, WorkflowVersion
from odr.cases.service import act, submit
from odr.cases.workflow_versions import pin_versions
from odr.engine.rules import load_rules
from odr.intake.complaint import parse_complaint
from odr.settings import SOURCE_ROOT

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def test_running_case_keeps_its_version(tmp_path: Path, factory, rules):
    with factory.begin() as session:
        complaint = parse_complaint(
            complaint_form(purchase_date="2026-10-30"),
            rules.workflow().lists["claim_types"],
            today=NOW.date(),
        )
        old_case = submit(session, complaint, rules=rules, now=NOW).case
        old_version = old_case.workflow_version
        assert old_case.due_at == rules.calendar.add_working_days(NOW, 10)

    # The regulator shortens the negotiation period to 7 working days.
    changed = tmp_path / "workflows"
    shutil.copytree(SOURCE_ROOT / "workflows", changed)
    standard = changed / "odr_standard.yaml"
    standard.write_text(
        standard.read_text(encoding="utf-8").replace(
            "clock: {working_days: 10, on_expiry: expire}",
            "clock: {working_days: 7, on_expiry: expire}",
        ),
        encoding="utf-8",
    )
    new_rules = load_rules(changed, rules.intake_office_code)
    with factory.begin() as session:
        pin_versions(session, new_rules, NOW)
        versions = session.scalars(
            select(WorkflowVersion.version).where(WorkflowVersion.name == "odr_standard")
        ).all()
        assert new_rules.workflow().version == max(versions) > old_version

        complaint = parse_complaint(
            complaint_form(purchase_date="2026-10-30", order_number="V2"),
            new_rules.workflow().lists["claim_types"],
            today=NOW.date(),
        )
        new_case = submit(session, complaint, rules=new_rules, now=NOW).case
        assert new_case.workflow_version == new_rules.workflow().version
        assert new_case.due_at == new_rules.calendar.add_working_days(NOW, 7)

        # The old case goes on under its own version: an offer it rejects escalates as before,
        # and its definition is the stored one.
        old_case = session.scalar(select(Case).where(Case.number == old_case.number))
        assert (
            new_rules.workflow(old_case.workflow, old_case.workflow_version)
            .states["negotiation"]
            .clock.days
            == 10
        )
        agent_offer = {"remedy": "refund", "message": "退款"}
        agent = Actor("enterprise", "美团 客服", enterprise_id=old_case.enterprise_id)
        act(session, old_case, "propose_settlement", agent, agent_offer, rules=new_rules, now=NOW)
        assert old_case.state == "offer_pending" and old_case.workflow_version == old_version

    # Restore the shipped definition as the current one for the other tests.
    with factory.begin() as session:
        pin_versions(session, rules, NOW)
