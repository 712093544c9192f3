"""Text a person reads: Chinese first, English from the gettext catalogues (one path for both).

Code writes Chinese, which is the message id, and never picks a language: `N_("必填")` marks a
constant for the catalogues, and `Message("不超过%(count)s字", count=200)` is a message with
values. Both are `str` holding the Chinese text, so logs, tests and code that only pass them on
read Chinese. A face (odr/portals/i18n.py) translates them for its reader through the catalogues
`odr/portals/locales/<lang>/LC_MESSAGES/*.po`; a test there checks that every message marked
in the code and the templates has its English.

Labels of data files (workflows/*.yaml: states, triggers, lists) are data an operator edits in
both languages at once: they stay {zh, en} maps in the files.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DEFAULT = "zh-CN"
LOCALES_DIR = Path(__file__).resolve().parent / "portals" / "locales"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention, which extraction looks for
    """A message for the catalogues, as it is (translated where it is shown)."""
    return message


class Message(str):
    """A message with values: the Chinese text filled in; `id` and `values` for a face to
    translate it."""

    id: str
    values: dict[str, Any]

    def __new__(cls, id: str, **values: Any) -> Message:  # noqa: A002 - gettext's word
        text = super().__new__(cls, id % values if values else id)
        text.id, text.values = id, values
        return text

    def __reduce__(self) -> tuple[Any, ...]:  # pickles (the demo's worker processes) as itself
        return (_message, (self.id, self.values))


def _message(id: str, values: dict[str, Any]) -> Message:  # noqa: A002
    return Message(id, **values)


# What a face can put in its reader's language: a message of the code, or a data file's label.
Label = str | Mapping[str, str]


@cache
def translations(lang: str) -> NullTranslations:
    """The merged catalogs of a language (none for Chinese: the message ids are Chinese)."""
    files = sorted((LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po"))
    if not files:
        return NullTranslations()
    merged = Catalog(locale=lang.replace("-", "_"))
    for po in files:
        with po.open("rb") as fp:
            for message in read_po(fp, locale=lang):
                if message.id and message.string:
                    merged[message.id] = message
    compiled = BytesIO()
    write_mo(compiled, merged)
    compiled.seek(0)
    return Translations(compiled)


def translate(text: Label | None, lang: str) -> str:
    """Text in a language: a message of the code through the catalogues, or a data file's
    {zh, en} label by its key."""
    if not text:
        return ""
    if isinstance(text, Mapping):
        if lang == "en":
            return text.get("en") or text.get("zh", "")
        return text.get("zh") or text.get("en", "")
    found = translations(lang).gettext
    if isinstance(text, Message):
        return found(text.id) % text.values
    return found(str(text))


def pair(text: Label | None) -> dict[str, str]:
    """{zh, en}: for a JSON API's client, who has no language switch."""
    return {"zh": translate(text, DEFAULT), "en": translate(text, "en")}


def both(text: Label | None) -> str:
    """ "中文 / English", for a reader whose language is not known (an API's client, a log)."""
    zh, en = translate(text, DEFAULT), translate(text, "en")
    return zh if zh == en else f"{zh} / {en}"
