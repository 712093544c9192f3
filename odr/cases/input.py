"""What the case service takes as a new complaint: plain data, whichever channel parsed it
(odr/intake/complaint.py parses forms and JSON into these)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

# The claim type (and track) of a seven-day no-reason return (七日无理由退货).
SEVEN_DAY_RETURN = "seven_day_return"
# Added after the first cases were filed: left out of a complaint's content while empty, so
# the digests of complaints filed before them stay what they were.
CLASSIFICATION_FIELDS = ("goods_category", "problem_nature")


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
    # When the consumer knew of the harm (defaults to the purchase date): the 3-year limit.
    harm_date: date | None = None
    delivery_date: date | None = None  # seven-day return
    co_complainants: tuple[PartyInput, ...] = ()
    representative: bool = True  # the filer represents the joint complaint
    report: ReportInput | None = None
    # How the complaint is counted (workflows/classification.yaml codes): the consumer's or the
    # sender's choice, else suggested from the product and facts; the regulator confirms them.
    goods_category: str | None = None
    problem_nature: str | None = None

    def time_barred(self, received: date) -> bool:
        """More than 3 years since the consumer knew of the harm: a ground for not accepting."""
        known = self.harm_date or self.purchase_date
        return known is not None and known < years_before(received, 3)

    def content(self) -> dict[str, Any]:
        """The complaint as JSON-able data (its digest goes into the first event's hash)."""
        return {
            name: (str(v) if isinstance(v, date | Decimal) else v)
            for name, v in self.__dict__.items()
            if v is not None or name not in CLASSIFICATION_FIELDS
        }


@dataclass(frozen=True)
class PartyInput:
    """A co-complainant of a joint complaint."""

    name: str
    phone: str
    address: str
    representative: bool


@dataclass(frozen=True)
class ReportInput:
    """A report (举报) filed with the complaint."""

    violation_type: str
    facts: str


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
