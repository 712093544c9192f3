"""Parsers shared by every validated input (complaint forms, workflow fields): pure functions."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from odr.text import N_

MAX_AMOUNT = Decimal("9999999999.99")
# NUL and other control characters (tab and line breaks are text): PostgreSQL refuses NUL, and
# none of them belongs in a complaint.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_CHARACTERS_ERROR = N_("含有不可见的控制字符")


# Bidirectional embeddings, overrides and isolates (LRE…RLO, LRI…PDI): a U+202E in a name turns
# the phone number and address after it around on a page. No complaint needs them (the page
# isolates each value itself), so intake removes them, silently: they are invisible to the writer.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def has_control_characters(text: str) -> bool:
    return _CONTROL.search(text) is not None


def without_bidi_controls(text: str) -> str:
    return _BIDI_CONTROLS.sub("", text)


def parse_amount(value: object) -> Decimal:
    """A non-negative amount in yuan with at most two decimals; ValueError says what is wrong."""
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except (InvalidOperation, ValueError):
        raise ValueError(N_("应为金额，如 128.50")) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise ValueError(N_("金额须在 0 至 9,999,999,999.99 之间"))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(N_("最多两位小数"))
    return amount.quantize(Decimal("0.01"))
