"""A terminal state may be the source of internal transitions (they stay: the disclosure of a
closed complaint) but never of a transition that leaves it."""

from __future__ import annotations

import copy

import pytest

from odr.engine.workflow import WorkflowError, parse_workflow, read_definition
from odr.settings import SOURCE_ROOT

STANDARD = SOURCE_ROOT / "workflows" / "odr_standard.yaml"


def test_internal_transitions_from_a_terminal_state_stay_in_it():
    workflow = parse_workflow(read_definition(STANDARD), "odr_standard.yaml")
    offered = {t.trigger for t in workflow.available("settled", "enterprise")}
    assert offered == {"object_disclosure"}
    assert workflow.states["settled"].terminal
    assert all(
        t.internal and t.dest == "settled" for t in workflow.transitions if "settled" in t.sources
    )


def test_a_transition_leaving_a_terminal_state_is_refused():
    raw = copy.deepcopy(read_definition(STANDARD))
    raw["transitions"].append(
        {"trigger": "reopen", "source": "settled", "dest": "negotiation", "roles": ["regulator"]}
    )
    with pytest.raises(WorkflowError, match=r"state 'settled': terminal state is the source"):
        parse_workflow(raw, "odr_standard.yaml")
