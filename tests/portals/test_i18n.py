"""Chinese first, English on a switch: the cookie, the pages, and a complete English catalog."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from babel.messages.extract import extract_from_dir

import odr
from odr.portals.i18n import COOKIE
from odr.portals.templating import PORTALS_DIR
from odr.text import LOCALES_DIR, N_, Message, both, pair, translate, translations

PACKAGE = Path(odr.__file__).parent


def marked_messages() -> dict[str, str]:
    """Every message the templates mark for translation, with where it first appears."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PORTALS_DIR),
        method_map=[("**/templates/**.html", "jinja2")],
        options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def code_messages() -> dict[str, str]:
    """Every message the code marks (odr/text.py: N_ and Message), with where it appears."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE),
        method_map=[("**/migrations/**", "ignore"), ("**.py", "python")],
        keywords={"N_": None, "Message": (1,)},
    ):
        if re.search("[\u4e00-\u9fff]", message):  # ours are Chinese (another Message is not)
            found.setdefault(message, f"odr/{filename}:{lineno}")
    return found


def test_every_message_of_the_code_has_english():
    english = translations("en")
    found = code_messages()
    assert len(found) > 150  # the extraction sees the code's messages
    missing = {msgid: where for msgid, where in found.items() if english.gettext(msgid) == msgid}
    assert not missing, f"add these to {LOCALES_DIR}/en/LC_MESSAGES/*.po: {missing}"


# Text stored with a case, in both languages, for every later reader: the system's name on its
# events (in the hash chain) and the routing notes (`cases.routing_note`).
STORED = {"auth/actor.py": 1, "routing/service.py": 5}


def test_the_code_has_one_way_to_translate():
    """No "中文 / English" pairs and no {zh, en} maps in the code: messages go through the
    catalogues (the data files' labels, workflows/*.yaml, are data in both languages)."""
    pair_text = re.compile(r'"[^"\n]*[\u4e00-\u9fff][^"\n]* / [A-Za-z][^"\n]*"')
    pair_map = re.compile(r'\{\s*"zh":\s*"[^"]+",\s*"en":')
    found = Counter(
        path.relative_to(PACKAGE).as_posix()
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
        for line in path.read_text(encoding="utf-8").splitlines()
        if (pair_text.search(line) or pair_map.search(line))
        and not line.lstrip().startswith(("#", '"""'))
    )
    assert found == STORED


def test_a_message_is_its_chinese_and_translates_with_its_values():
    message = Message("不超过%(count)s字", count=200)
    assert message == "不超过200字" and isinstance(message, str)
    assert translate(message, "en") == "at most 200 characters"
    assert translate(N_("必填"), "en") == "required"
    assert translate({"zh": "协商中", "en": "Negotiation"}, "en") == "Negotiation"  # data labels
    assert both(message) == "不超过200字 / at most 200 characters"
    assert pair(N_("必填")) == {"zh": "必填", "en": "required"}


def test_every_marked_message_has_english():
    english = translations("en")
    missing = {
        msgid: where
        for msgid, where in marked_messages().items()
        if english.gettext(msgid) == msgid
    }
    assert not missing, f"add these to {LOCALES_DIR}/en/LC_MESSAGES/*.po: {missing}"


def test_switch_sets_cookie_and_returns_to_the_page(client):
    response = client.get("/lang/en?next=/track%3Fnumber%3DX", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/track?number=X"
    assert client.client.cookies[COOKIE] == "en"
    page = client.get("/track")
    assert '<html lang="en">' in page.text
    assert "Online dispute resolution" in page.text


def test_chinese_is_the_default_and_unknown_languages_are_ignored(client):
    page = client.get("/track")
    assert '<html lang="zh-CN">' in page.text
    assert "在线消费纠纷解决" in page.text
    client.get("/lang/xx", follow_redirects=False)
    assert COOKIE not in client.client.cookies


def test_switch_never_leaves_the_site(client):
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.get("/lang/en", params={"next": target}, follow_redirects=False)
        assert response.headers["location"] == "/"
