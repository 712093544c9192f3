"""The complaint form's one-time token: a form sent twice files one case, and files chosen
before a failed submit are kept for the next.

The token is made when the form is rendered and travels in it as a hidden field. The receipt of
the complaint it filed is kept a day under a hash of the token, sealed with a key derived from
the token: whoever reads the table (or a backup of it) learns no access code, and only the
browser that sent the form can have its receipt again. Files chosen with a form that came back
with errors are held (odr/cases/evidence.py) under the same hash, for the same day.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeGuard, cast

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import CursorResult, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from odr.cases.evidence import purge_held
from odr.intake.models import FormReceipt

# What a form keeps for its token: its receipt, its held files.
KEPT_FOR = timedelta(days=1)
TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Receipt:
    """What the consumer is shown once a form is filed: case number and access code (and the
    report's, when one was filed with it), or the open case a repeat joined."""

    numbers: list[str]
    duplicate: bool = False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def is_token(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and TOKEN.match(value) is not None


def token_id(token: str) -> str:
    """Where a token's receipt and files are kept: a hash, so the token is never stored."""
    return hashlib.sha256(b"odr form token\0" + token.encode()).hexdigest()


def _sealer(token: str) -> Fernet:
    key = hashlib.sha256(b"odr form receipt\0" + token.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def receipt_of(session: Session, token: str) -> Receipt | None:
    """The receipt of the complaint this token's form filed, if it filed one."""
    row = session.get(FormReceipt, token_id(token))
    if row is None:
        return None
    try:
        opened = json.loads(_sealer(token).decrypt(row.sealed.encode()))
    except InvalidToken:
        return None
    return Receipt(numbers=list(opened["numbers"]), duplicate=bool(opened["duplicate"]))


def keep_receipt(session: Session, token: str, receipt: Receipt, now: datetime) -> Receipt:
    """Record the receipt of the complaint just filed in this transaction, and return what
    to show: this receipt, or the first one when the same form was filed meanwhile by another
    request (its transaction is then undone: the caller's case with it)."""
    sealed = _sealer(token).encrypt(
        json.dumps({"numbers": receipt.numbers, "duplicate": receipt.duplicate}).encode()
    )
    session.add(FormReceipt(token_id=token_id(token), sealed=sealed.decode(), created_at=now))
    try:
        # The token's row is unique: a second request with it waits here for the first to
        # commit (PostgreSQL; SQLite's writers take turns before they read), then fails.
        session.flush()
    except IntegrityError:
        session.rollback()
        first = receipt_of(session, token)
        if first is None:
            raise
        return first
    return receipt


def forget_expired(factory: sessionmaker[Session], evidence_dir: Path, now: datetime) -> int:
    """Drop receipts and held files older than a day (a background job); how many went."""
    with factory() as session, session.begin():
        gone = cast(
            CursorResult[Any],
            session.execute(delete(FormReceipt).where(FormReceipt.created_at < now - KEPT_FOR)),
        ).rowcount
    return (gone or 0) + purge_held(evidence_dir, now - KEPT_FOR)
