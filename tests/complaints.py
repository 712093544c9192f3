"""Test data: a complaint as the web form sends it."""

from __future__ import annotations


def complaint_form(**overrides: str) -> dict[str, str]:
    """A complete, valid complaint against 美团优选 as the web form sends it."""
    form = {
        "complainant_name": "张三",
        "complainant_phone": "13800138000",
        "complainant_address": "广西南宁市青秀区民族大道88号",
        "complainant_email": "",
        "respondent_id": "",
        "respondent_name": "美团优选（南宁）",
        "respondent_uscc": "",
        "respondent_address": "",
        "product": "阳光玫瑰葡萄 2斤装",
        "purchase_date": "2026-11-20",
        "amount": "39.90",
        "order_number": "MT20261120-0001",
        "claim_type": "refund",
        "facts": "11月20日在小程序下单，次日自提时发现葡萄大面积腐烂，团长拒绝退款。",
        "locale": "zh-CN",
        "notify_sms": "1",
        "notify_email": "1",
    }
    form.update(overrides)
    return form


def submit_form(session, rules, now, **overrides: str):  # type: ignore[no-untyped-def]
    """Validate the form as of `now` (Beijing date) and submit it; the Submission."""
    from odr.cases.service import submit
    from odr.clock import SHANGHAI
    from odr.intake.complaint import parse_complaint

    complaint = parse_complaint(
        complaint_form(**overrides),
        rules.workflow().lists["claim_types"],
        today=now.astimezone(SHANGHAI).date(),
        violation_types=rules.workflow("report").lists["violation_types"],
    )
    return submit(session, complaint, rules=rules, now=now)
