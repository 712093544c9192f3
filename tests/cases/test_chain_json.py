"""The JSON the hash chain covers is the standard library's, written faster (odr/cases/chain.py):
every chain hashed before keeps verifying."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from odr.cases.chain import canonical_json

STANDARD = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
# What events and complaints hold: text (any character a form or an import can carry, control
# characters and quotes included), whole numbers, truth values, null, lists, maps by text.
TEXT = st.text(st.characters(exclude_categories=["Cs"]))  # lone surrogates are no UTF-8
PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


@given(PLAIN)
def test_the_same_json_as_the_standard_library(value: object) -> None:
    assert canonical_json(value) == STANDARD.encode(value)


def test_a_real_event_and_keys_that_are_not_text() -> None:
    event = {
        "case": "ODR26120512345678",
        "seq": 2,
        "actor": ["system", None, "系统 / System"],
        "payload": {"理由": '引号" 反斜杠\\ 换行\n \x01 \u2028', "zero": 0, "ok": True},
        "prev": "",
    }
    assert canonical_json(event) == STANDARD.encode(event)
    # msgspec refuses numeric keys; the standard library writes them as text, sorted as numbers.
    assert canonical_json({10: "b", 2: "a"}) == '{"2":"a","10":"b"}'
