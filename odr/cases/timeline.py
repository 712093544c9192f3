"""A case's timeline: its events in order, each with its label and the details its actor gave,
as one role may see them (internal notes stay with their authors)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from odr.cases.campaigns import Campaign
from odr.cases.chain import PURGE_TRIGGER
from odr.cases.models import Case, CaseEvent
from odr.engine.workflow import TransitionDef, Workflow

Label = Mapping[str, str]

# Events that are no transition of a workflow (the sweeper's, intake's, the retention purge).
EVENT_LABELS: dict[str, Label] = {
    "submit": {"zh": "提交投诉", "en": "Complaint filed"},
    "remind": {"zh": "期限提醒", "en": "Deadline reminder"},
    "recount_deadline": {"zh": "期限重新计算", "en": "Deadline recounted"},
    "duplicate_received": {
        "zh": "收到重复投诉，已并入本案",
        "en": "A repeat complaint joined this case",
    },
    "follow_up": {"zh": "回访评价", "en": "Follow-up rating"},
    # odr/captures/: a web page captured, its files' hashes on the chain.
    "web_captured": {"zh": "网页取证", "en": "Web page captured"},
    PURGE_TRIGGER: {
        "zh": "保存期满，个人信息已删除",
        "en": "Retention period over: personal data removed",
    },
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    label: Label
    details: list[tuple[Label, str]] = field(default_factory=list)


def event_details(
    workflow: Workflow,
    transition: TransitionDef,
    event: CaseEvent,
    campaigns: Mapping[str, Campaign],
) -> list[tuple[Label, str]]:
    """(field label, value as shown) for each field the event's actor filled in."""
    details = []
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
        entries.append(TimelineEntry(event.occurred_at, event.actor_label, label, details))
    return entries
