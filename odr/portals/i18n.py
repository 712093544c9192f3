"""The portals' languages: Chinese first, English on a switch.

Templates write Chinese and mark it for translation, `{{ _("投诉收件箱") }}` (or
`{% trans %}…{% endtrans %}`): the Chinese text is the message id, so a page in Chinese needs no
catalog at all. English comes from the gettext catalogs `locales/en/LC_MESSAGES/*.po` (one file a
portal, merged when loaded; Babel reads them, no compiled `.mo` to keep in step). The reader's
choice is the `odr_lang` cookie, set by `GET /lang/{code}`, which works without JavaScript.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from jinja2 import pass_context
from jinja2.runtime import Context
from litestar import Request, get
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from odr.text import DEFAULT, Label, translate, translations

LANGUAGES = {"zh-CN": "中文", "en": "English"}
COOKIE = "odr_lang"


def language_of(request: Request | None) -> str:
    """The reader's language: the cookie's, else Chinese."""
    if request is None:
        return DEFAULT
    lang = request.cookies.get(COOKIE, DEFAULT)
    return lang if lang in LANGUAGES else DEFAULT


def _lang(context: Context) -> str:
    return context.get("lang") or language_of(context.get("request"))


# Jinja's newstyle gettext wraps these: it fills in %(name)s variables and escapes them.
@pass_context
def gettext(context: Context, message: str) -> str:
    return translations(_lang(context)).gettext(message)


@pass_context
def ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(_lang(context)).ngettext(singular, plural, n)


@pass_context
def localized(context: Context, text: Label | None) -> str:
    """Text of the code or a label of the data in the reader's language (a template filter)."""
    return translate(text, _lang(context))


@pass_context
def current_language(context: Context) -> str:
    return _lang(context)


@get("/lang/{code:str}", include_in_schema=False, sync_to_thread=False)
def switch_language(code: FromPath[str], next: FromQuery[str] = "/") -> Redirect:
    """Remember the reader's language and go back to where they were (on this site only)."""
    target = urlsplit(next)
    back = next if not target.scheme and not target.netloc and next.startswith("/") else "/"
    response = Redirect(back, status_code=303)
    if code in LANGUAGES:
        response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response
