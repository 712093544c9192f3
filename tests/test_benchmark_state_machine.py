"""The state machine benchmark runs end to end on a small N; it never asserts on time."""

from __future__ import annotations

import importlib.util
import json
import sys
from types import ModuleType

import pytest

from odr.settings import SOURCE_ROOT

SCRIPT = SOURCE_ROOT / "benchmarks" / "state_machine.py"
N = 600
VARIANTS = (
    "shared_events",
    "shared_fire",
    "per_case_with_creation",
    "per_case_excluding_creation",
)


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """The benchmark script, imported as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("odr_bench_state_machine", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results(bench: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> dict:
    output = tmp_path_factory.mktemp("bench") / "state_machine.json"
    results = bench.main(["--transitions", str(N), "--output", str(output)])
    assert json.loads(output.read_text(encoding="utf-8")) == results
    return results


def test_results_are_complete(results: dict) -> None:
    assert set(results) == {"machine", "workload", "speed", "memory", "ratios"}
    assert {"python", "platform", "cpu_count", "date"} <= set(results["machine"])
    assert set(results["speed"]) == set(VARIANTS)
    for figures in results["speed"].values():
        assert figures["transitions_per_second"] > 0
        assert figures["microseconds_per_transition"] > 0
    creation = results["speed"]["per_case_with_creation"]
    assert creation["machine_creation_microseconds_per_case"] > 0
    assert results["memory"]["shared_bytes_per_case"] > 0
    assert results["memory"]["per_case_bytes_per_case"] > 0
    assert len(results["ratios"]) == 5
    assert all(value > 0 for value in results["ratios"].values())


def test_every_case_is_mediated_and_every_transition_fired(results: dict) -> None:
    workload = results["workload"]
    assert workload["path"][0] == "received" and workload["path"][-1] == "mediated"
    assert workload["transitions"] == workload["baseline_transitions"] == N
    for figures in results["speed"].values():
        cases = N // workload["transitions_per_case"]
        assert figures["transitions"] == figures["transitions_fired"] == N
        assert figures["final_states"] == {"mediated": cases}


def test_baseline_uses_the_same_conditions(bench: ModuleType) -> None:
    workflow = bench.load_workflow(bench.WORKFLOW_PATH)
    shared = {
        (event.name, t.source, t.dest, c.func)
        for event in workflow.machine.events.values()
        for ts in event.transitions.values()
        for t in ts
        for c in t.conditions
    }
    case = bench.new_case(0, workflow.initial)
    machine = bench.machine_per_case(workflow, bench.machine_definition(workflow), case)
    own = {
        (event.name, t.source, t.dest, c.func)
        for event in machine.events.values()
        for ts in event.transitions.values()
        for t in ts
        for c in t.conditions
    }
    assert own == shared and shared


def test_n_must_be_whole_case_paths(bench: ModuleType) -> None:
    with pytest.raises(SystemExit):
        bench.parse_args(["--transitions", "601"])
