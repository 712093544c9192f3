"""What messages say: typed text ends one sentence, not two, and each audience's links lead to
its own portal (the enterprise's mail to its case page, not the consumer's /track)."""

from __future__ import annotations

from dataclasses import replace

from odr.notify.dispatcher import dispatch
from odr.notify.templates import render, sentence
from odr.settings import SOURCE_ROOT

NOTIFICATIONS = SOURCE_ROOT / "notifications"


def _context(**extra: object) -> dict[str, object]:
    return {
        "case_number": "NN-2026-000001",
        "respondent_name": "美团优选（南宁）",
        "due_date": "2026-12-20",
        "public_url": "https://odr.example.cn",
        "audience": "consumer",
        "case_url": "https://odr.example.cn/track/NN-2026-000001",
        **extra,
    }


def test_a_typed_full_stop_is_not_doubled():
    for question in ("请提供购物发票。", "请提供购物发票"):
        text = render(
            NOTIFICATIONS,
            "zh-CN",
            "information_requested",
            "sms",
            _context(question=question),
        ).text
        assert "补充：请提供购物发票。请在 2026-12-20 前答复" in text, text
        assert "。。" not in text
    english = render(
        NOTIFICATIONS, "en", "information_requested", "sms", _context(question="Send the receipt.")
    ).text
    assert "Send the receipt. Please answer" in english and ".." not in english


def test_sentence_keeps_a_closing_mark_of_its_own():
    assert sentence("好的！") == "好的！" and sentence("真的吗？") == "真的吗？"
    assert sentence("谢谢 ") == "谢谢。" and sentence("thanks", ".") == "thanks."
    assert sentence("太长了...") == "太长了..." and sentence(None) == ""


def test_the_enterprise_mail_links_to_its_portal_and_the_consumers_to_track(
    file_complaint, factory, settings, other_client, demo_logins, smtp_server
):
    controller, inbox = smtp_server
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    other_client.post(
        "/enterprise/settings/recipients",
        {"kind": "new_case", "channel": "email", "address": "kefu@meituan.example"},
    )
    number, _ = file_complaint(complainant_email="zhao.liu@example.com")
    smtp = replace(settings, smtp_host="127.0.0.1", smtp_port=controller.port)
    dispatch(factory, smtp)
    mails = {mail["To"]: mail for mail in inbox.messages}
    enterprise_mail = _text(mails["kefu@meituan.example"])
    consumer_mail = _text(mails["zhao.liu@example.com"])
    assert f"{settings.public_url}/enterprise/cases/{number}" in enterprise_mail
    assert "/track" not in enterprise_mail
    assert f"{settings.public_url}/track/{number}" in consumer_mail


def _text(mail) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(
        part.get_payload(decode=True).decode(part.get_content_charset())
        for part in mail.walk()
        if not part.is_multipart()
    )
