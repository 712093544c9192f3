"""A complaint as every channel submits it, validated field by field (all errors at once)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from odr.engine.fields import parse_amount
from odr.engine.workflow import InvalidData

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOCALES = ("zh-CN", "en")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ORDER_NUMBER = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")

# Form and API field names, in the order the form shows them.
FIELDS = (
    "complainant_name",
    "complainant_phone",
    "complainant_address",
    "complainant_email",
    "respondent_id",
    "respondent_name",
    "respondent_uscc",
    "respondent_address",
    "product",
    "purchase_date",
    "amount",
    "order_number",
    "claim_type",
    "facts",
    "locale",
    "notify_sms",
    "notify_email",
)


@dataclass(frozen=True)
class ComplaintInput:
    complainant_name: str
    complainant_phone: str  # E.164, e.g. +8613800138000
    complainant_address: str
    complainant_email: str | None
    respondent_id: int | None
    respondent_name: str
    respondent_uscc: str | None
    respondent_address: str
    product: str
    purchase_date: date | None
    amount: Decimal | None
    order_number: str | None
    claim_type: str
    facts: str
    locale: str = "zh-CN"
    notify_sms: bool = True
    notify_email: bool = True

    def content(self) -> dict[str, Any]:
        """The complaint as JSON-able data (its digest goes into the first event's hash)."""
        return {
            name: (str(v) if isinstance(v, date | Decimal) else v)
            for name, v in self.__dict__.items()
        }


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value).strip()


def _flag(raw: Mapping[str, Any], name: str) -> bool:
    """A yes/no choice: JSON booleans, or form values; absent means yes."""
    value = raw.get(name)
    if value is None or isinstance(value, bool):
        return value is not False
    return str(value).strip().lower() in {"1", "on", "true", "yes"}


def parse_complaint(
    raw: Mapping[str, Any], claim_types: Mapping[str, Any], today: date | None = None
) -> ComplaintInput:
    """Validate raw form or JSON data; raise InvalidData mapping each bad field to its problem."""
    errors: dict[str, str] = {}
    today = today or datetime.now(SHANGHAI).date()

    def text(name: str, max_length: int, required: bool, min_length: int = 0) -> str:
        value = _text(raw, name)
        if not value:
            if required:
                errors[name] = "必填 / required"
            return ""
        if len(value) > max_length:
            errors[name] = f"不超过{max_length}字 / at most {max_length} characters"
        elif len(value) < min_length:
            errors[name] = f"至少{min_length}字 / at least {min_length} characters"
        return value

    name = text("complainant_name", 50, True)
    address = text("complainant_address", 300, True)
    respondent_name = text("respondent_name", 200, True)
    respondent_address = text("respondent_address", 300, False)
    product = text("product", 200, True)
    facts = text("facts", 5000, True, min_length=10)

    phone = ""
    raw_phone = _text(raw, "complainant_phone")
    if not raw_phone:
        errors["complainant_phone"] = "必填 / required"
    else:
        try:
            parsed = phonenumbers.parse(raw_phone, "CN")
            if not phonenumbers.is_valid_number(parsed):
                raise phonenumbers.NumberParseException(0, "invalid")
            phone = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            errors["complainant_phone"] = "电话号码无效 / not a valid phone number"

    email = _text(raw, "complainant_email") or None
    if email and (len(email) > 200 or not EMAIL.match(email)):
        errors["complainant_email"] = "邮箱地址无效 / not a valid e-mail address"

    respondent_id = None
    if raw_id := _text(raw, "respondent_id"):
        if raw_id.isdigit() and len(raw_id) < 19:
            respondent_id = int(raw_id)
        else:
            errors["respondent_id"] = "无效的被投诉人 / not a valid respondent id"

    respondent_uscc = None
    if raw_uscc := _text(raw, "respondent_uscc"):
        try:
            respondent_uscc = uscc.validate(raw_uscc.upper())
        except StdnumError:
            errors["respondent_uscc"] = (
                "统一社会信用代码无效（18位，含校验位）/ not a valid unified social credit code"
            )
    purchase_date = None
    if raw_date := _text(raw, "purchase_date"):
        try:
            purchase_date = date.fromisoformat(raw_date)
            if purchase_date > today:
                errors["purchase_date"] = "不能晚于今天 / cannot be in the future"
        except ValueError:
            errors["purchase_date"] = "日期格式应为 YYYY-MM-DD / date as YYYY-MM-DD"

    amount = None
    if raw_amount := _text(raw, "amount"):
        try:
            amount = parse_amount(raw_amount)
        except ValueError as exc:
            errors["amount"] = str(exc)

    order_number = _text(raw, "order_number") or None
    if order_number and not ORDER_NUMBER.match(order_number):
        errors["order_number"] = "订单号只含字母、数字、-、_（最多64位）/ letters, digits, - and _"

    claim_type = _text(raw, "claim_type")
    if not claim_type:
        errors["claim_type"] = "必填 / required"
    elif claim_type not in claim_types:
        errors["claim_type"] = "不是可选项 / not one of: " + ", ".join(claim_types)

    locale = _text(raw, "locale") or "zh-CN"
    if locale not in LOCALES:
        errors["locale"] = "zh-CN 或 en / zh-CN or en"

    notify_sms, notify_email = _flag(raw, "notify_sms"), _flag(raw, "notify_email")
    if not notify_sms and not (notify_email and email):
        errors["notify_sms"] = (
            "请至少选择短信或邮件一种通知方式 / choose SMS or e-mail (with an address)"
        )

    if errors:
        raise InvalidData(errors)
    return ComplaintInput(
        complainant_name=name,
        complainant_phone=phone,
        complainant_address=address,
        complainant_email=email,
        respondent_id=respondent_id,
        respondent_name=respondent_name,
        respondent_uscc=respondent_uscc,
        respondent_address=respondent_address,
        product=product,
        purchase_date=purchase_date,
        amount=amount,
        order_number=order_number,
        claim_type=claim_type,
        facts=facts,
        locale=locale,
        notify_sms=notify_sms,
        notify_email=notify_email,
    )
