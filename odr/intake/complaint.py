"""A complaint as every channel submits it, validated field by field (all errors at once)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import phonenumbers
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from odr.cases.input import SEVEN_DAY_RETURN, ComplaintInput, PartyInput, ReportInput
from odr.clock import SHANGHAI
from odr.engine.classification import Classification
from odr.engine.fields import (
    CONTROL_CHARACTERS_ERROR,
    has_control_characters,
    parse_amount,
    without_bidi_controls,
)
from odr.errors import InvalidData
from odr.text import N_, Message

LOCALES = ("zh-CN", "en")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ORDER_NUMBER = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
# The facts' bounds, for every channel and for the form's minlength/maxlength. Real narratives
# run long (the longest of the CFPB's public complaints is about 22,000 characters).
FACTS_MIN = 10
FACTS_MAX = 32_000

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
    "harm_date",
    "delivery_date",
    "goods_category",
    "goods_intact",
    "category",
    "problem_nature",
    "complainant_representative",
    "also_report",
    "violation_type",
    "report_facts",
    *(
        f"party_{k}_{i}"
        for i in range(1, 6)
        for k in ("name", "phone", "address", "representative", "consent")
    ),
)


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    if value is None:
        return ""
    return without_bidi_controls(value if isinstance(value, str) else str(value)).strip()


MAX_CO_COMPLAINANTS = 5
MAX_REPRESENTATIVES = 2
RETURN_WINDOW_DAYS = 7
# Goods the seven-day return does not cover (CRPL art. 25); "general" goods are covered.
RETURNABLE_CATEGORY = "general"
GOODS_CATEGORIES = {
    "general": N_("普通商品"),
    "custom_made": N_("消费者定作的商品"),
    "fresh": N_("鲜活易腐的商品"),
    "digital_opened": N_("在线下载或已拆封的音像制品、计算机软件等数字化商品"),
    "periodicals": N_("交付的报纸、期刊"),
    "confirmed_nonreturnable": N_("购买时已确认不宜退货的商品"),
}


# A plain CN mobile number (11 digits) that phonenumbers' own metadata calls a mobile: valid,
# and its E.164 form is +86 and the digits. Most complaints give one; the full parse costs more.
def _mobile_pattern(region: str) -> str:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    pattern = metadata.mobile.national_number_pattern if metadata and metadata.mobile else None
    if not pattern:
        raise RuntimeError(f"phonenumbers has no mobile numbers for {region}")
    return pattern


_CN_MOBILE = re.compile(_mobile_pattern("CN"))


def parse_phone(value: str) -> str:
    """A Chinese phone number in E.164 form; ValueError if it is not one."""
    if len(value) == 11 and value.isascii() and value.isdigit() and _CN_MOBILE.fullmatch(value):
        return "+86" + value
    try:
        parsed = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        raise ValueError(N_("电话号码无效")) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(N_("电话号码无效"))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def control_character_errors(raw: Mapping[str, Any]) -> dict[str, str]:
    """Every text field holding control characters (PostgreSQL refuses NUL; none belongs)."""
    return {
        name: CONTROL_CHARACTERS_ERROR
        for name, value in raw.items()
        if isinstance(value, str) and has_control_characters(value)
    }


def _flag(raw: Mapping[str, Any], name: str) -> bool:
    """A yes/no choice: JSON booleans, or form values; absent means yes."""
    value = raw.get(name)
    if value is None or isinstance(value, bool):
        return value is not False
    return str(value).strip().lower() in {"1", "on", "true", "yes"}


def parse_complaint(
    raw: Mapping[str, Any],
    claim_types: Mapping[str, Any],
    today: date | None = None,
    violation_types: Mapping[str, Any] | None = None,
    classification: Classification | None = None,
) -> ComplaintInput:
    """Validate raw form or JSON data; raise InvalidData mapping each bad field to its problem."""
    errors = control_character_errors(raw)
    today = today or datetime.now(SHANGHAI).date()
    violation_types = violation_types or {}

    def text(name: str, max_length: int, required: bool, min_length: int = 0) -> str:
        value = _text(raw, name)
        if not value:
            if required:
                errors[name] = N_("必填")
            return ""
        if len(value) > max_length:
            errors[name] = Message("不超过%(count)s字", count=max_length)
        elif len(value) < min_length:
            errors[name] = Message("至少%(count)s字", count=min_length)
        return value

    name = text("complainant_name", 50, True)
    address = text("complainant_address", 300, True)
    respondent_name = text("respondent_name", 200, True)
    respondent_address = text("respondent_address", 300, False)
    product = text("product", 200, True)
    facts = text("facts", FACTS_MAX, True, min_length=FACTS_MIN)

    phone = ""
    raw_phone = _text(raw, "complainant_phone")
    if not raw_phone:
        errors["complainant_phone"] = N_("必填")
    else:
        try:
            phone = parse_phone(raw_phone)
        except ValueError as exc:
            errors["complainant_phone"] = str(exc)

    email = _text(raw, "complainant_email") or None
    if email and (len(email) > 200 or not EMAIL.match(email)):
        errors["complainant_email"] = N_("邮箱地址无效")

    respondent_id = None
    if raw_id := _text(raw, "respondent_id"):
        if raw_id.isdigit() and len(raw_id) < 19:
            respondent_id = int(raw_id)
        else:
            errors["respondent_id"] = N_("无效的被投诉人")

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
                errors["purchase_date"] = N_("不能晚于今天")
        except ValueError:
            errors["purchase_date"] = N_("日期格式应为 YYYY-MM-DD")

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
        errors["claim_type"] = N_("必填")
    elif claim_type not in claim_types:
        errors["claim_type"] = Message("不是可选项：%(choices)s", choices=", ".join(claim_types))

    locale = _text(raw, "locale") or "zh-CN"
    if locale not in LOCALES:
        errors["locale"] = N_("zh-CN 或 en")

    def a_date(name: str) -> date | None:
        value = _text(raw, name)
        if not value:
            return None
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            errors[name] = N_("日期格式应为 YYYY-MM-DD")
            return None
        if parsed > today:
            errors[name] = N_("不能晚于今天")
        return parsed

    harm_date = a_date("harm_date")
    delivery_date = a_date("delivery_date")
    if claim_type == SEVEN_DAY_RETURN:
        if delivery_date is None:
            errors.setdefault("delivery_date", N_("七日无理由退货须填写收货日期"))
        elif (today - delivery_date).days > RETURN_WINDOW_DAYS:
            errors["delivery_date"] = N_("收货已超过7日，不适用七日无理由退货")
        category = _text(raw, "goods_category")
        if category not in GOODS_CATEGORIES:
            errors["goods_category"] = N_("请选择商品类别")
        elif category != RETURNABLE_CATEGORY:
            errors["goods_category"] = N_("该类商品不适用七日无理由退货")
        if not _flag(raw, "goods_intact") or raw.get("goods_intact") is None:
            errors["goods_intact"] = N_("商品须完好方可无理由退货")

    co_complainants = _parties(raw, errors)
    representative = _flag(raw, "complainant_representative")
    if representative + sum(p.representative for p in co_complainants) > MAX_REPRESENTATIVES:
        errors["co_complainants"] = Message("最多推选%(count)s名代表", count=MAX_REPRESENTATIVES)

    report = None
    if raw.get("also_report") is not None and _flag(raw, "also_report"):
        violation = _text(raw, "violation_type")
        if violation not in violation_types:
            errors["violation_type"] = N_("请选择违法行为类型")
        report_facts = text("report_facts", FACTS_MAX, True, min_length=FACTS_MIN)
        report = ReportInput(violation_type=violation, facts=report_facts)

    notify_sms, notify_email = _flag(raw, "notify_sms"), _flag(raw, "notify_email")
    if not notify_sms and not (notify_email and email):
        errors["notify_sms"] = N_("请至少选择短信或邮件一种通知方式")
    goods_category, problem_nature = _classified(raw, product, facts, classification, errors)

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
        harm_date=harm_date,
        delivery_date=delivery_date,
        co_complainants=co_complainants,
        representative=representative,
        report=report,
        goods_category=goods_category,
        problem_nature=problem_nature,
    )


def _classified(
    raw: Mapping[str, Any],
    product: str,
    facts: str,
    classification: Classification | None,
    errors: dict[str, str],
) -> tuple[str | None, str | None]:
    """The category (form and API field `category`: the seven-day return's `goods_category`
    says which kind of goods it is) and the nature of the problem a complaint gives, checked
    against the classification; what it leaves out, suggested from its product and facts."""
    if classification is None:  # a caller that does not classify
        return None, None
    # A code, or the published name (12315 transfers name the category in words).
    category = classification.code_for(_text(raw, "category")) or None
    nature = classification.code_for(_text(raw, "problem_nature")) or None
    problems = classification.check(category, nature)
    if "goods_category" in problems:
        errors["category"] = N_("不是可选的商品或服务类别")
    if "problem_nature" in problems:
        errors["problem_nature"] = N_("不是可选的问题性质")
    suggested_category, suggested_nature = classification.suggest(product, facts)
    return category or suggested_category, nature or suggested_nature


def _parties(raw: Mapping[str, Any], errors: dict[str, str]) -> tuple[PartyInput, ...]:
    """Co-complainants: a JSON list `co_complainants`, or the form's numbered fields
    party_name_1, party_phone_1, party_address_1, party_representative_1, party_consent_1."""
    listed = raw.get("co_complainants")
    entries: Mapping[str, Any]
    if isinstance(listed, list):
        rows = [r if isinstance(r, Mapping) else {} for r in listed]
        keyed = [{f"party_{k}_{i}": v for k, v in r.items()} for i, r in enumerate(rows, 1)]
        entries = {k: v for row in keyed for k, v in row.items()}
        count = len(rows)
    else:
        entries, count = raw, MAX_CO_COMPLAINANTS
    parties = []
    for i in range(1, count + 1):
        name = _text(entries, f"party_name_{i}")
        phone = _text(entries, f"party_phone_{i}")
        address = _text(entries, f"party_address_{i}")
        if not (name or phone or address):
            continue
        if i > MAX_CO_COMPLAINANTS:
            errors["co_complainants"] = Message(
                "最多%(count)s名共同投诉人", count=MAX_CO_COMPLAINANTS
            )
            break
        if not name or len(name) > 50:
            errors[f"party_name_{i}"] = N_("必填，不超过50字")
        if not address or len(address) > 300:
            errors[f"party_address_{i}"] = N_("必填，不超过300字")
        try:
            phone = parse_phone(phone)
        except ValueError as exc:
            errors[f"party_phone_{i}"] = str(exc)
        consent = entries.get(f"party_consent_{i}")
        if consent is None or not _flag(entries, f"party_consent_{i}"):
            errors[f"party_consent_{i}"] = N_("须经本人同意共同投诉")
        parties.append(
            PartyInput(
                name,
                phone,
                address,
                entries.get(f"party_representative_{i}") is not None
                and _flag(entries, f"party_representative_{i}"),
            )
        )
    return tuple(parties)


def parse_report(
    raw: Mapping[str, Any], violation_types: Mapping[str, Any], today: date | None = None
) -> ComplaintInput:
    """A report (举报) on its own: the reporter may stay anonymous (no name and phone)."""
    errors = control_character_errors(raw)
    name, phone, address = (
        _text(raw, k) for k in ("reporter_name", "reporter_phone", "reporter_address")
    )
    if phone:
        try:
            phone = parse_phone(phone)
        except ValueError as exc:
            errors["reporter_phone"] = str(exc)
        if not name:
            errors["reporter_name"] = N_("留电话的举报人须留姓名")
    elif name:
        errors["reporter_phone"] = N_("实名举报须留电话以便告知处理结果")
    respondent = _text(raw, "respondent_name")
    if not respondent or len(respondent) > 200:
        errors["respondent_name"] = N_("必填，不超过200字")
    respondent_uscc = None
    if raw_uscc := _text(raw, "respondent_uscc"):
        try:
            respondent_uscc = uscc.validate(raw_uscc.upper())
        except StdnumError:
            errors["respondent_uscc"] = N_("统一社会信用代码无效")
    violation = _text(raw, "violation_type")
    if violation not in violation_types:
        errors["violation_type"] = N_("请选择违法行为类型")
    facts = _text(raw, "report_facts")
    if not FACTS_MIN <= len(facts) <= FACTS_MAX:
        errors["report_facts"] = Message("%(least)s至%(most)s字", least=FACTS_MIN, most=FACTS_MAX)
    if len(name) > 50 or len(address) > 300:
        errors["reporter_address" if len(address) > 300 else "reporter_name"] = N_("过长")
    if errors:
        raise InvalidData(errors)
    return ComplaintInput(
        complainant_name=name or "匿名举报人",
        complainant_phone=phone,
        complainant_address=address,
        complainant_email=None,
        respondent_id=None,
        respondent_name=respondent,
        respondent_uscc=respondent_uscc,
        respondent_address=_text(raw, "respondent_address")[:300],
        product="",
        purchase_date=None,
        amount=None,
        order_number=None,
        claim_type="report",
        facts=facts,
        notify_sms=bool(phone),
        notify_email=False,
        report=ReportInput(violation_type=violation, facts=facts),
    )
