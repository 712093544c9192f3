"""The Jinja environment of the three portals: loaders, and filters for dates and deadlines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import phonenumbers
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from odr.clock import SHANGHAI
from odr.engine.fields import without_bidi_controls
from odr.engine.rules import Rules
from odr.intake.complaint import FACTS_MAX, FACTS_MIN
from odr.portals import i18n

# A case's facts longer than this fold on its page to their first FACTS_PREVIEW characters.
FACTS_FOLD = 1_200
FACTS_PREVIEW = 400

PORTALS_DIR = Path(__file__).resolve().parent


def local_datetime(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def local_date(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d")


def money(amount: Decimal | str | None) -> str:
    if amount in (None, ""):
        return ""
    return f"¥{Decimal(str(amount)):,.2f}"


def phone(number: str | None) -> str:
    """+8613800138000 as a Chinese reader writes it: 138 0013 8000."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def isolated(text: object) -> Markup:
    """Text someone typed, in its own <bdi> and without bidi controls: a U+202E in a name would
    reverse the phone number beside it. Intake strips them; rows stored before may hold them."""
    if text is None or text == "":
        return Markup("")
    return Markup("<bdi>{}</bdi>").format(without_bidi_controls(str(text)))


def office_short(name: str) -> str:
    """南宁市青秀区市场监督管理局 as 南宁市青秀区市场监管局, the short form officials use: it fits
    where the full name was cut to "…市场监督管…"."""
    return name.replace("市场监督管理局", "市场监管局")


def make_environment(rules: Rules) -> Environment:
    loader = ChoiceLoader(
        [
            FileSystemLoader(PORTALS_DIR / "templates"),
            FileSystemLoader(PORTALS_DIR / "consumer" / "templates"),
            FileSystemLoader(PORTALS_DIR / "enterprise" / "templates"),
            FileSystemLoader(PORTALS_DIR / "regulator" / "templates"),
            FileSystemLoader(PORTALS_DIR / "public" / "templates"),
        ]
    )
    env = Environment(
        loader=loader, autoescape=select_autoescape(default=True), extensions=["jinja2.ext.i18n"]
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]  # added by the jinja2.ext.i18n extension
    env.filters.update(
        local_datetime=local_datetime,
        local_date=local_date,
        money=money,
        phone=phone,
        isolated=isolated,
        office_short=office_short,
        localized=i18n.localized,
    )
    env.globals.update(
        calendar=rules.calendar,
        languages=i18n.LANGUAGES,
        current_language=i18n.current_language,
        # One source for the facts' bounds: the forms' minlength/maxlength check what the
        # server checks.
        facts_min=FACTS_MIN,
        facts_max=FACTS_MAX,
        facts_fold=FACTS_FOLD,
        facts_preview=FACTS_PREVIEW,
        claim_type_label=rules.claim_type_label,
    )
    return env
