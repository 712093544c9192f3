"""The rules in force: the workflows and the working-day calendar, loaded once per process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from odr.engine.calendar import WorkingCalendar
from odr.engine.workflow import Clock, StateDef, Workflow, load_workflows

DEFAULT_WORKFLOW = "odr_standard"


@dataclass(frozen=True)
class Rules:
    workflows: dict[str, Workflow]
    calendar: WorkingCalendar

    def workflow(self, name: str = DEFAULT_WORKFLOW) -> Workflow:
        return self.workflows[name]

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


@cache
def load_rules(workflows_dir: Path) -> Rules:
    """Workflows and calendar from a workflows/ folder (cached: one Machine per workflow)."""
    calendar_file = workflows_dir / "calendar.yaml"
    calendar = (
        WorkingCalendar.from_file(calendar_file) if calendar_file.exists() else WorkingCalendar()
    )
    return Rules(workflows=load_workflows(workflows_dir), calendar=calendar)
