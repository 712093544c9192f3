"""A case's timeline: its events in order, each with its label and the details its actor gave,
as one role may see them (internal notes stay with their authors)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from odr.auth.actor import actor_shown
from odr.cases.campaigns import Campaign
from odr.cases.chain import PURGE_TRIGGER
from odr.cases.models import Case, CaseEvent
from odr.engine.workflow import TransitionDef, Workflow
from odr.text import N_, Label

# Events that are no transition of a workflow (the sweeper's, intake's, the retention purge).
EVENT_LABELS: dict[str, Label] = {
    "submit": N_("提交投诉"),
    "remind": N_("期限提醒"),
    "recount_deadline": N_("期限重新计算"),
    "duplicate_received": N_("收到重复投诉，已并入本案"),
    "follow_up": N_("回访评价"),
    "issue_document": N_("出具文书"),
    # odr/captures/: a web page captured, its files' hashes on the chain.
    "web_captured": N_("网页取证"),
    PURGE_TRIGGER: N_("保存期满，个人信息已删除"),
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    label: Label
    details: list[tuple[Label, str]] = field(default_factory=list)
    actor_role: str = ""

    @property
    def actor_shown(self) -> tuple[str | None, str]:
        """The actor's role word (for the catalogues) and name (data)."""
        return actor_shown(self.actor_role, self.actor)


def event_details(
    workflow: Workflow,
    transition: TransitionDef,
    event: CaseEvent,
    campaigns: Mapping[str, Campaign],
) -> list[tuple[Label, str]]:
    """(field label, value as shown) for each field the event's actor filled in."""
    details: list[tuple[Label, str]] = []
    for f in transition.fields:
        value = event.payload.get(f.name)
        if value in (None, ""):
            continue
        if f.type == "choice" and f.list:
            shown = workflow.label(f.list, value)
        elif f.name == "campaign" and value in campaigns:
            shown = f"{campaigns[value].label['zh']} ({value})"
        elif isinstance(value, Mapping) and "filename" in value:
            shown = str(value["filename"])  # an event keeps a file's name and hash
        else:
            shown = str(value)
        details.append((f.label, shown))
    return details


def visible_events(
    case: Case, workflow: Workflow, role: str
) -> list[tuple[CaseEvent, TransitionDef | None]]:
    """The case's events this role may see, each with the transition it records (None for the
    events that are no transition: filing, reminders, the purge)."""
    seen = []
    for event in case.events:
        # By trigger, source and destination: an internal transition's destination is the state
        # it was fired in, whichever of its sources that was.
        transition = workflow.transition_for(event.trigger, event.from_state, event.to_state)
        if transition is not None and transition.visible_to and role not in transition.visible_to:
            continue
        seen.append((event, transition))
    return seen


def timeline(
    case: Case,
    workflow: Workflow,
    role: str,
    campaigns: Mapping[str, Campaign] | None = None,
) -> list[TimelineEntry]:
    """The case's events as this role may see them (internal notes only for their authors)."""
    entries = []
    for event, transition in visible_events(case, workflow, role):
        if transition is None:
            label = EVENT_LABELS.get(event.trigger, {"zh": event.trigger, "en": event.trigger})
            details: list[tuple[Label, str]] = []
        else:
            label = transition.label
            details = event_details(workflow, transition, event, campaigns or {})
        entries.append(
            TimelineEntry(event.occurred_at, event.actor_label, label, details, event.actor_role)
        )
    return entries
