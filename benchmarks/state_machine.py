"""Benchmark: one shared transitions Machine per workflow against a Machine per case.

Drives a population of cases along the standard track (received -> negotiation -> offer_pending
-> acceptance -> mediation -> mediated) and reports transitions per second and bytes per case:
(a) the shared machine fired through its events, (b) the same through `Workflow.fire`, and the
anti-pattern (c) a Machine built for every case from the same workflow definition.

Run: python benchmarks/state_machine.py [--transitions N]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple

from transitions import Machine

from odr.engine.workflow import Workflow, load_workflow
from odr.settings import SOURCE_ROOT

WORKFLOW_PATH = SOURCE_ROOT / "workflows" / "odr_standard.yaml"
RESULTS_PATH = Path(__file__).resolve().parent / "results" / "state_machine.json"
DEFAULT_TRANSITIONS = 100_000
# A Machine per case costs ~0.7 ms to build: its N is capped so the run stays well under a minute.
BASELINE_CAP = 10_000
MEMORY_CASES = 1_000
WARMUP_CASES = 50
REPEAT = 3
FINAL_STATE = "mediated"
Definition = tuple[list[str], list[dict[str, Any]]]


class Step(NamedTuple):
    """One transition of the path: the trigger, who fires it, and the data given."""

    trigger: str
    role: str
    data: Mapping[str, Any]


PATH: tuple[Step, ...] = (
    Step("route", "system", {}),
    Step(
        "propose_settlement",
        "enterprise",
        {"remedy": "refund", "amount": "128.50", "message": "We will refund the faulty kettle."},
    ),
    Step("reject_offer", "consumer", {"reason": "The refund does not cover the delivery fee."}),
    Step("accept", "regulator", {"note": "Within our remit; mediation scheduled."}),
    Step(
        "record_agreement",
        "regulator",
        {
            "terms": "Full refund plus delivery fee in 7 days.",
            "consumer_confirmation": "confirmed",
            "respondent_confirmation": "confirmed",
        },
    ),
)


@dataclass
class BenchCase:
    """A lightweight case row: the attributes the workflow's conditions read, and its state."""

    state: str
    enterprise_id: int | None
    respondent_id: int | None
    office_id: int | None


@dataclass(frozen=True)
class Timing:
    """The best of the repetitions of one variant, with what its last run produced."""

    transitions: int
    cases: int
    seconds: float
    fired: int
    final_states: dict[str, int]
    creation_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The figures of this variant, per transition and per second."""
        result: dict[str, Any] = {
            "transitions": self.transitions,
            "cases": self.cases,
            "best_seconds": self.seconds,
            "transitions_per_second": self.transitions / self.seconds,
            "microseconds_per_transition": self.seconds / self.transitions * 1e6,
            "transitions_fired": self.fired,
            "final_states": self.final_states,
        }
        if self.creation_seconds:
            result["machine_creation_microseconds_per_case"] = (
                self.creation_seconds / self.cases * 1e6
            )
        return result


# --- the workload --------------------------------------------------------------------------


def new_case(i: int, initial: str) -> BenchCase:
    """A fresh case whose respondent is an enrolled ODR enterprise."""
    return BenchCase(initial, 10_000 + i, 20_000 + i, 300 + i % 50)


def new_cases(count: int, initial: str) -> list[BenchCase]:
    """A population of fresh cases."""
    return [new_case(i, initial) for i in range(count)]


def check_path(workflow: Workflow) -> list[str]:
    """The states the path visits; fails unless each step is allowed and its data valid."""
    case, states = new_case(0, workflow.initial), [workflow.initial]
    for step in PATH:
        taken = workflow.fire(case, step.trigger, step.role, step.data)
        workflow.clean(taken, step.data)
        states.append(case.state)
    if case.state != FINAL_STATE:
        raise RuntimeError(f"the path ends in '{case.state}', not '{FINAL_STATE}'")
    return states


def machine_definition(workflow: Workflow) -> Definition:
    """The states and transitions of the workflow, with the shared machine's condition callables."""
    transitions: list[dict[str, Any]] = []
    for t in workflow.transitions:
        dest = None if t.internal else t.dest  # internal transitions stay in their state
        for source in t.sources:
            shared = next(
                x for x in workflow.machine.events[t.trigger].transitions[source] if x.dest == dest
            )
            conditions = [c.func for c in shared.conditions]
            transitions.append(
                {"trigger": t.trigger, "source": source, "dest": dest, "conditions": conditions}
            )
    return list(workflow.states), transitions


def machine_per_case(workflow: Workflow, definition: Definition, case: BenchCase) -> Machine:
    """The anti-pattern: a Machine bound to one case, built from the workflow definition."""
    states, transitions = definition
    return Machine(
        model=case,
        states=states,
        transitions=transitions,
        initial=workflow.initial,
        auto_transitions=False,
        send_event=True,
        model_attribute="state",
    )


def run_shared_events(workflow: Workflow, cases: Sequence[BenchCase]) -> int:
    """Fire the path on every case through the shared machine's events; the count fired."""
    fired = 0
    for step in PATH:
        trigger = workflow.machine.events[step.trigger].trigger
        data, role = step.data, step.role
        for case in cases:
            fired += trigger(case, data=data, role=role)
    return fired


def run_shared_fire(workflow: Workflow, cases: Sequence[BenchCase]) -> int:
    """Fire the path on every case through Workflow.fire (role check, candidate lookup)."""
    fired = 0
    fire = workflow.fire
    for step in PATH:
        for case in cases:
            fire(case, step.trigger, step.role, step.data)
            fired += 1
    return fired


def run_per_case(machines: Sequence[Machine], cases: Sequence[BenchCase]) -> int:
    """Fire the path on every case through its own machine's events; the count fired."""
    fired = 0
    for step in PATH:
        data, role = step.data, step.role
        for case, machine in zip(cases, machines, strict=True):
            fired += machine.events[step.trigger].trigger(case, data=data, role=role)
    return fired


# --- measuring -----------------------------------------------------------------------------


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    """Run an action with the garbage collector off (as timeit does); seconds and its result."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        result = action()
        return time.perf_counter() - start, result
    finally:
        gc.enable()


def final_states(cases: Sequence[BenchCase]) -> dict[str, int]:
    """How many cases end in each state."""
    return dict(Counter(case.state for case in cases))


def verified(fired: int, expected: int, cases: Sequence[BenchCase]) -> dict[str, int]:
    """The final states, after checking every transition fired and every case is mediated."""
    states = final_states(cases)
    if fired != expected or states != {FINAL_STATE: len(cases)}:
        raise RuntimeError(f"fired {fired} of {expected}; final states {states}")
    return states


def bench_shared(
    workflow: Workflow, runner: Callable[[Workflow, Sequence[BenchCase]], int], transitions: int
) -> Timing:
    """Best of REPEAT runs of a shared-machine variant over fresh cases."""
    count = transitions // len(PATH)
    runner(workflow, new_cases(min(WARMUP_CASES, count), workflow.initial))
    best, fired, states = float("inf"), 0, {}
    for _ in range(REPEAT):
        cases = new_cases(count, workflow.initial)
        seconds, fired = timed(lambda cases=cases: runner(workflow, cases))
        states = verified(fired, transitions, cases)
        best = min(best, seconds)
    return Timing(transitions, count, best, fired, states)


def bench_per_case(workflow: Workflow, transitions: int) -> tuple[Timing, Timing]:
    """Best of REPEAT runs of a Machine per case: including its creation, and excluding it."""
    count = transitions // len(PATH)
    definition = machine_definition(workflow)
    warm = new_cases(min(WARMUP_CASES, count), workflow.initial)
    run_per_case([machine_per_case(workflow, definition, c) for c in warm], warm)
    best_total, best_fire, best_create, fired, states = float("inf"), float("inf"), 0.0, 0, {}
    for _ in range(REPEAT):
        cases = new_cases(count, workflow.initial)
        create, machines = timed(
            lambda cases=cases: [machine_per_case(workflow, definition, c) for c in cases]
        )
        fire, fired = timed(lambda cases=cases, machines=machines: run_per_case(machines, cases))
        states = verified(fired, transitions, cases)
        if create + fire < best_total:
            best_total, best_create = create + fire, create
        best_fire = min(best_fire, fire)
        del machines, cases
    with_creation = Timing(transitions, count, best_total, fired, states, best_create)
    return with_creation, Timing(transitions, count, best_fire, fired, states)


def bytes_per_case(build: Callable[[int], object], count: int) -> float:
    """Bytes still allocated per object after building `count` of them and keeping them alive."""
    build(0)  # warm-up: first-use caches are not a per-case cost
    keep: list[object] = [None] * count
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            keep[i] = build(i)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return (after - before) / count


def bench_memory(workflow: Workflow, count: int) -> dict[str, Any]:
    """Bytes per case kept alive: the case alone (shared), the case and its Machine (per case)."""
    definition = machine_definition(workflow)

    def case(i: int) -> BenchCase:
        return new_case(i, workflow.initial)

    def case_with_machine(i: int) -> BenchCase:
        c = new_case(i, workflow.initial)
        machine_per_case(workflow, definition, c)  # the case's bound triggers keep it alive
        return c

    shared = bytes_per_case(case, count)
    per_case = bytes_per_case(case_with_machine, count)
    return {
        "cases": count,
        "shared_bytes_per_case": shared,
        "per_case_bytes_per_case": per_case,
    }


# --- reporting -----------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    """Where the figures were measured."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "transitions_version": version("transitions"),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def ratios(speed: Mapping[str, Mapping[str, Any]], memory: Mapping[str, Any]) -> dict[str, float]:
    """Shared over per-case for speed, per-case over shared for memory."""
    tps = {name: figures["transitions_per_second"] for name, figures in speed.items()}
    result = {
        f"speed_{shared}_vs_{per_case}": tps[shared] / tps[per_case]
        for shared in ("shared_events", "shared_fire")
        for per_case in ("per_case_with_creation", "per_case_excluding_creation")
    }
    result["memory_per_case_vs_shared"] = (
        memory["per_case_bytes_per_case"] / memory["shared_bytes_per_case"]
    )
    return result


LABELS = {
    "shared_events": "shared machine, events",
    "shared_fire": "shared machine, workflow.fire",
    "per_case_with_creation": "machine per case, incl. creation",
    "per_case_excluding_creation": "machine per case, excl. creation",
}


def table(results: Mapping[str, Any]) -> str:
    """The results as a plain-text table."""
    info, work, speed = results["machine"], results["workload"], results["speed"]
    memory, ratio = results["memory"], results["ratios"]
    lines = [
        f"odr state machine benchmark: transitions {info['transitions_version']}, "
        f"Python {info['python']}, {info['platform']}, {info['cpu_count']} CPUs, {info['date']}",
        f"workload: {' -> '.join(work['path'])} ({work['transitions_per_case']} transitions/case)",
        "",
        f"{'speed (best of ' + str(work['repeat']) + ')':<36}{'transitions':>12}"
        f"{'us/transition':>15}{'transitions/s':>15}",
    ]
    for name, label in LABELS.items():
        f = speed[name]
        lines.append(
            f"{label:<36}{f['transitions']:>12,}{f['microseconds_per_transition']:>15.2f}"
            f"{f['transitions_per_second']:>15,.0f}"
        )
    creation = speed["per_case_with_creation"]["machine_creation_microseconds_per_case"]
    lines += [
        f"  (building one Machine per case: {creation:,.0f} us)",
        "",
        f"memory per case (tracemalloc, {memory['cases']:,} cases kept alive)",
        f"{'shared machine: the case alone':<36}{memory['shared_bytes_per_case']:>12,.0f} bytes",
        f"{'machine per case: case + Machine':<36}{memory['per_case_bytes_per_case']:>12,.0f} bytes",
        "",
        "ratios",
    ]
    for name, value in ratio.items():
        lines.append(f"{name:<60}{value:>10.1f}x")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line; N must be a whole number of case paths."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transitions", type=int, default=DEFAULT_TRANSITIONS, metavar="N")
    parser.add_argument(
        "--baseline-transitions",
        type=int,
        metavar="M",
        help=f"transitions for the Machine-per-case baseline (default: min(N, {BASELINE_CAP:,}))",
    )
    parser.add_argument("--memory-cases", type=int, default=MEMORY_CASES)
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    args = parser.parse_args(argv)
    if args.baseline_transitions is None:
        args.baseline_transitions = min(args.transitions, BASELINE_CAP)
    for name in ("transitions", "baseline_transitions"):
        value = getattr(args, name)
        if value <= 0 or value % len(PATH):
            parser.error(f"--{name.replace('_', '-')} must be a positive multiple of {len(PATH)}")
    if args.memory_cases <= 0:
        parser.error("--memory-cases must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the table, write the JSON; return the results."""
    args = parse_args(argv)
    workflow = load_workflow(WORKFLOW_PATH)
    visited = check_path(workflow)
    with_creation, excluding_creation = bench_per_case(workflow, args.baseline_transitions)
    speed = {
        "shared_events": bench_shared(workflow, run_shared_events, args.transitions).as_dict(),
        "shared_fire": bench_shared(workflow, run_shared_fire, args.transitions).as_dict(),
        "per_case_with_creation": with_creation.as_dict(),
        "per_case_excluding_creation": excluding_creation.as_dict(),
    }
    memory_cases = min(args.memory_cases, args.transitions // len(PATH))
    memory = bench_memory(workflow, memory_cases)
    results = {
        "machine": machine_info(),
        "workload": {
            "workflow": workflow.name,
            "path": visited,
            "triggers": [step.trigger for step in PATH],
            "final_state": FINAL_STATE,
            "transitions_per_case": len(PATH),
            "transitions": args.transitions,
            "baseline_transitions": args.baseline_transitions,
            "repeat": REPEAT,
            "gc_disabled_while_timed": True,
        },
        "speed": speed,
        "memory": memory,
        "ratios": ratios(speed, memory),
    }
    print(table(results))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.output}", file=sys.stderr)
    return results


if __name__ == "__main__":
    main()
