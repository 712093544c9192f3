"""Finding enterprises: suggestions for the complaint form, and matching a named respondent."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from odr.engine.workflow import InvalidData
from odr.enterprises.models import Enterprise


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(session: Session, query: str, limit: int = 10) -> list[Enterprise]:
    """Enterprises whose name contains the query or whose USCC starts with it, enrolled first."""
    query = query.strip()
    if not query:
        return []
    pattern = _escape_like(query)
    statement = (
        select(Enterprise)
        .where(
            or_(
                Enterprise.name.ilike(f"%{pattern}%", escape="\\"),
                Enterprise.uscc.like(f"{_escape_like(query.upper())}%", escape="\\"),
            )
        )
        .order_by((Enterprise.odr_status == "active").desc(), Enterprise.name)
        .limit(limit)
    )
    return list(session.scalars(statement))


def match_respondent(
    session: Session, respondent_id: int | None, name: str, uscc: str | None
) -> Enterprise | None:
    """The registered enterprise a complaint names: by id, else by USCC, else by exact name."""
    if respondent_id is not None:
        found = session.get(Enterprise, respondent_id)
        if found is not None:
            return found
    if uscc:
        found = session.scalar(select(Enterprise).where(Enterprise.uscc == uscc))
        if found is not None:
            return found
    matches = session.scalars(select(Enterprise).where(Enterprise.name == name).limit(2)).all()
    return matches[0] if len(matches) == 1 else None


def set_webhook_url(enterprise: Enterprise, url: str) -> None:
    """Where the enterprise's system receives signed events (empty to stop them)."""
    url = url.strip()
    if url and (
        len(url) > 500 or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc
    ):
        raise InvalidData({"webhook_url": "应为 http(s):// 开头的地址 / must be an http(s) URL"})
    enterprise.webhook_url = url or None


def rotate_webhook_secret(enterprise: Enterprise) -> str:
    """A new signing secret; the old one stops working at once. Shown to the user only now."""
    enterprise.webhook_secret = "whsec_" + secrets.token_urlsafe(32)
    return enterprise.webhook_secret
