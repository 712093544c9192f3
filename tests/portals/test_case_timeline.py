"""The case page's timeline, through the portals: internal events fired from any of their
states keep their details, and notes stay with the enterprise that wrote them."""

from __future__ import annotations

NOTE = "已与门店核实，等待消费者答复"


def test_a_note_made_while_an_offer_is_pending_is_on_the_enterprise_timeline(
    client, other_client, file_complaint, demo_logins
):
    number, _ = file_complaint()
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    offer = other_client.post(
        f"/enterprise/cases/{number}/act/propose_settlement",
        {"remedy": "refund", "amount": "39.90", "message": "全额退款"},
    )
    assert offer.status_code == 200 and "全额退款" in offer.text
    # offer_pending is not the first state add_note is fired from
    page = other_client.post(f"/enterprise/cases/{number}/act/add_note", {"note": NOTE})
    assert page.status_code == 200 and str(page.url).endswith(f"/enterprise/cases/{number}")
    assert NOTE in page.text
    assert NOTE not in client.get(f"/track/{number}").text


def test_a_message_shows_the_name_of_its_file(client, file_complaint, evidence_png):
    number, _ = file_complaint()
    page = client.post(
        f"/track/{number}/act/send_message",
        {"message": "发票见附件"},
        files=[("attachment", ("发票.png", evidence_png, "image/png"))],
    )
    assert page.status_code == 200
    assert '<dd class="prewrap"><bdi>发票.png</bdi></dd>' in page.text
    assert "sha256" not in page.text
