"""Finding enterprises: suggestions for the complaint form, and matching a named respondent."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from odr.enterprises.models import ApiToken, Enterprise
from odr.errors import InvalidData
from odr.text import N_


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
        .where(Enterprise.record_status != "merged")  # it stands for another business now
        .order_by((Enterprise.odr_status == "active").desc(), Enterprise.name)
        .limit(limit)
    )
    return list(session.scalars(statement))


def _current(session: Session, found: Enterprise | None) -> Enterprise | None:
    """The business a record stands for: a merged record's target (merges may chain)."""
    seen: set[int] = set()
    while found is not None and found.merged_into_id is not None and found.id not in seen:
        seen.add(found.id)
        found = session.get(Enterprise, found.merged_into_id)
    return found


def match_respondent(
    session: Session, respondent_id: int | None, name: str, uscc: str | None, address: str = ""
) -> Enterprise | None:
    """The enterprise a complaint names: by id, else by USCC, else by exact name (one business
    odr knows of that name), else a respondent record of that name at that address."""
    if respondent_id is not None:
        found = session.get(Enterprise, respondent_id)
        if found is not None:
            return _current(session, found)
    if uscc:
        found = session.scalar(select(Enterprise).where(Enterprise.uscc == uscc))
        if found is not None:
            return _current(session, found)
    matches = session.scalars(
        select(Enterprise)
        .where(Enterprise.name == name, Enterprise.record_status == "verified")
        .limit(2)
    ).all()
    if len(matches) == 1:
        return matches[0]
    if not address:
        return None
    # Two shops of one name are often two businesses: a record matches only at its address
    # (a merged one stands for the business it was merged into).
    found = session.scalar(
        select(Enterprise)
        .where(
            Enterprise.name == name,
            Enterprise.address == address,
            Enterprise.record_status != "verified",
        )
        .order_by(Enterprise.id)
        .limit(1)
    )
    return _current(session, found)


def set_webhook_url(enterprise: Enterprise, url: str) -> None:
    """Where the enterprise's system receives signed events (empty to stop them)."""
    url = url.strip()
    if url and (
        len(url) > 500 or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc
    ):
        raise InvalidData({"webhook_url": N_("应为 http(s):// 开头的地址")})
    enterprise.webhook_url = url or None


def rotate_webhook_secret(enterprise: Enterprise) -> str:
    """A new signing secret; the old one stops working at once. Shown to the user only now."""
    enterprise.webhook_secret = "whsec_" + secrets.token_urlsafe(32)
    return enterprise.webhook_secret


TOKEN_PREFIX = "odr_"


def _token_hash(token: str) -> str:
    # Tokens carry 256 random bits: a plain SHA-256 is enough to keep them unreadable.
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(session: Session, enterprise_id: int, name: str, now: datetime) -> str:
    """A new token for the enterprise's systems; returned once, stored only as a hash."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidData({"token_name": N_("必填，不超过100字")})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            enterprise_id=enterprise_id,
            name=name,
            prefix=token[:12],
            token_sha256=_token_hash(token),
            created_at=now,
        )
    )
    session.flush()
    return token


def api_tokens(session: Session, enterprise_id: int) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.enterprise_id == enterprise_id).order_by(ApiToken.id)
        )
    )


def revoke_api_token(session: Session, enterprise_id: int, token_id: int, now: datetime) -> None:
    token = session.get(ApiToken, token_id)
    if token is not None and token.enterprise_id == enterprise_id and token.revoked_at is None:
        token.revoked_at = now


def token_enterprise(
    session: Session, token: str, now: datetime
) -> tuple[ApiToken, Enterprise] | None:
    """The live token and its enterprise, for a bearer token (None if unknown or revoked)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    found = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _token_hash(token)))
    if found is None or found.revoked_at is not None:
        return None
    found.last_used_at = now
    return found, session.get_one(Enterprise, found.enterprise_id)
