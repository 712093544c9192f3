"""parse_phone's shortcut for plain CN mobile numbers gives what phonenumbers gives."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odr.intake.complaint import parse_phone


def _by_phonenumbers(value: str) -> str | None:
    try:
        parsed = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _ours(value: str) -> str | None:
    try:
        return parse_phone(value)
    except ValueError:
        return None


# No deadline: the first call loads phonenumbers metadata, slow on a busy machine.
@settings(max_examples=3000, derandomize=True, deadline=None)
@given(st.from_regex(r"\A1[0-9]{10}\Z"))
def test_eleven_digit_numbers_as_phonenumbers_reads_them(value: str) -> None:
    assert _ours(value) == _by_phonenumbers(value)


@pytest.mark.parametrize(
    "value",
    ["13600000001", "+86 136 0000 0001", "0771-5551234", "12345", "1360000000１", "19912345678"],
)
def test_other_forms_as_phonenumbers_reads_them(value: str) -> None:
    assert _ours(value) == _by_phonenumbers(value)
