"""An enterprise manager's settings: the webhook and its secret, who hears of which event."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.auth.web import provide_admin, provide_enterprise_actor
from odr.clock import utcnow
from odr.engine.rules import Rules
from odr.enterprises.models import Enterprise
from odr.enterprises.service import (
    api_tokens,
    create_api_token,
    revoke_api_token,
    rotate_webhook_secret,
    set_webhook_url,
)
from odr.errors import InvalidData
from odr.notify import service as notifications
from odr.notify.catalog import catalog
from odr.portals.forms import UrlForm


class EnterpriseSettingsController(Controller):
    path = "/enterprise/settings"
    dependencies = {
        "actor": Provide(provide_enterprise_actor, sync_to_thread=True),
        "manager": Provide(provide_admin, sync_to_thread=False),
    }

    def _page(
        self,
        session: Session,
        rules: Rules,
        manager: Actor,
        errors: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        new_secret: str | None = None,
        status_code: int = 200,
        new_token: str | None = None,
    ) -> Template:
        enterprise = session.get_one(Enterprise, manager.enterprise_id)
        kinds = catalog(rules.workflows.values())
        return Template(
            "enterprise/settings.html",
            context={
                "actor": manager,
                "enterprise": enterprise,
                "recipients": notifications.recipients(session, manager.enterprise_id or 0),
                "kinds": [k for k in kinds.values() if "enterprise" in k.audiences],
                "errors": errors or {},
                "values": values or {},
                "new_secret": new_secret,
                "new_token": new_token,
                "tokens": api_tokens(session, manager.enterprise_id or 0),
                "unread": notifications.unread_count(session, manager),
            },
            status_code=status_code,
        )

    @get("/", sync_to_thread=True)
    def settings_page(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        manager: NamedDependency[Actor],
    ) -> Template:
        return self._page(db_session, rules, manager)

    @post("/webhook", sync_to_thread=True)
    def save_webhook(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        manager: NamedDependency[Actor],
        data: UrlForm,
    ) -> Template | Redirect:
        enterprise = db_session.get_one(Enterprise, manager.enterprise_id)
        try:
            set_webhook_url(enterprise, str(data.get("webhook_url", "")))
        except InvalidData as exc:
            return self._page(db_session, rules, manager, exc.errors, data, status_code=400)
        new_secret = None
        if enterprise.webhook_url and not enterprise.webhook_secret:
            new_secret = rotate_webhook_secret(enterprise)
            return self._page(db_session, rules, manager, new_secret=new_secret)
        return Redirect("/enterprise/settings", status_code=303)

    @post("/webhook/secret", sync_to_thread=True)
    def new_secret(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        manager: NamedDependency[Actor],
    ) -> Template:
        """Rotate the signing secret; the page shows the new one this once."""
        enterprise = db_session.get_one(Enterprise, manager.enterprise_id)
        secret = rotate_webhook_secret(enterprise)
        return self._page(db_session, rules, manager, new_secret=secret)

    @post("/recipients", sync_to_thread=True)
    def add_recipient(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        manager: NamedDependency[Actor],
        data: UrlForm,
    ) -> Template | Redirect:
        kinds = set(catalog(rules.workflows.values()))
        try:
            notifications.add_recipient(
                db_session,
                manager.enterprise_id or 0,
                str(data.get("kind", "")),
                str(data.get("channel", "")),
                str(data.get("address", "")),
                kinds,
            )
        except InvalidData as exc:
            return self._page(db_session, rules, manager, exc.errors, data, status_code=400)
        return Redirect("/enterprise/settings", status_code=303)

    @post("/tokens", sync_to_thread=True)
    def new_token(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        manager: NamedDependency[Actor],
        data: UrlForm,
    ) -> Template:
        """A new API token for the enterprise's systems, shown this once."""
        try:
            token = create_api_token(
                db_session, manager.enterprise_id or 0, str(data.get("token_name", "")), utcnow()
            )
        except InvalidData as exc:
            return self._page(db_session, rules, manager, exc.errors, data, status_code=400)
        return self._page(db_session, rules, manager, new_token=token)

    @post("/tokens/{token_id:int}/revoke", sync_to_thread=True)
    def revoke_token(
        self,
        db_session: NamedDependency[Session],
        manager: NamedDependency[Actor],
        token_id: FromPath[int],
    ) -> Redirect:
        revoke_api_token(db_session, manager.enterprise_id or 0, token_id, utcnow())
        return Redirect("/enterprise/settings", status_code=303)

    @post("/recipients/{recipient_id:int}/delete", sync_to_thread=True)
    def remove_recipient(
        self,
        db_session: NamedDependency[Session],
        manager: NamedDependency[Actor],
        recipient_id: FromPath[int],
    ) -> Redirect:
        notifications.remove_recipient(db_session, manager.enterprise_id or 0, recipient_id)
        return Redirect("/enterprise/settings", status_code=303)
