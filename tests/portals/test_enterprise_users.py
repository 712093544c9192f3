"""An enterprise's users: a manager creates agents and managers, resets, unlocks, deactivates;
an agent cannot; another enterprise's users stay invisible; everyone changes their own password."""

from __future__ import annotations

import re
import uuid

import pytest
from litestar.testing import TestClient
from sqlalchemy import delete, select
from web_client import Browser

from odr.auth.models import User
from odr.auth.service import MAX_FAILED_LOGINS
from odr.db.engine import transaction

SHOWN = re.compile(r'id="shown-password">([^<]+)<')


@pytest.fixture
def name(factory):  # type: ignore[no-untyped-def]
    """A fresh user name per test; the users made with it are deleted afterwards."""
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    yield lambda suffix="": f"{prefix}{suffix}"
    with transaction(factory) as session:
        session.execute(delete(User).where(User.username.like(f"{prefix}%")))


@pytest.fixture
def manager(client, demo_logins):  # type: ignore[no-untyped-def]
    client.login("enterprise", "meituan", demo_logins["meituan"])
    return client


def create(manager, username: str, role: str = "agent", display_name: str = "客服小王") -> str:  # type: ignore[no-untyped-def]
    """Create a user on the manager's page; the initial password the page shows once."""
    page = manager.post(
        "/enterprise/users", {"username": username, "display_name": display_name, "role": role}
    )
    assert page.status_code == 200, page.text[:500]
    return SHOWN.search(page.text).group(1)


def user_id(factory, username: str) -> int:  # type: ignore[no-untyped-def]
    with factory() as session:
        return session.scalar(select(User.id).where(User.username == username))


def login_status(browser, username: str, password: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    response = browser.post("/enterprise/login", {"username": username, "password": password})
    return response.status_code, response.text


def test_manager_creates_an_agent_who_logs_in_and_is_kept_out_of_users(
    manager, other_client, factory, name
):
    password = create(manager, name("a"), display_name="<b>王</b>")
    page = manager.get("/enterprise/users").text
    assert name("a") in page and password not in page  # the password is shown once
    assert "&lt;b&gt;王&lt;/b&gt;" in page and "<b>王</b>" not in page
    with factory() as session:
        agent = session.scalar(select(User).where(User.username == name("a")))
        assert agent.enterprise_role == "agent" and not agent.is_admin
        assert agent.password_hash.startswith("$argon2") and password not in agent.password_hash

    other_client.login("enterprise", name("a"), password)
    inbox = other_client.get("/enterprise").text
    assert 'href="/enterprise/users"' not in inbox and 'href="/enterprise/settings"' not in inbox
    denied = other_client.get("/enterprise/users")
    assert denied.status_code == 403
    assert "无权访问" in denied.text and "<html" in denied.text  # a page, not a stack trace
    assert other_client.post("/enterprise/users", {"username": name("x")}).status_code == 403
    assert user_id(factory, name("x")) is None


def test_a_new_manager_can_manage_users(manager, other_client, name):
    password = create(manager, name("m"), role="manager")
    other_client.login("enterprise", name("m"), password)
    page = other_client.get("/enterprise/users")
    assert page.status_code == 200 and "meituan" in page.text


def test_creation_errors_keep_the_form(manager, name):
    create(manager, name("a"))
    taken = manager.post(
        "/enterprise/users", {"username": name("a"), "display_name": "另一位", "role": "agent"}
    )
    assert taken.status_code == 400 and "该用户名已被使用" in taken.text
    assert 'value="另一位"' in taken.text
    bad = manager.post("/enterprise/users", {"username": "a b", "display_name": "", "role": "boss"})
    assert bad.status_code == 400
    assert "请填写姓名" in bad.text and "请选择角色" in bad.text and "3至40位" in bad.text


def kept_out(browser) -> bool:  # type: ignore[no-untyped-def]
    response = browser.get("/enterprise", follow_redirects=False)
    return response.status_code == 303 and "/enterprise/login" in response.headers["location"]


def test_reset_password_replaces_the_old_one_and_ends_its_sessions(
    manager, other_client, factory, name
):
    old = create(manager, name("a"))
    other_client.login("enterprise", name("a"), old)
    assert not kept_out(other_client)
    page = manager.post(f"/enterprise/users/{user_id(factory, name('a'))}/reset-password", {})
    new = SHOWN.search(page.text).group(1)
    assert new != old
    assert kept_out(other_client)  # a stolen session ends with the reset
    assert login_status(other_client, name("a"), old)[0] == 400
    other_client.login("enterprise", name("a"), new)
    assert not kept_out(other_client)
    assert not kept_out(manager)  # the manager's own session goes on


def test_lockout_after_repeated_failures_and_the_manager_unlocks(
    manager, other_client, factory, name
):
    password = create(manager, name("a"))
    for _ in range(MAX_FAILED_LOGINS):
        assert login_status(other_client, name("a"), "wrong-password")[0] == 400
    status, text = login_status(other_client, name("a"), password)
    assert status == 400 and "登录失败次数过多" in text  # locked: the right password fails too
    page = manager.get("/enterprise/users").text
    assert "已锁定至" in page and f"/enterprise/users/{user_id(factory, name('a'))}/unlock" in page
    unlocked = manager.post(f"/enterprise/users/{user_id(factory, name('a'))}/unlock", {})
    assert unlocked.status_code == 200 and "已锁定至" not in unlocked.text
    other_client.login("enterprise", name("a"), password)


def test_deactivated_user_cannot_log_in_and_loses_the_session(manager, other_client, factory, name):
    password = create(manager, name("a"))
    other_client.login("enterprise", name("a"), password)
    uid = user_id(factory, name("a"))
    page = manager.post(f"/enterprise/users/{uid}/deactivate", {})
    assert page.status_code == 200 and "已停用" in page.text
    kept_out = other_client.get("/enterprise", follow_redirects=False)
    assert kept_out.status_code == 303 and "/enterprise/login" in kept_out.headers["location"]
    assert login_status(other_client, name("a"), password)[0] == 400
    manager.post(f"/enterprise/users/{uid}/reactivate", {})
    other_client.login("enterprise", name("a"), password)


def test_a_manager_cannot_deactivate_themselves(manager, factory):
    me = user_id(factory, "meituan")
    refused = manager.post(f"/enterprise/users/{me}/deactivate", {})
    assert refused.status_code == 400 and "不能停用自己的账号" in refused.text
    with factory() as session:
        assert session.get(User, me).active


def test_another_enterprises_users_are_invisible(manager, other_client, demo_logins, name):
    create(manager, name("a"))
    other_client.login("enterprise", "duoduo", demo_logins["duoduo"])
    listing = other_client.get("/enterprise/users").text
    assert name("a") not in listing and "meituan" not in listing
    with_id = manager.get("/enterprise/users").text
    meituan_agent = re.search(
        r'id="user-(\d+)">\s*<td[^>]*>' + re.escape(name("a")), with_id
    ).group(1)
    for action in ("reset-password", "unlock", "deactivate", "reactivate"):
        response = other_client.post(f"/enterprise/users/{meituan_agent}/{action}", {})
        assert response.status_code == 404, action
    assert other_client.post("/enterprise/users/999999/unlock", {}).status_code == 404


def test_a_user_changes_their_own_password(manager, other_client, app, name):
    password = create(manager, name("a"))
    other_client.login("enterprise", name("a"), password)
    assert other_client.get("/enterprise/password").status_code == 200
    wrong = other_client.post(
        "/enterprise/password",
        {"current_password": "nope", "new_password": "x" * 12, "confirm_password": "x" * 12},
    )
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.text
    short = other_client.post(
        "/enterprise/password",
        {"current_password": password, "new_password": "short", "confirm_password": "short"},
    )
    assert short.status_code == 400 and "新密码至少10位" in short.text
    differ = other_client.post(
        "/enterprise/password",
        {"current_password": password, "new_password": "a" * 12, "confirm_password": "b" * 12},
    )
    assert differ.status_code == 400 and "两次输入不一致" in differ.text
    with TestClient(app, base_url="http://127.0.0.1") as elsewhere:  # the user's other device
        phone = Browser(elsewhere)
        phone.login("enterprise", name("a"), password)
        done = other_client.post(
            "/enterprise/password",
            {
                "current_password": password,
                "new_password": "荔枝-lychee-2026",
                "confirm_password": "荔枝-lychee-2026",
            },
        )
        assert done.status_code == 200 and 'id="password-changed"' in done.text
        assert kept_out(phone)  # a new password ends the user's other sessions
    assert not kept_out(other_client)  # the one that changed it goes on
    other_client.post("/logout", {})
    assert login_status(other_client, name("a"), password)[0] == 400
    other_client.login("enterprise", name("a"), "荔枝-lychee-2026")


def test_forms_without_the_csrf_token_are_refused(manager, name):
    response = manager.client.post(
        "/enterprise/users", data={"username": name("a"), "display_name": "x", "role": "agent"}
    )
    assert response.status_code == 403
    assert manager.client.get("/enterprise/users").text.count(name("a")) == 0


def test_every_form_on_the_users_page_carries_the_csrf_token(manager, name):
    create(manager, name("a"))
    page = manager.get("/enterprise/users").text
    forms = re.findall(r"<form method=\"post\".*?</form>", page, flags=re.S)
    assert len(forms) >= 3
    assert all('name="_csrf_token"' in form for form in forms)


def test_pages_in_english(manager):
    manager.get("/lang/en")
    page = manager.get("/enterprise/users").text
    assert "Users and roles" in page and "Add a user" in page and "用户与角色" not in page
    assert "Change password" in manager.get("/enterprise/password").text
    assert "Notification recipients" in manager.get("/enterprise/settings").text
