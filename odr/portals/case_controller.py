"""The case page and its actions for a logged-in portal (enterprise, regulator)."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.engine.rules import Rules
from odr.portals.case_page import case_context, load_case, perform_action
from odr.portals.forms import UrlForm


class CaseController(Controller):
    """Subclasses set `path` (/enterprise, /regulator) and provide the `actor` dependency."""

    @property
    def template(self) -> str:
        return f"{self.path.strip('/')}/case.html"

    @get("/cases/{number:str}", sync_to_thread=True)
    def case_page(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        number: FromPath[str],
    ) -> Template:
        case = load_case(db_session, number, actor)
        return Template(self.template, context=case_context(db_session, case, actor, rules))

    @post("/cases/{number:str}/act/{trigger:str}", sync_to_thread=True)
    def case_action(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        number: FromPath[str],
        trigger: FromPath[str],
        data: UrlForm,
    ) -> Template | Redirect:
        case = load_case(db_session, number, actor)
        return perform_action(
            db_session,
            case,
            trigger,
            actor,
            data,
            rules,
            template=self.template,
            page_url=f"{self.path}/cases/{number}",
        )
