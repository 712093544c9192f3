"""The workflow loader rejects broken definitions by name; the shared machine fires on rows."""

from __future__ import annotations

import copy
from pathlib import Path
from types import SimpleNamespace

import pytest

from odr.engine.workflow import WorkflowError, load_workflow, parse_workflow, read_definition
from odr.errors import ConditionsNotMet, InvalidData, TransitionNotAllowed
from odr.settings import SOURCE_ROOT

STANDARD = SOURCE_ROOT / "workflows" / "odr_standard.yaml"


@pytest.fixture(scope="module")
def raw() -> dict:
    return read_definition(STANDARD)  # with the included _regulator.yaml merged in


def broken(raw: dict, change) -> dict:  # type: ignore[no-untyped-def]
    copied = copy.deepcopy(raw)
    change(copied)
    return copied


def case(state: str = "received", **attrs) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    values = {"enterprise_id": None, "respondent_id": None, "office_id": None} | attrs
    return SimpleNamespace(state=state, **values)


def test_standard_workflow_loads():
    workflow = load_workflow(STANDARD)
    assert workflow.name == "odr_standard"
    assert workflow.states["negotiation"].clock.days == 10
    assert workflow.states["negotiation"].clock.working
    assert workflow.states["acceptance"].clock.days == 7
    assert workflow.states["mediation"].clock.days == 45


def test_unknown_state_is_named(raw):
    def change(d):  # type: ignore[no-untyped-def]
        d["transitions"][3]["dest"] = "nowhere"

    with pytest.raises(WorkflowError, match=r"odr_standard\.yaml: state 'nowhere': unknown state"):
        parse_workflow(broken(raw, change), "odr_standard.yaml")


def test_unreachable_state_is_named(raw):
    def change(d):  # type: ignore[no-untyped-def]
        d["states"]["limbo"] = {"terminal": True}

    with pytest.raises(WorkflowError, match=r"f\.yaml: state 'limbo': unreachable"):
        parse_workflow(broken(raw, change), "f.yaml")


def test_state_without_way_out_is_named(raw):
    def change(d):  # type: ignore[no-untyped-def]
        d["states"]["stuck"] = {"party": "regulator"}
        d["transitions"].append(
            {"trigger": "to_stuck", "source": "mediation", "dest": "stuck", "roles": ["regulator"]}
        )

    with pytest.raises(WorkflowError, match=r"state 'stuck': non-terminal state has no way out"):
        parse_workflow(broken(raw, change), "f.yaml")


def test_missing_expiry_trigger_is_named(raw):
    def change(d):  # type: ignore[no-untyped-def]
        d["states"]["negotiation"]["clock"]["on_expiry"] = "lapse"

    with pytest.raises(
        WorkflowError, match=r"state 'negotiation': expiry trigger 'lapse' does not"
    ):
        parse_workflow(broken(raw, change), "f.yaml")


def test_unknown_condition_and_bad_clock(raw):
    def condition(d):  # type: ignore[no-untyped-def]
        d["transitions"][0]["conditions"] = ["moon_is_full"]

    with pytest.raises(WorkflowError, match="unknown condition 'moon_is_full'"):
        parse_workflow(broken(raw, condition), "f.yaml")

    def clock(d):  # type: ignore[no-untyped-def]
        d["states"]["negotiation"]["clock"] = {"working_days": 0, "on_expiry": "expire"}

    with pytest.raises(WorkflowError, match="state 'negotiation': clock needs exactly one"):
        parse_workflow(broken(raw, clock), "f.yaml")


def test_invalid_yaml_names_the_file(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("states: [\n", encoding="utf-8")
    with pytest.raises(WorkflowError, match="bad.yaml: file: not valid YAML"):
        load_workflow(path)


def test_routing_conditions_choose_the_track():
    workflow = load_workflow(STANDARD)
    enrolled = case(enterprise_id=1, respondent_id=1, office_id=3)
    workflow.fire(enrolled, "route", "system", {})
    assert enrolled.state == "negotiation"
    shop = case(respondent_id=2, office_id=3)
    workflow.fire(shop, "route", "system", {})
    assert shop.state == "acceptance"
    unknown = case(office_id=1)
    assert workflow.fire(unknown, "route", "system", {}).dest == "triage"


def test_roles_and_states_are_enforced():
    workflow = load_workflow(STANDARD)
    row = case("negotiation")
    with pytest.raises(TransitionNotAllowed):
        workflow.fire(row, "propose_settlement", "consumer", {})
    with pytest.raises(TransitionNotAllowed):
        workflow.fire(row, "accept_offer", "consumer", {})
    assert row.state == "negotiation"


def test_fields_are_validated_with_names():
    workflow = load_workflow(STANDARD)
    [offer] = workflow.candidates("negotiation", "propose_settlement")
    with pytest.raises(InvalidData) as caught:
        workflow.clean(offer, {"remedy": "gold", "amount": "-3", "message": ""})
    assert set(caught.value.errors) == {"remedy", "amount", "message"}
    clean = workflow.clean(offer, {"remedy": "refund", "amount": "39.9", "message": " 退款 "})
    assert clean == {"remedy": "refund", "amount": "39.90", "message": "退款"}


def test_conditions_not_met_when_no_transition_applies(raw):
    def change(d):  # type: ignore[no-untyped-def]
        d["transitions"] = [t for t in d["transitions"] if t["trigger"] != "route"] + [
            {
                "trigger": "route",
                "source": "received",
                "dest": "negotiation",
                "roles": ["system"],
                "conditions": ["respondent_is_odr_enterprise"],
            },
            {
                "trigger": "route",
                "source": "received",
                "dest": "acceptance",
                "roles": ["system"],
                "conditions": ["competent_office_known"],
            },
            {"trigger": "triage_it", "source": "received", "dest": "triage", "roles": ["system"]},
        ]

    workflow = parse_workflow(broken(raw, change), "f.yaml")
    with pytest.raises(ConditionsNotMet):
        workflow.fire(case(), "route", "system", {})


def test_a_transition_another_role_may_fire_is_never_taken(raw):
    # From `negotiation`, `close` goes to `settled` for the system and to `withdrawn` for the
    # consumer: the consumer must land in `withdrawn` although the system's comes first.
    def change(d):  # type: ignore[no-untyped-def]
        d["transitions"] += [
            {"trigger": "close", "source": "negotiation", "dest": "settled", "roles": ["system"]},
            {
                "trigger": "close",
                "source": "negotiation",
                "dest": "withdrawn",
                "roles": ["consumer"],
            },
        ]

    workflow = parse_workflow(broken(raw, change), "f.yaml")
    row = case("negotiation")
    assert workflow.fire(row, "close", "consumer", {}).dest == "withdrawn"
    assert row.state == "withdrawn"


def test_text_fields_refuse_control_characters():
    workflow = load_workflow(STANDARD)
    [note] = workflow.candidates("negotiation", "add_note")
    with pytest.raises(InvalidData) as caught:
        workflow.clean(note, {"note": "a\x00b"})
    assert "note" in caught.value.errors
    assert workflow.clean(note, {"note": "第一行\n第二行\t完"}) == {"note": "第一行\n第二行\t完"}


def test_every_open_state_runs_a_clock_or_says_why_not():
    """A case with no clock is never reminded, escalated or counted as overdue: every open
    state of the shipped workflows runs one, or is marked paused, escalated or routing."""
    from odr.engine.workflow import load_workflows  # noqa: PLC0415

    workflows = load_workflows(SOURCE_ROOT / "workflows")
    assert {name: w.unclocked() for name, w in workflows.items()} == {
        name: [] for name in workflows
    }
    triage = workflows["odr_standard"].states["triage"]
    assert triage.clock is not None and triage.clock.days == 7


def test_no_clock_is_checked(raw):
    def with_clock(d):  # type: ignore[no-untyped-def]
        d["states"]["acceptance"]["no_clock"] = "escalated"

    def unknown(d):  # type: ignore[no-untyped-def]
        d["states"]["acceptance_escalated"]["no_clock"] = "forgotten"

    def not_paused(d):  # type: ignore[no-untyped-def]
        d["states"]["acceptance_escalated"]["no_clock"] = "paused"

    for change in (with_clock, unknown):
        with pytest.raises(WorkflowError, match="no_clock is for an open state"):
            parse_workflow(broken(raw, change), "f.yaml")
    with pytest.raises(WorkflowError, match="no transition pauses into it"):
        parse_workflow(broken(raw, not_paused), "f.yaml")

    def forgotten(d):  # type: ignore[no-untyped-def]
        del d["states"]["acceptance_escalated"]["no_clock"]

    unclocked = parse_workflow(broken(raw, forgotten), "f.yaml").unclocked()
    assert unclocked == ["acceptance_escalated"]
