"""What a clerk types in the search box, read as phrases of the full-text index's words.

Each piece (split on spaces and commas) is one of: a date (2026-12-05, 2026/12/5,
2026年12月5日) meaning the day received or of purchase; four digits, the phone's last four,
which narrows only beside a name or a date (alone it would list a thousandth of all cases);
a phone written +86 138 0013 8000 or 0771-5551234, as its national digits; any other letters
and digits as words that must follow one another (a case number, a 12315 number such as
12315-2026-000123, an order number, a USCC, a whole phone); Chinese as phrases of character bigrams (odr/db/fulltext.py), so 月饼 and 团长 are
found, and 王小明 as 王小 followed by 小明. Every piece must match (AND).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from odr.cases.search_index import PHONE_TAIL, date_word, national_digits, phone_tail_word
from odr.db.fulltext import is_han, phrases, words
from odr.errors import InvalidData

QUERY_MAX = 200
# Problems a query can have, as codes: the portals word them.
PHONE_TAIL_ALONE = "phone_tail_alone"
TOO_SHORT = "too_short"
_PIECES = re.compile(r"[\s,，;；、]+")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
# A phone as people write one: +86 first, or a trunk 0 and an area code with a hyphen.
_PHONE = re.compile(r"\+86[\d\- ]{11,14}|0\d{2,3}-\d{7,8}")


@dataclass(frozen=True)
class SearchQuery:
    text: str  # as typed (trimmed), to show back in the box
    phrases: tuple[tuple[str, ...], ...]  # every one must match

    @property
    def empty(self) -> bool:
        return not self.phrases


def _date(match: re.Match[str]) -> date | None:
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def parse(text: str) -> SearchQuery:
    """The query's phrases; InvalidData({"q": problem}) when it cannot narrow the search."""
    typed = " ".join(text.split())[:QUERY_MAX]
    normal = unicodedata.normalize("NFKC", typed)
    found: list[tuple[str, ...]] = []
    tail = narrowing = False
    for match in _PHONE.finditer(normal):
        found.append((national_digits(match.group(0)),))
        narrowing = True
    normal = _PHONE.sub(" ", normal)
    for match in _DATE.finditer(normal):
        if (day := _date(match)) is not None:
            found.append((date_word(day),))
            narrowing = True
    normal = _DATE.sub(" ", normal)
    for piece in _PIECES.split(normal):
        if piece.isdigit() and len(piece) == PHONE_TAIL:
            found.append((phone_tail_word(piece),))
            tail = True
            continue
        if not is_han(piece):
            # A number written with hyphens or slashes (12315-2026-000123): its words in order.
            pieces = [tuple(words(piece))] if words(piece) else []
        else:
            pieces = [tuple(phrase) for phrase in phrases(piece)]
        for phrase in pieces:
            if len(phrase) == 1 and len(phrase[0]) == 1 and is_han(phrase[0]):
                continue  # a lone Chinese character: the index keeps pairs (see fulltext)
            found.append(phrase)
            narrowing = True
    unique = tuple(dict.fromkeys(found))
    if tail and not narrowing:
        raise InvalidData({"q": PHONE_TAIL_ALONE})
    if typed and not unique:
        raise InvalidData({"q": TOO_SHORT})
    return SearchQuery(typed, unique)
