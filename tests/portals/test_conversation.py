"""Consumer and enterprise talk on the case: events in the hash chain, the other side told."""

from __future__ import annotations

from sqlalchemy import select

from odr.cases.chain import verify_case
from odr.cases.models import Attachment, Case, CaseEvent
from odr.notify.models import Notification


def events_and_notices(factory, number: str):  # type: ignore[no-untyped-def]
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        events = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
        ).all()
        notices = session.scalars(
            select(Notification).where(Notification.case_id == case.id).order_by(Notification.id)
        ).all()
        files = session.scalars(select(Attachment).where(Attachment.case_id == case.id)).all()
        filed = [f.sha256 for f in files if f.event_seq is None]
        problems = list(verify_case(case, list(events), filed))
        return case, events, notices, files, problems


def test_messages_both_ways_are_chained_events_and_notify_the_other_side(
    client, other_client, file_complaint, demo_logins, factory, evidence_png
):
    number, _ = file_complaint()
    sent = client.post(
        f"/track/{number}/act/send_message",
        {"message": "请问什么时候能退款？<b>急</b>"},
        files=[("attachment", ("聊天截图.png", evidence_png, "image/png"))],
    )
    assert sent.status_code == 200 and str(sent.url).endswith(f"/track/{number}")
    assert "请问什么时候能退款？&lt;b&gt;急&lt;/b&gt;" in sent.text  # shown, escaped
    assert "聊天截图.png" in sent.text

    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    page = other_client.get(f"/enterprise/cases/{number}")
    assert "请问什么时候能退款？" in page.text and "聊天截图.png" in page.text
    reply = other_client.post(
        f"/enterprise/cases/{number}/act/message_consumer", {"message": "已安排，明天退款。"}
    )
    assert reply.status_code == 200
    assert "已安排，明天退款。" in client.get(f"/track/{number}").text

    case, events, notices, files, problems = events_and_notices(factory, number)
    assert case.state == "negotiation"  # a message changes nothing but the record
    assert [e.trigger for e in events][-2:] == ["send_message", "message_consumer"]
    assert events[-2].payload["message"] == "请问什么时候能退款？<b>急</b>"
    assert events[-2].payload["attachment"]["filename"] == "聊天截图.png"
    assert problems == []
    assert [f.event_seq for f in files] == [events[-2].seq]
    consumer_message = [n for n in notices if n.kind == "message_from_consumer"]
    enterprise_message = [n for n in notices if n.kind == "message_from_enterprise"]
    assert {n.audience for n in consumer_message} == {"enterprise"}
    assert {n.audience for n in enterprise_message} == {"consumer"}
    assert {n.channel for n in enterprise_message} == {"sms"}


def test_an_empty_message_is_refused_beside_the_field(client, file_complaint, factory):
    number, _ = file_complaint()
    refused = client.post(f"/track/{number}/act/send_message", {"message": "  "})
    assert refused.status_code == 400
    assert 'class="message-form"' in refused.text and "必填" in refused.text
    _, events, _, _, _ = events_and_notices(factory, number)
    assert "send_message" not in [e.trigger for e in events]


def test_no_messages_once_the_enterprise_is_no_longer_handling(client, file_complaint):
    number, _ = file_complaint()
    client.post(f"/track/{number}/act/withdraw", {"reason": "已自行解决"})
    page = client.get(f"/track/{number}")
    assert "给企业留言" not in page.text
    late = client.post(f"/track/{number}/act/send_message", {"message": "还在吗"})
    assert late.status_code == 409
