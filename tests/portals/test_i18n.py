"""Chinese first, English on a switch: the cookie, the pages, and a complete English catalog."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir

from odr.portals.i18n import COOKIE, LOCALES_DIR, translations
from odr.portals.templating import PORTALS_DIR


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
