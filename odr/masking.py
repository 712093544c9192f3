"""Personal data shown in part, where it leaves a case's own page: lists, exports, logs.

A case's handlers see the consumer's phone and address whole on the case page; everywhere else
(the inbox CSV export, the regulator's frequent-complainant list, SMS lines in the console log)
they are masked here, one way. It sits above the packages, beside clock and errors: cases,
notify and the portals all mask, and none of them owns personal data's display.
Access codes are never shown after the receipt: a message that
carries one is logged with the code masked.
"""

from __future__ import annotations

import re

import phonenumbers

# 广西壮族自治区南宁市青秀区… : the divisions down to the county are kept, the street is masked.
_DIVISION = re.compile(r".{1,8}?(?:自治区|特别行政区|自治州|自治县|省|市|盟|州|地区|区|县|旗)")
_MAX_DIVISIONS = 3
MASK = "****"
# What the purge (odr/cases/privacy.py) leaves in place of personal data: shown as it is, since
# masking it again gave "（****" and "（已****", which read as data half hidden.
REDACTED = "（已删除）"
_STORED_PHONE = re.compile(r"(?:\+86)?1\d{10}")
# A whole word of 10 characters of the access-code alphabet (odr/cases/service.py). A word of 10
# capitals ("STRUCTURED") is masked too: better than letting through a code without digits.
_ACCESS_CODE = re.compile(r"(?<![0-9A-Za-z])[2-9A-HJKMNP-Z]{10}(?![0-9A-Za-z])")


def mask_phone(number: str | None) -> str:
    """13800138000 (or +86…) as 138****8000: the first 3 and last 4 digits stay."""
    if not number or number == REDACTED:
        return number or ""
    if _STORED_PHONE.fullmatch(number):  # as intake stores it: no parsing per row
        digits = number.removeprefix("+86")
    else:
        try:
            digits = phonenumbers.national_significant_number(phonenumbers.parse(number, "CN"))
        except phonenumbers.NumberParseException:
            digits = re.sub(r"\D", "", number)
    if len(digits) < 8:
        return MASK
    return digits[:3] + MASK + digits[-4:]


def mask_address(address: str | None) -> str:
    """The province, city and district of an address, the rest masked."""
    if not address or address == REDACTED:
        return address or ""
    kept, position = "", 0
    for _ in range(_MAX_DIVISIONS):
        match = _DIVISION.match(address, position)
        if match is None:
            break
        kept, position = kept + match.group(0), match.end()
    return (kept or address[:2]) + MASK


def mask_name(name: str | None) -> str:
    """张三 as 张*: the family name stays."""
    if not name or name == REDACTED:
        return name or ""
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_access_codes(text: str) -> str:
    """Every access code in a message as its first 2 characters and ****: AB****."""
    return _ACCESS_CODE.sub(lambda found: found.group(0)[:2] + MASK, text)
