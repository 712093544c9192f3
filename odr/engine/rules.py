"""The rules in force: workflows (and the older versions running cases keep), rulebooks by
effective date, the working-day calendar. Loaded once per process."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from odr.engine.calendar import WorkingCalendar
from odr.engine.classification import EMPTY, Classification, load_classification
from odr.engine.workflow import Clock, StateDef, Workflow, WorkflowError, load_workflows
from odr.text import N_, Label

DEFAULT_WORKFLOW = "odr_standard"
STANDARD_TRACK = "standard"
# Reports (举报) carry this claim type, which no complaint workflow lists (odr.cases.models).
REPORT_CLAIM_TYPE = "report"
REPORT_CLAIM_LABEL = N_("举报")


@dataclass(frozen=True)
class Rulebook:
    """A set of rules (e.g. SAMR Order 121) for complaints received in a period."""

    code: str
    title: Mapping[str, str]
    effective_from: date | None  # inclusive
    effective_until: date | None  # exclusive
    tracks: Mapping[str, str]  # track -> workflow name
    # The article a paper cites (odr/documents/), by "<list>.<code>" (rejection_grounds.time_barred)
    # or by a list or paper alone (rejection_grounds, acceptance_notice).
    articles: Mapping[str, str] = field(default_factory=dict)

    def article(self, *keys: str) -> str:
        """The article of the first key the rulebook cites ("" when none)."""
        return next((self.articles[k] for k in keys if k in self.articles), "")

    def applies_on(self, day: date) -> bool:
        return (self.effective_from is None or day >= self.effective_from) and (
            self.effective_until is None or day < self.effective_until
        )


@dataclass(frozen=True)
class Rules:
    workflows: dict[str, Workflow]  # the current version of each, by name
    calendar: WorkingCalendar
    rulebooks: tuple[Rulebook, ...] = ()
    intake_office_code: str = "450100"
    # How complaints are counted (workflows/classification.yaml).
    classification: Classification = EMPTY
    # Older versions that running cases keep: (name, version) -> Workflow.
    versions: dict[tuple[str, int], Workflow] = field(default_factory=dict)

    def workflow(self, name: str = DEFAULT_WORKFLOW, version: int | None = None) -> Workflow:
        """A workflow as a case knows it: its own version, else the current one."""
        current = self.workflows[name]
        if version is None or version == current.version:
            return current
        return self.versions[(name, version)]

    def claim_type_label(self, code: str) -> Label | None:
        """A claim type's label: its {zh, en} from any workflow that lists it (the seven-day and
        report tracks list none of their own); None for a code nobody lists."""
        if code == REPORT_CLAIM_TYPE:
            return REPORT_CLAIM_LABEL
        for workflow in (*self.workflows.values(), *self.versions.values()):
            if label := workflow.lists.get("claim_types", {}).get(code):
                return label
        return None

    def rulebook_for(self, day: date) -> Rulebook | None:
        """The rulebook in force on a (Beijing) date."""
        return next((r for r in self.rulebooks if r.applies_on(day)), None)

    def track_workflow(self, track: str, day: date) -> str:
        """The workflow a track runs on for a complaint received on `day`."""
        rulebook = self.rulebook_for(day)
        if rulebook is not None and track in rulebook.tracks:
            return rulebook.tracks[track]
        return DEFAULT_WORKFLOW if track == STANDARD_TRACK else track

    def due(self, clock: Clock, start: datetime, days: int) -> datetime:
        """When a clock of `days` started at `start` runs out (0 days: the end of today)."""
        if days < 1:
            return self.calendar.end_of_day(start)
        if clock.working:
            return self.calendar.add_working_days(start, days)
        return self.calendar.add_calendar_days(start, days)

    def next_reminder(
        self, state: StateDef, due_at: datetime | None, now: datetime
    ) -> datetime | None:
        """The first reminder of the state's clock still ahead of `now` (None if none)."""
        if state.clock is None or due_at is None:
            return None
        ahead = [
            moment
            for days in state.clock.reminders
            if (moment := self.calendar.reminder_time(due_at, days)) > now
        ]
        return min(ahead, default=None)


def _date(value: Any, where: str) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise WorkflowError(f"{where}: '{value}' is not a date (YYYY-MM-DD)") from None


def load_rulebooks(path: Path, workflows: Mapping[str, Workflow]) -> tuple[Rulebook, ...]:
    """workflows/rulebooks.yaml: each rulebook's period and the workflow of each track."""
    if not path.exists():
        return ()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rulebooks = []
    for index, spec in enumerate(raw.get("rulebooks") or [], start=1):
        where = f"{path}: rulebook #{index}"
        if not isinstance(spec, Mapping) or not spec.get("code"):
            raise WorkflowError(f"{where}: needs a code")
        tracks = {str(k): str(v) for k, v in (spec.get("tracks") or {}).items()}
        for track, name in tracks.items():
            if name not in workflows:
                raise WorkflowError(f"{where}: track '{track}' names unknown workflow '{name}'")
        rulebooks.append(
            Rulebook(
                code=str(spec["code"]),
                title=dict(spec.get("title") or {}),
                effective_from=_date(spec.get("from"), where),
                effective_until=_date(spec.get("until"), where),
                tracks=tracks,
                articles=_articles(spec.get("articles"), where),
            )
        )
    return tuple(rulebooks)


def _articles(raw: Any, where: str) -> dict[str, str]:
    """rulebooks.yaml's `articles:` flattened: {list: {code: article}} and {key: article}."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise WorkflowError(f"{where}: articles must be a mapping")
    flat: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, Mapping):
            flat.update({f"{key}.{code}": str(article) for code, article in value.items()})
            if "_" in value:
                flat[str(key)] = str(value["_"])
        else:
            flat[str(key)] = str(value)
    return flat


@cache
def load_rules(workflows_dir: Path, intake_office_code: str = "450100") -> Rules:
    """Workflows, rulebooks and calendar from a workflows/ folder (cached: one Machine each)."""
    calendar_file = workflows_dir / "calendar.yaml"
    calendar = (
        WorkingCalendar.from_file(calendar_file) if calendar_file.exists() else WorkingCalendar()
    )
    workflows = load_workflows(workflows_dir)
    return Rules(
        workflows=workflows,
        calendar=calendar,
        rulebooks=load_rulebooks(workflows_dir / "rulebooks.yaml", workflows),
        intake_office_code=intake_office_code,
        classification=load_classification(workflows_dir),
    )
