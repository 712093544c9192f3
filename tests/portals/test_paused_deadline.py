"""While a case waits for the consumer, the enterprise's case page shows its own paused
working days beside the consumer's deadline."""

from __future__ import annotations

from sqlalchemy import select

from odr.cases.models import Case


def test_the_enterprise_sees_its_paused_days_while_the_consumer_answers(
    file_complaint, other_client, demo_logins, factory
):
    number, _ = file_complaint()
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    asked = other_client.post(
        f"/enterprise/cases/{number}/act/request_information", {"question": "请提供订单截图。"}
    )
    assert asked.status_code == 200, asked.text[:500]
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case.state == "awaiting_information" and case.paused_days_left
        days = case.paused_days_left
    page = other_client.get(f"/enterprise/cases/{number}").text
    assert "处理期限" in page  # the consumer's, running
    assert f"企业协商中：期限已暂停，恢复后剩余 {days} 个工作日" in page
    other_client.get("/lang/en")
    english = other_client.get(f"/enterprise/cases/{number}").text
    assert (
        f"Enterprise negotiation: deadline paused, {days} working days left once it resumes"
        in english
    )
