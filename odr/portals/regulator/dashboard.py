"""The regulator dashboard (/regulator/dashboard): the office's cases by state and office,
weekly trends, top respondents and enterprise rates, as server-drawn SVG charts and tables,
each table also as a CSV file."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.auth.web import provide_regulator_actor
from odr.cases import stats
from odr.cases.models import DashboardSnapshot
from odr.clock import utcnow
from odr.db.dialects import runs_long
from odr.db.engine import transaction
from odr.engine.rules import Rules
from odr.notify.service import unread_count
from odr.portals.csv_files import csv_bytes, csv_response
from odr.portals.i18n import language_of, translations
from odr.settings import Settings
from odr.text import N_, translate

WINDOWS = (4, 12, 26, 52)  # weeks the dashboard looks back
DEFAULT_WEEKS = 12
TABLES = ("offices", "states", "weekly", "respondents", "enterprises")


def state_labels(rules: Rules) -> dict[str, Mapping[str, str]]:
    """Every state of every track, with its label (a name shared by tracks: the first's)."""
    labels: dict[str, Mapping[str, str]] = {}
    for workflow in rules.workflows.values():
        for name, state in workflow.states.items():
            labels.setdefault(name, state.label)
    return labels


def _rate(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}%"


def table_rows(
    name: str, figures: Mapping[str, Any], labels: Mapping[str, Mapping[str, str]], lang: str
) -> tuple[list[str], Iterable[list[Any]]]:
    """A dashboard table as a header (Chinese message ids) and rows of plain values."""

    def label(state: str) -> str:
        return translate(labels.get(state), lang) or state

    if name == "offices":
        states = list(figures["states"])
        header = ["区划代码", "部门", *(label(s) for s in states), "合计"]
        rows = [
            [
                o["office"]["region_code"],
                o["office"]["name"],
                *(o["by_state"].get(s, 0) for s in states),
                o["total"],
            ]
            for o in figures["offices"]
        ]
        return header, rows
    if name == "states":
        return ["状态代码", "状态", "案件数"], (
            [state, label(state), count] for state, count in figures["states"].items()
        )
    if name == "weekly":
        return ["周", "周一", "收到", "办结"], (
            [w["week"]["label"], w["week"]["monday"], w["received"], w["closed"]]
            for w in figures["weekly"]
        )
    if name == "respondents":
        return ["被投诉人", "投诉件数", "企业协商未果升级"], (
            [r["name"], r["cases"], r["escalated"]] for r in figures["respondents"]
        )
    if name == "enterprises":
        header = ["企业", "统一社会信用代码", "收到投诉", "已结束协商", "按时办结率", "和解成功率"]
        return header, (
            [
                e["enterprise"]["name"],
                e["enterprise"]["uscc"],
                e["card"]["received"],
                e["card"]["finished"],
                _rate(e["card"]["on_time_rate"]),
                _rate(e["card"]["settlement_rate"]),
            ]
            for e in figures["enterprises"]
        )
    raise NotFoundException(N_("没有该表"))


def table_csv(header: list[str], rows: Iterable[list[Any]], lang: str) -> bytes:
    """A table as a CSV file, the header in the reader's language."""
    words = translations(lang)
    return csv_bytes([words.gettext(h) for h in header], rows)


def in_order(figures: Mapping[str, Any]) -> dict[str, Any]:
    """The stored figures with the states largest first again (PostgreSQL's JSONB keeps no
    key order)."""
    states = sorted(figures["states"].items(), key=lambda item: (-item[1], item[0]))
    return {**figures, "states": dict(states)}


def _snapshot(
    request: Request,
    session: Session,
    actor: Actor,
    rules: Rules,
    weeks: int,
    refresh: bool = False,
) -> DashboardSnapshot:
    """The stored figures, whatever their age (the worker computes them again), read in the
    page's own reading transaction (on the read replica when there is one); when none are
    stored or the reader asks, computed and stored on the primary in a transaction of its own,
    the one moment this page waits for a writer."""
    if actor.office_id is None:
        raise NotFoundException(N_("没有所属部门"))
    found = None if refresh else stats.stored_snapshot(session, actor.office_id, weeks)
    if found is not None:
        return found
    with transaction(request.app.state["session_factory"]) as writing:
        runs_long(writing)
        return stats.dashboard_snapshot(
            writing, actor.office_id, actor.office_ids, weeks, utcnow(), rules.calendar
        )


def _weeks(raw: str) -> int:
    return int(raw) if raw.isdigit() and int(raw) in WINDOWS else DEFAULT_WEEKS


class RegulatorDashboardController(Controller):
    path = "/regulator/dashboard"
    dependencies = {"actor": Provide(provide_regulator_actor, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def dashboard_page(
        self,
        request: Request,
        lagging_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        settings: NamedDependency[Settings],
        actor: NamedDependency[Actor],
        weeks: FromQuery[str] = "",
        refresh: FromQuery[str] = "",
    ) -> Template:
        """The office's figures as charts and tables, over the last N weeks."""
        chosen = _weeks(weeks)
        snapshot = _snapshot(request, lagging_session, actor, rules, chosen, refresh == "1")
        return Template(
            "regulator/dashboard.html",
            context={
                "d": in_order(snapshot.figures),
                "computed_at": snapshot.computed_at,
                "max_age_minutes": max(1, round(settings.rollup_interval_seconds / 60)),
                "labels": state_labels(rules),
                "classification": rules.classification,
                "weeks": chosen,
                "windows": WINDOWS,
                "actor": actor,
                "unread": unread_count(lagging_session, actor),
            },
        )

    @get("/export/{table:str}", sync_to_thread=True)
    def export(
        self,
        request: Request,
        lagging_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        table: FromPath[str],
        weeks: FromQuery[str] = "",
    ) -> Response[bytes]:
        """One table of the dashboard as a CSV file (UTF-8 with BOM)."""
        name = table.removesuffix(".csv")
        if name not in TABLES:
            raise NotFoundException(N_("没有该表"))
        chosen = _weeks(weeks)
        figures = in_order(_snapshot(request, lagging_session, actor, rules, chosen).figures)
        lang = language_of(request)
        header, rows = table_rows(name, figures, state_labels(rules), lang)
        return csv_response(table_csv(header, rows, lang), f"odr-{name}-{chosen}w.csv")
