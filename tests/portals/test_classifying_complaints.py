"""Classifying complaints (workflows/classification.yaml): the consumer picks a category in plain
words, odr suggests what is left, the API and 12315 transfers may carry codes (a 400 names the
field), and the regulator confirms or corrects on the case page: act() records it in the chain."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from complaints import complaint_form
from regulator_cases import FILED, actor
from sqlalchemy import select

from odr.auth.actor import consumer_actor
from odr.cases.chain import verify_all
from odr.cases.classification import classify
from odr.cases.models import Case
from odr.cases.service import submit
from odr.clock import SHANGHAI
from odr.errors import InvalidData, TransitionNotAllowed
from odr.intake.complaint import parse_complaint

SHOP = "南宁市兴宁区好又多便利店"  # not enrolled: straight to the 兴宁区 office (450102)


def file(session, rules, **overrides) -> Case:  # type: ignore[no-untyped-def]
    bought = (FILED - timedelta(days=3)).astimezone(SHANGHAI).date().isoformat()
    form = complaint_form(**{"respondent_name": SHOP, "purchase_date": bought, **overrides})
    complaint = parse_complaint(
        form,
        rules.workflow().lists["claim_types"],
        today=FILED.astimezone(SHANGHAI).date(),
        classification=rules.classification,
    )
    return submit(session, complaint, rules=rules, now=FILED).case


def test_intake_suggests_what_the_consumer_leaves_out(factory, rules):  # type: ignore[no-untyped-def]
    with factory.begin() as session:
        suggested = file(
            session, rules, product="华为手机", facts="收到后黑屏，无法使用，要求退款。"
        )
        picked = file(
            session,
            rules,
            product="华为手机",
            facts="收到后黑屏，要求退款。",
            category="sales_services",
            order_number="MT-2",
        )
        assert (suggested.goods_category, suggested.problem_nature) == (
            "household_appliances",
            "quality",
        )
        assert picked.goods_category == "sales_services"
        assert not suggested.classification_confirmed
    with pytest.raises(InvalidData) as bad:
        parse_complaint(
            complaint_form(category="gadgets", problem_nature="质量"),
            rules.workflow().lists["claim_types"],
            classification=rules.classification,
        )
    assert set(bad.value.errors) == {"category"}  # 质量 is the published name of quality


def test_confirm_and_correct_through_act(factory, rules):  # type: ignore[no-untyped-def]
    with factory.begin() as session:
        case = file(session, rules, product="华为手机", facts="收到后黑屏，无法使用，要求退款。")
        regulator = actor(session, "reg450102")
        before = case.event_count
        event = classify(
            session, case, "household_appliances", "counterfeit", regulator, rules=rules
        )
        assert (case.goods_category, case.problem_nature) == ("household_appliances", "counterfeit")
        assert case.classification_confirmed and case.event_count == before + 1
        assert event.trigger == "classify" and event.payload["problem_nature"] == "counterfeit"
        assert event.payload["classification_version"] == str(rules.classification.version)
        with pytest.raises(InvalidData) as bad:
            classify(session, case, "gadgets", "", regulator, rules=rules)
        assert set(bad.value.errors) == {"goods_category", "problem_nature"}
        assert case.goods_category == "household_appliances"
        with pytest.raises(TransitionNotAllowed):
            classify(session, case, "food", "quality", consumer_actor(case.id, "张三"), rules=rules)
    with factory() as session:
        assert list(verify_all(session)) == []


def test_the_case_page_confirms_the_suggestion(client, demo_logins, factory, rules):  # type: ignore[no-untyped-def]
    with factory.begin() as session:
        number = file(
            session, rules, product="团购鸡蛋", facts="收到的鸡蛋缺斤短两，要求退款。"
        ).number
    client.login("regulator", "reg450102", demo_logins["reg450102"])
    page = client.get(f"/regulator/cases/{number}")
    assert page.status_code == 200
    assert "投诉分类" in page.text and "待确认" in page.text
    form = page.text.split("/act/classify", 1)[1].split("</form>", 1)[0]
    assert re.search(r'<option value="food"\s+selected', form)
    assert re.search(r'<option value="measurement"\s+selected', form)
    bad = client.post(
        f"/regulator/cases/{number}/act/classify",
        {"goods_category": "gadgets", "problem_nature": "measurement"},
    )
    assert bad.status_code == 400 and 'class="field invalid"' in bad.text
    done = client.post(
        f"/regulator/cases/{number}/act/classify",
        {"goods_category": "food", "problem_nature": "false_advertising"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case.problem_nature == "false_advertising" and case.classification_confirmed
    english = client.get(f"/regulator/cases/{number}?lang=en")
    assert "Classification" in english.text or "classif" in english.text.lower()


def test_the_form_offers_plain_words_and_keeps_the_choice(client):  # type: ignore[no-untyped-def]
    page = client.get("/")
    assert 'name="category"' in page.text and "手机、电脑、电视" in page.text
    response = client.post("/", complaint_form(category="gadgets"))
    assert response.status_code == 400 and 'id="category-error"' in response.text
    response = client.post("/", complaint_form(category="food", complainant_phone="123"))
    assert re.search(r'<option value="food"\s+selected', response.text)


def test_the_api_carries_codes_and_names_a_wrong_one(client, factory):  # type: ignore[no-untyped-def]
    body = {k: v for k, v in complaint_form().items() if v != ""}
    for flag in ("notify_sms", "notify_email"):
        body[flag] = body.get(flag) == "1"
    wrong = client.client.post(
        "/api/v1/complaints", json={**body, "category": "gadgets", "problem_nature": "rude"}
    )
    assert wrong.status_code == 400
    assert {e["field"] for e in wrong.json()["errors"]} == {"category", "problem_nature"}
    made = client.client.post(
        "/api/v1/complaints", json={**body, "category": "food", "problem_nature": "price"}
    )
    assert made.status_code == 201, made.text
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == made.json()["number"]))
        assert (case.goods_category, case.problem_nature) == ("food", "price")


def test_a_12315_transfer_carries_the_published_names(factory, rules):  # type: ignore[no-untyped-def]
    from odr.clock import utcnow
    from odr.intake.import12315 import import_records
    from odr.intake.transfer12315 import read_records

    rows = [
        {
            "投诉编号": f"12315-CLS-{i}",
            "投诉人姓名": "陈七",
            "联系电话": f"1360013600{i}",
            "联系地址": "南宁市西乡塘区大学东路",
            "被投诉人名称": "多多买菜（南宁）",
            "商品或服务名称": "冷冻虾仁 500g",
            "投诉诉求": "退款",
            "投诉内容": "收到的虾仁已解冻变质，平台客服不予处理。",
            "商品服务类别": category,
            "问题性质": nature,
        }
        for i, (category, nature) in enumerate([("食品类", "质量"), ("food", "价格"), ("鞋", "")])
    ]
    import json

    records, problems = read_records(json.dumps(rows, ensure_ascii=False).encode(), "json")
    assert problems == []
    results = import_records(factory, records, rules, utcnow())
    assert [r.status for r in results] == ["created", "created", "rejected"]
    assert results[2].field == "商品服务类别"
    with factory() as session:
        made = {
            c.external_id: (c.goods_category, c.problem_nature)
            for c in session.scalars(select(Case).where(Case.channel == "12315"))
        }
    assert made == {"12315-CLS-0": ("food", "quality"), "12315-CLS-1": ("food", "price")}
