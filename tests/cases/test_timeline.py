"""The case timeline: each event with its label and the details its actor gave. Internal
transitions (notes, messages, consents, the regulator's desk) stay in the state they were fired
in, from any of their sources; every one of them, in every workflow, keeps its details."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from odr.cases.models import Case, CaseEvent
from odr.cases.timeline import timeline
from odr.engine.rules import load_rules
from odr.engine.workflow import FieldDef, TransitionDef, Workflow
from odr.settings import SOURCE_ROOT

RULES = load_rules(SOURCE_ROOT / "workflows")
AT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def internal_moves() -> Iterator[tuple[Workflow, TransitionDef, str]]:
    """(workflow, transition, source) for every source of every internal transition."""
    for workflow in RULES.workflows.values():
        for t in workflow.transitions:
            if t.internal:
                for source in dict.fromkeys(t.sources):
                    yield workflow, t, source


def given(workflow: Workflow, f: FieldDef, source: str) -> tuple[Any, str]:
    """A value of the field as an event records it, and how the timeline shows it."""
    if f.type == "choice" and f.list:
        code = next(iter(workflow.lists[f.list]))
        return code, workflow.label(f.list, code)
    if f.type == "file":
        return {"filename": f"{f.name}.png", "sha256": "0" * 64}, f"{f.name}.png"
    text = f"{f.name} given in {source}"
    return text, text


MOVES = list(internal_moves())


def test_the_workflows_have_internal_transitions_with_fields_and_several_sources():
    """What the test below walks through: every track, and sources besides the first."""
    assert {w.name for w, _, _ in MOVES} == set(RULES.workflows)
    assert any(source != t.sources[0] and t.fields for _, t, source in MOVES)


@pytest.mark.parametrize(
    ("workflow", "transition", "source"),
    MOVES,
    ids=[f"{w.name}-{t.trigger}-{s}" for w, t, s in MOVES],
)
def test_every_internal_event_shows_its_details(
    workflow: Workflow, transition: TransitionDef, source: str
):
    shown = {f.name: given(workflow, f, source) for f in transition.fields}
    event = CaseEvent(
        seq=2,
        occurred_at=AT,
        actor_role=sorted(transition.roles)[0],
        actor_label="someone",
        trigger=transition.trigger,
        from_state=source,
        to_state=source,  # an internal transition stays where it was fired
        payload={name: value for name, (value, _) in shown.items()},
    )
    case = Case(workflow=workflow.name, workflow_version=workflow.version, state=source)
    case.events = [event]
    role = sorted(transition.visible_to or transition.roles)[0]

    [entry] = timeline(case, workflow, role)

    assert entry.label == transition.label
    assert entry.details == [(f.label, shown[f.name][1]) for f in transition.fields]
