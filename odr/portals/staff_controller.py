"""Pages every staff portal (enterprise, regulator) has: the case page and its actions, and the
in-app notifications behind the bell."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.cases.access import load_case
from odr.cases.campaigns import load_campaigns
from odr.clock import utcnow
from odr.engine.rules import Rules
from odr.notify.service import in_app_messages, mark_all_read, unread_count
from odr.portals.case_page import case_context, perform_action
from odr.portals.forms import MAX_ACTION_BYTES, MultipartForm, UrlForm
from odr.settings import Settings


class StaffController(Controller):
    """Subclasses set `path` (/enterprise, /regulator) and provide the `actor` dependency."""

    @property
    def portal(self) -> str:
        return self.path.strip("/")

    @get("/cases/{number:str}", sync_to_thread=True)
    def case_page(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        settings: NamedDependency[Settings],
        number: FromPath[str],
    ) -> Template:
        """The case, its timeline and the actions this user may take now."""
        case = load_case(db_session, number, actor)
        campaigns = load_campaigns(settings.workflows_dir)
        context = case_context(db_session, case, actor, rules, campaigns=campaigns)
        return Template(f"{self.portal}/case.html", context=context)

    @post(
        "/cases/{number:str}/act/{trigger:str}",
        sync_to_thread=True,
        request_max_body_size=MAX_ACTION_BYTES,
    )
    def case_action(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        number: FromPath[str],
        trigger: FromPath[str],
        settings: NamedDependency[Settings],
        data: MultipartForm,
    ) -> Template | Redirect:
        """Fire a trigger from the case page's form (through act())."""
        case = load_case(db_session, number, actor)
        return perform_action(
            db_session,
            case,
            trigger,
            actor,
            data,
            rules,
            settings,
            template=f"{self.portal}/case.html",
            page_url=f"{self.path}/cases/{number}",
        )

    @post("/cases/{number:str}/captures", sync_to_thread=True)
    def case_capture(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        settings: NamedDependency[Settings],
        number: FromPath[str],
        data: UrlForm,
    ) -> Template | Redirect:
        """Capture a web page as evidence for the case (odr/captures/)."""
        from odr.portals.captures import ask_on_case

        case = load_case(db_session, number, actor)
        return ask_on_case(
            db_session,
            case,
            actor,
            rules,
            settings,
            dict(data),
            template=f"{self.portal}/case.html",
            page_url=f"{self.path}/cases/{number}",
        )

    @get("/notifications", sync_to_thread=True)
    def notifications(
        self, db_session: NamedDependency[Session], actor: NamedDependency[Actor]
    ) -> Template:
        """The in-app messages, newest first; unread ones are marked."""
        messages = in_app_messages(db_session, actor)
        return Template(
            "notifications.html",
            context={
                "messages": messages,
                "actor": actor,
                "portal": self.portal,
                "unread": unread_count(db_session, actor),
            },
        )

    @post("/notifications/read", sync_to_thread=True)
    def read_all(
        self, db_session: NamedDependency[Session], actor: NamedDependency[Actor]
    ) -> Redirect:
        mark_all_read(db_session, actor, utcnow())
        return Redirect(f"{self.path}/notifications", status_code=303)
