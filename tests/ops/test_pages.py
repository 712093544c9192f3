"""The pages of odr/ops have their English (the portals' i18n test looks only in odr/portals)."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir

from odr.ops.pages import TEMPLATES
from odr.portals.i18n import translations


def test_every_marked_message_of_ops_has_english():
    english = translations("en")
    messages = [
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(TEMPLATES),
            method_map=[("**.html", "jinja2")],
            options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
        )
    ]
    assert len(messages) >= 4
    missing = [m for m in messages if english.gettext(m) == m]
    assert not missing, f"add to odr/portals/locales/en/LC_MESSAGES/ops.po: {missing}"
