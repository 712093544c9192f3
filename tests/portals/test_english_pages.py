"""An English page speaks English: walked in English, the pages of every portal show no Chinese
character outside user data (names, addresses, complaint text, business and office names),
which every template isolates in its own element (`<bdi>` or `dir="auto"`; `data-user` in SVG,
which has neither), or text marked as another language (`lang`, the language switch)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")
# Elements whose text is the reader's or another party's own: shown as typed.
USER_DATA = {"bdi", "textarea", "script", "style"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Visible(HTMLParser):
    """The text a reader sees outside user data, with where it stands."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.found: list[str] = []

    def _inside_user_data(self) -> bool:
        return any(user for _, user in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag in VOID:
            for name in ("placeholder", "title", "aria-label", "alt"):
                if named.get(name) and not self._inside_user_data():
                    self._check(named[name] or "", f"<{tag} {name}>")
            return
        user = (
            tag in USER_DATA
            or named.get("dir") == "auto"
            or "data-user" in named
            or not (named.get("lang") or "en").startswith("en")  # a language's own name
        )
        self.stack.append((tag, user))
        for name in ("title", "aria-label", "alt", "placeholder"):
            if named.get(name) and not self._inside_user_data():
                self._check(named[name] or "", f"<{tag} {name}>")

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self._inside_user_data():
            where = "/".join(tag for tag, _ in self.stack[-3:])
            self._check(data, where)

    def _check(self, text: str, where: str) -> None:
        if CJK.search(text):
            self.found.append(f"{where}: {text.strip()[:80]!r}")


def chinese_outside_user_data(html: str) -> list[str]:
    parser = Visible()
    parser.feed(html)
    return parser.found


def english(client) -> None:  # type: ignore[no-untyped-def]
    client.client.cookies.set("odr_lang", "en")


def test_the_checker_sees_chinese_and_spares_user_data():
    assert chinese_outside_user_data("<p>投诉 <bdi>张三</bdi></p>") == ["p: '投诉'"]
    assert chinese_outside_user_data('<p>Name: <span dir="auto">张三</span></p>') == []
    assert chinese_outside_user_data('<input placeholder="请输入">') == [
        "<input placeholder>: '请输入'"
    ]


def test_every_portal_page_in_english_shows_no_chinese(
    client, other_client, demo_logins, file_complaint
):  # type: ignore[no-untyped-def]
    number, code = file_complaint()
    english(client)
    english(other_client)
    pages: dict[str, str] = {}

    def visit(browser, url: str) -> None:  # type: ignore[no-untyped-def]
        response = browser.get(url)
        assert response.status_code == 200, (url, response.text[:300])
        pages[url] = response.text

    for url in (
        "/",
        "/report",
        "/track",
        f"/track/{number}",
        "/enterprise/login",
        "/regulator/login",
    ):
        visit(client, url)
    refused = client.post("/", {"complainant_phone": "12", "facts": "短"})  # the form's errors
    assert refused.status_code == 400
    pages["POST / (refused)"] = refused.text
    other_client.post("/track", {"number": number, "access_code": code})
    visit(other_client, f"/track/{number}")

    client.login("enterprise", "meituan", demo_logins["meituan"])
    for url in (
        "/enterprise",
        f"/enterprise/cases/{number}",
        "/enterprise/notifications",
        "/enterprise/settings",
        "/enterprise/scorecard",
        "/enterprise/users",
    ):
        visit(client, url)
    client.post("/logout")
    client.login("regulator", "reg450100", demo_logins["reg450100"])
    for url in (
        "/regulator",
        "/regulator/dashboard",
        "/regulator/enterprises",
        "/regulator/dead-letters",
        "/regulator/clusters",
        "/regulator/notifications",
        f"/regulator/cases/{number}",
        "/regulator?queue=all",
    ):
        visit(client, url)
    problems = {
        url: found for url, html in pages.items() if (found := chinese_outside_user_data(html))
    }
    assert not problems, problems
