"""Passwords (argon2), login with lockout, and the Actor a logged-in user acts as."""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.auth.models import User
from odr.errors import InvalidData, LoginFailed
from odr.offices.service import supervised_ids
from odr.text import N_, Message

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
USERNAME = re.compile(r"[A-Za-z0-9._-]{3,40}")
_hasher = PasswordHasher()
# Verified when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("odr-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def session_stamp(user: User) -> str:
    """What a login session keeps of the password: it changes with every change or reset of the
    password, so the sessions opened before one end (the argon2 hash is salted afresh each time)."""
    return hashlib.blake2b(user.password_hash.encode(), digest_size=12).hexdigest()


def authenticate(session: Session, username: str, password: str, role: str, now: datetime) -> User:
    """The user with this name and password in this portal; counts failures and locks."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or user.role != role or not user.active:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        raise LoginFailed(N_("用户名或密码错误"))
    if user.locked_until is not None and user.locked_until > now:
        raise LoginFailed(N_("登录失败次数过多，请15分钟后再试"))
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
        raise LoginFailed(N_("用户名或密码错误")) from None
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


# --- An enterprise's users, managed by its manager ---------------------------------------------

MIN_PASSWORD_LENGTH = 10
ENTERPRISE_ROLES = ("agent", "manager")  # 客服专员, 管理员: a manager is a user with is_admin


def new_password() -> str:
    """A random initial or reset password (shown once to the manager)."""
    return secrets.token_urlsafe(12)


def enterprise_users(session: Session, enterprise_id: int) -> list[User]:
    """The enterprise's users, managers first, then by user name."""
    statement = select(User).where(User.role == "enterprise", User.enterprise_id == enterprise_id)
    return list(session.scalars(statement.order_by(User.is_admin.desc(), User.username)))


def enterprise_user(session: Session, enterprise_id: int, user_id: int) -> User | None:
    """One user of this enterprise; None for another enterprise's (as for a missing one)."""
    user = session.get(User, user_id)
    if user is None or user.role != "enterprise" or user.enterprise_id != enterprise_id:
        return None
    return user


def create_enterprise_user(
    session: Session, enterprise_id: int, username: str, display_name: str, role: str
) -> tuple[User, str]:
    """A new agent or manager with a random password; the user and the password (shown once)."""
    username, display_name = username.strip(), display_name.strip()
    errors = {}
    if not USERNAME.fullmatch(username):
        errors["username"] = N_("3至40位字母、数字、点、横线或下划线")
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = N_("该用户名已被使用")
    if not display_name or len(display_name) > 100:
        errors["display_name"] = "请填写姓名或称呼（最多100字）/ a name, at most 100 characters"
    if role not in ENTERPRISE_ROLES:
        errors["role"] = N_("请选择角色")
    if errors:
        raise InvalidData(errors)
    password = new_password()
    user = User(
        username=username,
        password_hash=hash_password(password),
        display_name=display_name,
        role="enterprise",
        enterprise_id=enterprise_id,
        is_admin=role == "manager",
    )
    session.add(user)
    session.flush()
    return user, password


def reset_password(user: User) -> str:
    """A new random password for the user (shown once), which also lifts a lockout."""
    password = new_password()
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    return password


def unlock(user: User) -> None:
    """Lift a lockout after repeated failures."""
    user.failed_logins, user.locked_until = 0, None


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def change_password(user: User, current: str, new: str, confirm: str) -> None:
    """Set the user's own password after checking the current one (InvalidData names the field)."""
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise InvalidData({"current_password": N_("当前密码不正确")}) from None
    if len(new) < MIN_PASSWORD_LENGTH:
        raise InvalidData(
            {"new_password": Message("新密码至少%(count)s位", count=MIN_PASSWORD_LENGTH)}
        )
    if new in (current, user.username):
        raise InvalidData({"new_password": N_("不能与当前密码或用户名相同")})
    if new != confirm:
        raise InvalidData({"confirm_password": N_("两次输入不一致")})
    user.password_hash = hash_password(new)
