"""The regulator sees bulk complaints and possible professional claimants."""

from __future__ import annotations


def test_bulk_complaints_and_frequent_claimants(file_complaint, other_client, demo_logins):
    for i, phone in enumerate(("13800138001", "13800138002", "13800138003")):
        file_complaint(
            complainant_phone=phone,
            order_number=f"BULK-{i}",
            respondent_name="南宁市兴宁区好又多便利店",
            product="过期牛奶",
        )
    for i, shop in enumerate(("南宁市兴宁区好又多便利店", "青秀区鲜果坊", "美团优选（南宁）")):
        file_complaint(
            complainant_phone="13900001111",
            order_number=f"PRO-{i}",
            respondent_name=shop,
            product=f"商品{i}",
        )
    other_client.login("regulator", "reg450100", demo_logins["reg450100"])
    page = other_client.get("/regulator/clusters").text
    assert "过期牛奶" in page and "<td>3</td><td>3</td>" in page
    assert "139****1111" in page and "13900001111" not in page
