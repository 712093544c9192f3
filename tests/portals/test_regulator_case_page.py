"""The regulator's case page: every regulator trigger of every track is offered with its fields;
campaign tags and handler assignment go through act() (events in the hash chain); campaigns
suggested by the complaint's words are applied in one click; return to intake is on the page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from regulator_cases import FILED, MERCHANT, actor, file, second_handler, user
from sqlalchemy import select

from odr.cases import disclosure
from odr.cases.campaigns import load_campaigns, tag, tags_of, untag
from odr.cases.chain import verify_all
from odr.cases.handlers import assign_handler
from odr.cases.models import Case, CaseEvent
from odr.cases.service import act
from odr.errors import CaseForbidden, InvalidData
from odr.settings import SOURCE_ROOT

CAMPAIGNS = load_campaigns(SOURCE_ROOT / "workflows")
WILDLIFE_FACTS = "在该店购买的“滋补汤料”中发现穿山甲鳞片，怀疑非法经营野生动物制品，要求退款。"
# A campaign without an end date, so that the pages (which use today's date) keep offering it.
REPORT_FACTS = "店家出示的所谓检测报告是伪造的，奶粉实际不合格，要求退款。"
TRACKS = ("odr_standard", "seven_day_return", "report")


def login(client, demo_logins, username: str) -> None:  # type: ignore[no-untyped-def]
    client.login("regulator", username, demo_logins[username])


def regulator_offers(rules):  # type: ignore[no-untyped-def]
    """(workflow, state, transition) for every regulator transition of every track (but the
    disclosure's, whose forms are on /regulator/disclosures)."""
    for name in TRACKS:
        workflow = rules.workflow(name)
        seen = set()
        for t in workflow.transitions:
            if t.trigger in disclosure.TRIGGERS:
                continue
            for state in t.sources:
                if "regulator" in t.roles and (state, t.trigger) not in seen:
                    seen.add((state, t.trigger))
                    yield workflow, state, t


def test_every_regulator_trigger_is_offered_with_its_fields(client, demo_logins, factory, rules):
    """Walk the workflow definitions: a case put straight into each source state (test data,
    not a path through act()) shows each regulator trigger's form and every field of it."""
    offers = list(regulator_offers(rules))
    assert {w.name for w, _, _ in offers} == set(TRACKS)
    cases = {}
    with factory.begin() as session:
        for workflow, state, _t in offers:
            if (workflow.name, state) in cases:
                continue
            case = file(session, rules, complainant_phone=f"13{len(cases):09d}")
            case.workflow, case.workflow_version, case.state = (
                workflow.name,
                workflow.version,
                state,
            )
            case.campaign_tags = ",fake_inspection_reports,"  # so that untagging is offered
            if workflow.name == "report":
                case.claim_type = "report"
            cases[(workflow.name, state)] = case.number
    pages = {}
    for supervising in (False, True):
        login(client, demo_logins, "reg450100" if supervising else "reg450102")
        for key, number in cases.items():
            page = client.get(f"/regulator/cases/{number}")
            assert page.status_code == 200, (key, page.text[:500])
            pages[(supervising, key)] = page.text
        client.post("/logout")
    checked = 0
    for workflow, state, t in offers:
        # Taking a case over is for the office above (the city), the rest for the handler's.
        supervising = t.assign_office == "actor"
        page = pages[(supervising, (workflow.name, state))]
        where = f"{workflow.name}: {t.trigger} from {state}"
        assert (
            f'action="/regulator/cases/{cases[(workflow.name, state)]}/act/{t.trigger}"' in page
        ), where
        form = page.split(f'/act/{t.trigger}"', 1)[1].split("</form>", 1)[0]
        for f in t.fields:
            assert f'name="{f.name}"' in form, f"{where}: field {f.name}"
        checked += 1
    assert checked == len(offers) > 40
    # The handling office is not offered to take its own case over; the city office only that.
    handling = pages[(False, ("odr_standard", "acceptance"))]
    assert "/act/take_over" not in handling and "/act/return_to_intake" in handling
    city = pages[(True, ("odr_standard", "acceptance"))]
    assert (
        "/act/take_over" in city and "/act/accept" not in city and "/act/tag_campaign" not in city
    )


def test_tags_go_through_act_into_the_chain(factory, rules):
    with factory.begin() as session:
        case = file(session, rules, facts=WILDLIFE_FACTS)
        handler = actor(session, "reg450102")
        before = case.event_count
        tag(session, case, "wildlife", handler, rules=rules, campaigns=CAMPAIGNS, now=FILED)
        tag(
            session,
            case,
            "fake_inspection_reports",
            handler,
            rules=rules,
            campaigns=CAMPAIGNS,
            now=FILED,
        )
        assert tags_of(case) == ["wildlife", "fake_inspection_reports"]
        assert case.campaign_tags == ",wildlife,fake_inspection_reports,"
        untag(session, case, "wildlife", handler, rules=rules, now=FILED)
        assert tags_of(case) == ["fake_inspection_reports"]
        events = session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id, CaseEvent.seq > before)
            .order_by(CaseEvent.seq)
        ).all()
        assert [(e.trigger, e.payload["campaign"], e.actor_role) for e in events] == [
            ("tag_campaign", "wildlife", "regulator"),
            ("tag_campaign", "fake_inspection_reports", "regulator"),
            ("untag_campaign", "wildlife", "regulator"),
        ]
        assert all(e.from_state == e.to_state == "acceptance" for e in events)
        assert case.state == "acceptance"
        for bad, error in (
            ("nope", "没有该专项行动"),
            ("fake_inspection_reports", "已标记该专项行动"),
        ):
            with pytest.raises(InvalidData, match=error):
                tag(session, case, bad, handler, rules=rules, campaigns=CAMPAIGNS, now=FILED)
        with pytest.raises(
            InvalidData, match="该专项行动不在进行中"
        ):  # fever medicine starts in November
            tag(
                session,
                case,
                "fever_medicine",
                handler,
                rules=rules,
                campaigns=CAMPAIGNS,
                now=FILED - timedelta(days=60),
            )
        with pytest.raises(InvalidData, match="案件未标记该专项行动"):
            untag(session, case, "wildlife", handler, rules=rules, now=FILED)
        with pytest.raises(CaseForbidden):  # the office above may only take it over
            tag(
                session,
                case,
                "wildlife",
                actor(session, "reg450100"),
                rules=rules,
                campaigns=CAMPAIGNS,
                now=FILED,
            )
        assert list(verify_all(session)) == []  # the chain still holds


def test_handler_assignment_goes_through_act(factory, rules):
    with factory.begin() as session:
        case = file(session, rules)
        office = actor(session, "reg450102")
        colleague = second_handler(session, "reg450102", "reg450102b")
        assign_handler(session, case, "reg450102b", office, rules=rules, now=FILED)
        assert case.handler_id == colleague.id
        event = session.scalar(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id)
            .order_by(CaseEvent.seq.desc())
            .limit(1)
        )
        assert (event.trigger, event.payload["handler"], event.actor_id) == (
            "assign_handler",
            "reg450102b",
            office.user_id,
        )
        assign_handler(session, case, "reg450102", office, rules=rules, now=FILED)
        assert case.handler_id == user(session, "reg450102").id
        for other in ("reg450103", "meituan", "nobody"):  # another office's, an enterprise's, none
            with pytest.raises(InvalidData, match="不是本部门的承办人员"):
                assign_handler(session, case, other, office, rules=rules, now=FILED)
        assert list(verify_all(session)) == []


def test_the_page_tags_in_one_click_and_assigns_a_handler(client, demo_logins, factory, rules):
    with factory.begin() as session:
        case = file(session, rules, facts=REPORT_FACTS, now=FILED)
        second_handler(session, "reg450102", "reg450102b")
        number = case.number
    login(client, demo_logins, "reg450102")
    page = client.get(f"/regulator/cases/{number}").text
    suggestion = re.search(
        r'<form method="post" action="(/regulator/cases/\w+/act/tag_campaign)" class="inline">.*?name="campaign" value="(\w+)"',
        page,
        re.S,
    )
    assert suggestion and suggestion.group(2) == "fake_inspection_reports"  # 检测报告 in the facts
    response = client.post(
        suggestion.group(1), {"campaign": "fake_inspection_reports"}, follow_redirects=False
    )
    assert response.status_code == 303
    page = client.get(f"/regulator/cases/{number}").text
    assert '<span class="badge campaign">虚假检验检测报告专项整治</span>' in page
    assert "/act/untag_campaign" in page
    assert "标记专项行动" in page  # the event in the regulator's timeline
    response = client.post(
        f"/regulator/cases/{number}/act/assign_handler",
        {"handler": "reg450102b"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get(f"/regulator/cases/{number}").text
    assert '<option value="reg450102b" dir="auto" selected>' in page
    queue = client.get(
        "/regulator", params={"queue": "all", "campaign": "fake_inspection_reports"}
    ).text
    assert number in queue and "承办人b" in queue
    bad = client.post(f"/regulator/cases/{number}/act/assign_handler", {"handler": "meituan"})
    assert bad.status_code == 400 and "不是本部门的承办人员" in bad.text
    with factory() as session:
        stored = session.scalar(select(Case).where(Case.number == number))
        assert tags_of(stored) == ["fake_inspection_reports"]


def test_consumers_and_enterprises_do_not_see_the_desk(client, demo_logins, factory, rules):
    with factory.begin() as session:
        case = file(session, rules, respondent_name=MERCHANT, facts=WILDLIFE_FACTS)
        act(
            session,
            case,
            "decline",
            actor(session, "meituan"),
            {"reason": "x"},
            rules=rules,
            now=FILED,
        )
        tag(
            session,
            case,
            "wildlife",
            actor(session, "reg450103"),
            rules=rules,
            campaigns=CAMPAIGNS,
            now=FILED,
        )
        number = case.number
    client.login("enterprise", "meituan", demo_logins["meituan"])
    page = client.get(f"/enterprise/cases/{number}").text
    assert "专项行动" not in page and "tag_campaign" not in page


def test_return_to_intake_from_the_page_clears_the_handler(client, demo_logins, factory, rules):
    with factory.begin() as session:
        case = file(session, rules)
        assign_handler(
            session, case, "reg450102", actor(session, "reg450102"), rules=rules, now=FILED
        )
        number = case.number
    login(client, demo_logins, "reg450102")
    response = client.post(
        f"/regulator/cases/{number}/act/return_to_intake",
        {"reason": "经营地不在本区"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    with factory() as session:
        stored = session.scalar(select(Case).where(Case.number == number))
        assert stored.state == "triage" and stored.handler_id is None
        assert stored.office_id == user(session, "reg450100").office_id


def test_every_track_has_the_regulators_desk(rules):
    """Handlers and campaign tags work on every track the regulator handles, reports included."""
    for name in ("odr_standard", "seven_day_return", "report"):
        workflow = rules.workflow(name)
        triggers = {t.trigger for t in workflow.transitions if "regulator" in t.roles}
        assert {"assign_handler", "tag_campaign", "untag_campaign"} <= triggers, name
