"""Passwords (argon2), login with lockout, and the Actor a logged-in user acts as."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.auth.models import User
from odr.offices.service import supervised_ids

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_hasher = PasswordHasher()
# Verified when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("odr-no-such-user")


class LoginFailed(Exception):
    """Wrong name or password, or the account is locked; the message says which to the user."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(session: Session, username: str, password: str, role: str, now: datetime) -> User:
    """The user with this name and password in this portal; counts failures and locks."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or user.role != role or not user.active:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        raise LoginFailed("用户名或密码错误 / wrong user name or password")
    if user.locked_until is not None and user.locked_until > now:
        raise LoginFailed("登录失败次数过多，请15分钟后再试 / too many failures, try again later")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
        raise LoginFailed("用户名或密码错误 / wrong user name or password") from None
    user.failed_logins, user.locked_until = 0, None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def actor_for(session: Session, user: User) -> Actor:
    if user.role == "enterprise":
        return Actor(
            role="enterprise",
            label=f"{user.enterprise.name if user.enterprise else ''} {user.display_name}".strip(),
            user_id=user.id,
            enterprise_id=user.enterprise_id,
            is_admin=user.is_admin,
        )
    return Actor(
        role="regulator",
        label=f"{user.office.name if user.office else ''} {user.display_name}".strip(),
        user_id=user.id,
        office_id=user.office_id,
        office_ids=supervised_ids(session, user.office_id) if user.office_id else frozenset(),
        is_admin=user.is_admin,
    )
