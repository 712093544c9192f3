"""The monthly report (/regulator/reports): an office's complaint figures for a month or a
quarter, the office and the offices below it, as a page and as an .xlsx workbook."""

from __future__ import annotations

from datetime import date

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.auth.web import provide_regulator_actor
from odr.cases.report import Period, current_period, monthly_report, parse_period
from odr.clock import SHANGHAI, utcnow
from odr.engine.rules import Rules
from odr.errors import InvalidData
from odr.notify.service import unread_count
from odr.offices.models import Office
from odr.portals.i18n import language_of
from odr.portals.regulator.report_workbook import (
    CHANNEL_NAMES,
    is_amount_row,
    report_tables,
    report_title,
    workbook_bytes,
)
from odr.text import N_

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHOICES_MONTHS = 24
CHOICES_QUARTERS = 8


def period_choices(today: date) -> tuple[list[str], list[str]]:
    """The last months and quarters a report may be asked for (most recent first)."""
    month = Period(today.year, today.month)
    months = []
    for _ in range(CHOICES_MONTHS):
        months.append(month.code)
        month = month.previous()
    quarter = Period(today.year, quarter=(today.month - 1) // 3 + 1)
    quarters = []
    for _ in range(CHOICES_QUARTERS):
        quarters.append(quarter.code)
        quarter = quarter.previous()
    return months, quarters


def _office(session: Session, actor: Actor) -> Office:
    office = session.get(Office, actor.office_id) if actor.office_id else None
    if office is None:
        raise NotFoundException(N_("没有所属部门"))
    return office


def category_order(rules: Rules) -> dict[str, list[str]]:
    """The order the classification file lists its codes in (the published order)."""
    return {
        "category_order": list(rules.classification.categories),
        "nature_order": list(rules.classification.natures),
        "channel_order": list(CHANNEL_NAMES),
    }


class RegulatorReportsController(Controller):
    path = "/regulator/reports"
    dependencies = {"actor": Provide(provide_regulator_actor, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def report_page(
        self,
        request: Request,
        lagging_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        period: FromQuery[str] = "",
    ) -> Template:
        """The office's report for a month or a quarter (the last whole month by default)."""
        office = _office(lagging_session, actor)
        now = utcnow()
        months, quarters = period_choices(now.astimezone(SHANGHAI).date())
        context = {
            "actor": actor,
            "unread": unread_count(lagging_session, actor),
            "office": office,
            "months": months,
            "quarters": quarters,
            "period": period,
            "errors": {},
            "source": rules.classification.source,
        }
        try:
            chosen = parse_period(period) if period else current_period(now)
        except InvalidData as exc:
            context["errors"] = exc.errors
            return Template("regulator/reports.html", context=context, status_code=400)
        lang = language_of(request)
        report = monthly_report(
            lagging_session, actor.office_ids, chosen, rules.calendar, **category_order(rules)
        )
        tables = report_tables(report, rules.classification, lang)
        context.update(
            period=chosen.code,
            report=report,
            tables=tables,
            title=report_title(report, office.name, lang),
            is_amount_row=is_amount_row,
        )
        return Template("regulator/reports.html", context=context)

    @get("/export.xlsx", sync_to_thread=True)
    def export(
        self,
        request: Request,
        lagging_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        period: FromQuery[str] = "",
    ) -> Response[bytes]:
        """The report as an .xlsx workbook (400 names the period when it is not one)."""
        office = _office(lagging_session, actor)
        chosen = parse_period(period) if period else current_period(utcnow())
        report = monthly_report(
            lagging_session, actor.office_ids, chosen, rules.calendar, **category_order(rules)
        )
        content = workbook_bytes(report, rules.classification, office.name, language_of(request))
        filename = f"odr-report-{office.region_code}-{chosen.code}.xlsx"
        return Response(
            content,
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
