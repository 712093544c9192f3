"""Workflows as data: load and validate a YAML definition, build its one shared Machine, fire it.

One transitions `Machine` per workflow (model=None), shared by every case: events are fired on
the case row itself, so a case costs nothing beyond its row. The engine does no I/O; the case
service writes what it decides.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from transitions import EventData, Machine, MachineError

from odr.engine.conditions import CONDITIONS
from odr.engine.fields import (
    CONTROL_CHARACTERS_ERROR,
    has_control_characters,
    parse_amount,
    without_bidi_controls,
)
from odr.errors import ConditionsNotMet, InvalidData, TransitionNotAllowed
from odr.text import N_, Message

ROLES = ("consumer", "enterprise", "regulator", "system")
# office: the competent office; supervisor: the office above it (overdue alerts up the ladder).
AUDIENCES = ("consumer", "enterprise", "office", "supervisor")
FIELD_TYPES = ("text", "choice", "amount", "office", "file")
# Who becomes the handling office: the intake office (return to intake), or the acting
# regulator's own office (a superior office taking the case over).
ASSIGN_OFFICE = ("intake", "actor")
SETTABLE = ("escalation_reason", "outcome", "recovered_amount")
# Case columns a transition may fill from one of its fields (`record: {column: field}`): the
# classification the regulator confirms, the amount recovered for the consumer (挽回经济损失).
RECORDABLE = ("goods_category", "problem_nature", "recovered_amount")
CLOCK_ACTIONS = ("pause", "resume")
# Why a state that is not terminal runs no clock of its own: a clock another state paused is
# waiting for it (paused), its deadline already passed and the supervisor was told (escalated),
# or routing leaves it at once (routing). Any other open state must run a clock: a case
# without one is never reminded, escalated or counted as overdue.
NO_CLOCK_REASONS = ("paused", "escalated", "routing")
NON_WORKFLOW_FILES = {"calendar.yaml", "rulebooks.yaml", "campaigns.yaml", "classification.yaml"}
# transitions logs every state change at INFO; the case events are our record.
logging.getLogger("transitions").setLevel(logging.WARNING)


class WorkflowError(ValueError):
    """A workflow definition is invalid; the message names the file, the state and the problem."""


@dataclass(frozen=True)
class Clock:
    days: int
    working: bool  # statutory working days, else calendar days
    on_expiry: str
    # Remind the party this many working days before the deadline (largest first).
    reminders: tuple[int, ...] = ()


@dataclass(frozen=True)
class StateDef:
    name: str
    label: Mapping[str, str]
    party: str | None = None
    terminal: bool = False
    clock: Clock | None = None
    no_clock: str | None = None  # one of NO_CLOCK_REASONS


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str
    label: Mapping[str, str]
    required: bool = False
    max_length: int = 2000
    list: str | None = None


@dataclass(frozen=True)
class TransitionDef:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    roles: frozenset[str]
    label: Mapping[str, str]
    conditions: tuple[str, ...] = ()
    fields: tuple[FieldDef, ...] = ()
    set: Mapping[str, str | None] = field(default_factory=dict)
    # Case columns filled from the transition's fields when given (column -> field name).
    record: Mapping[str, str] = field(default_factory=dict)
    notify: Mapping[str, str] = field(default_factory=dict)
    # "pause": the source state's clock stops and keeps what is left; "resume": entering the
    # paused state goes on with what was left instead of a fresh clock.
    clock: str | None = None
    # Stays in its state and leaves the clock alone (a note, a message).
    internal: bool = False
    # Roles that see this event in the timeline (all when empty), e.g. internal notes.
    visible_to: frozenset[str] = frozenset()
    assign_office: str | None = None


class Workflow:
    """A validated workflow and its shared state machine."""

    def __init__(
        self,
        name: str,
        version: int,
        title: Mapping[str, str],
        initial: str,
        states: dict[str, StateDef],
        transitions: list[TransitionDef],
        lists: dict[str, dict[str, Mapping[str, str]]],
        source: str = "<memory>",
        definition: Mapping[str, Any] | None = None,
    ):
        self.name = name
        self.version = version
        self.title = title
        self.initial = initial
        self.states = states
        self.transitions = transitions
        self.lists = lists
        self.source = source
        # The parsed file with its fragments merged in: what a stored version keeps.
        self.definition = dict(definition or {})
        self._by_key = {
            (t.trigger, s, s if t.internal else t.dest): t for t in transitions for s in t.sources
        }
        # (state, trigger) -> its transitions in the order conditions are tried: a case's every
        # move looks them up (the sweep and the imports move thousands a second).
        self._candidates: dict[tuple[str, str], list[TransitionDef]] = {}
        for t in transitions:
            for source in dict.fromkeys(t.sources):  # a source named twice counts once
                self._candidates.setdefault((source, t.trigger), []).append(t)
        self.machine = self._build_machine()

    def _build_machine(self) -> Machine:
        machine = Machine(
            model=None,
            states=list(self.states),
            initial=None,
            auto_transitions=False,
            send_event=True,
            model_attribute="state",
        )
        for t in self.transitions:
            machine.add_transition(
                t.trigger,
                list(t.sources),
                None if t.internal else t.dest,
                # The role goes first: a transition another role may fire is never taken.
                conditions=[_role_allowed(t.roles), *(_condition(name) for name in t.conditions)],
            )
        return machine

    def unclocked(self) -> list[str]:
        """Open states that run no clock and say no reason why (NO_CLOCK_REASONS)."""
        return [
            s.name
            for s in self.states.values()
            if not s.terminal and s.clock is None and s.no_clock is None
        ]

    def candidates(self, state: str, trigger: str) -> list[TransitionDef]:
        """The transitions of a trigger from a state, in the order conditions are tried."""
        return list(self._candidates.get((state, trigger), ()))

    def transition_for(
        self, trigger: str, from_state: str | None, to_state: str
    ) -> TransitionDef | None:
        """The transition an event records (None for events that are not transitions)."""
        return self._by_key.get((trigger, from_state or "", to_state))

    def candidates_for(self, state: str, trigger: str, role: str) -> list[TransitionDef]:
        """The transitions of a trigger from a state that this role may take, in order."""
        return [t for t in self.candidates(state, trigger) if role in t.roles]

    def available(self, state: str, role: str) -> list[TransitionDef]:
        """The triggers this role may fire from this state (one entry per trigger)."""
        seen: dict[str, TransitionDef] = {}
        for t in self.transitions:
            if state in t.sources and role in t.roles and t.trigger not in seen:
                seen[t.trigger] = t
        return list(seen.values())

    def clean(self, transition: TransitionDef, data: Mapping[str, Any]) -> dict[str, Any]:
        """Validate the data of a trigger against its fields; raises InvalidData naming each."""
        errors: dict[str, str] = {}
        clean: dict[str, Any] = {}
        for f in transition.fields:
            raw = data.get(f.name)
            value = raw.strip() if isinstance(raw, str) else raw
            if value in (None, ""):
                if f.required:
                    errors[f.name] = N_("必填")
                continue
            if f.type == "file":
                # A checked upload (odr.cases.evidence.EvidenceFile); the service stores it.
                if not hasattr(value, "sha256"):
                    errors[f.name] = N_("应为上传的文件")
                else:
                    clean[f.name] = value
                continue
            if f.type in ("text", "office"):
                if not isinstance(value, str):
                    errors[f.name] = N_("应为文本")
                elif has_control_characters(value):
                    errors[f.name] = CONTROL_CHARACTERS_ERROR
                elif len(value) > f.max_length:
                    errors[f.name] = Message("不超过%(count)s字", count=f.max_length)
                else:
                    clean[f.name] = without_bidi_controls(value)
            elif f.type == "choice":
                options = self.lists[f.list or ""]
                if value not in options:
                    errors[f.name] = Message("不是可选项：%(choices)s", choices=", ".join(options))
                else:
                    clean[f.name] = value
            elif f.type == "amount":
                try:
                    clean[f.name] = str(parse_amount(value))
                except ValueError as exc:
                    errors[f.name] = str(exc)
        if errors:
            raise InvalidData(errors)
        return clean

    def fire(self, case: Any, trigger: str, role: str, data: Mapping[str, Any]) -> TransitionDef:
        """Fire a trigger on the case row (its `state` changes); return the transition taken."""
        source = case.state
        candidates = self.candidates(source, trigger)
        if not candidates or not any(role in t.roles for t in candidates):
            raise TransitionNotAllowed(f"'{trigger}' is not allowed from '{source}' for {role}")
        try:
            fired = self.machine.events[trigger].trigger(case, data=data, role=role)
        except MachineError as exc:  # pragma: no cover - candidates() already checked
            raise TransitionNotAllowed(str(exc)) from exc
        if not fired:
            raise ConditionsNotMet(f"no transition of '{trigger}' from '{source}' applies")
        return self._by_key[(trigger, source, case.state)]

    def label(self, choice_list: str, code: str, locale: str = "zh") -> str:
        entry = self.lists.get(choice_list, {}).get(code)
        return entry.get(locale, code) if entry else code


def _role_allowed(roles: frozenset[str]) -> Callable[[EventData], bool]:
    return lambda event: event.kwargs.get("role") in roles


def _condition(name: str) -> Callable[[EventData], bool]:
    check = CONDITIONS[name]
    return lambda event: check(event.model, event.kwargs.get("data", {}))


# --- loading and validation ------------------------------------------------------------------


def _label(raw: Any, fallback: str) -> Mapping[str, str]:
    if isinstance(raw, Mapping):
        unknown = set(raw) - {"zh", "en"}
        if unknown:
            # YAML reads `{zh: 甲, en: Closed, settled}` as en "Closed" and a key "settled".
            raise WorkflowError(
                f"label {dict(raw)}: unknown keys {sorted(map(str, unknown))} "
                "(quote an English label that contains a comma)"
            )
        return {str(k): str(v) for k, v in raw.items()}
    return {"zh": fallback, "en": fallback}


def _as_list(raw: Any) -> list[Any]:
    if raw is None:
        return []
    return list(raw) if isinstance(raw, list | tuple) else [raw]


def where_of(transition: TransitionDef) -> str:
    return f"transition '{transition.trigger}'"


def parse_workflow(raw: Any, source: str) -> Workflow:
    """Build a Workflow from parsed YAML, or raise WorkflowError naming source, state, problem."""

    def fail(where: str, problem: str) -> WorkflowError:
        return WorkflowError(f"{source}: {where}: {problem}")

    if not isinstance(raw, Mapping):
        raise fail("file", "expected a mapping with name, initial, states and transitions")
    for key in ("name", "initial", "states", "transitions"):
        if key not in raw:
            raise fail("file", f"missing '{key}'")
    raw_states = raw["states"]
    if not isinstance(raw_states, Mapping) or not raw_states:
        raise fail("states", "expected a non-empty mapping of states")

    lists: dict[str, dict[str, Mapping[str, str]]] = {}
    for list_name, options in (raw.get("lists") or {}).items():
        if not isinstance(options, Mapping) or not options:
            raise fail(f"list '{list_name}'", "expected a non-empty mapping of choices")
        lists[str(list_name)] = {str(k): _label(v, str(k)) for k, v in options.items()}

    states: dict[str, StateDef] = {}
    for name, spec in raw_states.items():
        spec = spec or {}
        if not isinstance(spec, Mapping):
            raise fail(f"state '{name}'", "expected a mapping")
        clock = None
        if "clock" in spec:
            c = spec["clock"] or {}
            working, calendar = c.get("working_days"), c.get("calendar_days")
            days = working if working is not None else calendar
            if (working is None) == (calendar is None) or not isinstance(days, int) or days < 1:
                raise fail(
                    f"state '{name}'",
                    "clock needs exactly one of working_days or calendar_days, a whole number >= 1",
                )
            if not c.get("on_expiry"):
                raise fail(f"state '{name}'", "clock has no on_expiry trigger")
            reminders = c.get("reminders", raw.get("reminders", []))
            if not isinstance(reminders, list) or not all(
                isinstance(r, int) and 1 <= r < days for r in reminders
            ):
                raise fail(
                    f"state '{name}'",
                    f"reminders must be whole numbers of working days from 1 to {days - 1}",
                )
            clock = Clock(
                days=days,
                working=working is not None,
                on_expiry=str(c["on_expiry"]),
                reminders=tuple(sorted(set(reminders), reverse=True)),
            )
        no_clock = spec.get("no_clock")
        if no_clock is not None and (
            no_clock not in NO_CLOCK_REASONS or clock is not None or spec.get("terminal")
        ):
            raise fail(
                f"state '{name}'",
                f"no_clock is for an open state without a clock: {', '.join(NO_CLOCK_REASONS)}",
            )
        party = spec.get("party")
        if party is not None and party not in ROLES:
            raise fail(f"state '{name}'", f"unknown party '{party}' (one of {', '.join(ROLES)})")
        states[str(name)] = StateDef(
            name=str(name),
            label=_label(spec.get("label"), str(name)),
            party=party,
            terminal=bool(spec.get("terminal", False)),
            clock=clock,
            no_clock=no_clock,
        )

    initial = str(raw["initial"])
    if initial not in states:
        raise fail(f"state '{initial}'", "initial state is not defined under states")

    transitions: list[TransitionDef] = []
    seen_keys: set[tuple[str, str, str]] = set()
    for index, spec in enumerate(_as_list(raw["transitions"]), start=1):
        if not isinstance(spec, Mapping) or not spec.get("trigger"):
            raise fail(f"transition #{index}", "expected a mapping with a trigger")
        trigger = str(spec["trigger"])
        where = f"transition '{trigger}' (#{index})"
        sources = tuple(str(s) for s in _as_list(spec.get("source")))
        internal = bool(spec.get("internal", False))
        if not sources:
            raise fail(where, "has no source state")
        if internal and "dest" in spec:
            raise fail(where, "an internal transition stays in its state: give no dest")
        dest_list = list(sources) if internal else [str(spec.get("dest", ""))]
        dest = dest_list[0]
        for state in (*sources, *dest_list):
            if state not in states:
                raise fail(f"state '{state}'", f"unknown state, named in {where}")
        for state in sources:
            # A closed case never leaves its state, but may still record what stays in it
            # (the disclosure of a closed complaint: an objection, a decision, its publication).
            if states[state].terminal and not internal:
                raise fail(f"state '{state}'", f"terminal state is the source of {where}")
            edge = (trigger, state, state if internal else dest)
            if edge in seen_keys:
                raise fail(where, f"duplicate transition from '{state}' to '{edge[2]}'")
            seen_keys.add(edge)
        roles = frozenset(str(r) for r in _as_list(spec.get("roles")))
        if not roles or not roles <= set(ROLES):
            raise fail(where, f"roles must be a non-empty subset of {', '.join(ROLES)}")
        conditions = tuple(str(c) for c in _as_list(spec.get("conditions")))
        for c in conditions:
            if c not in CONDITIONS:
                raise fail(where, f"unknown condition '{c}' (known: {', '.join(CONDITIONS)})")
        fields = []
        for fname, fspec in (spec.get("fields") or {}).items():
            fspec = fspec or {}
            ftype = fspec.get("type", "text")
            if ftype not in FIELD_TYPES:
                raise fail(where, f"field '{fname}' has unknown type '{ftype}'")
            if ftype == "choice" and fspec.get("list") not in lists:
                raise fail(where, f"field '{fname}' names unknown list '{fspec.get('list')}'")
            fields.append(
                FieldDef(
                    name=str(fname),
                    type=ftype,
                    label=_label(fspec.get("label"), str(fname)),
                    required=bool(fspec.get("required", False)),
                    max_length=int(fspec.get("max_length", 2000)),
                    list=fspec.get("list"),
                )
            )
        sets = {str(k): (None if v is None else str(v)) for k, v in (spec.get("set") or {}).items()}
        for attribute in sets:
            if attribute not in SETTABLE:
                raise fail(where, f"cannot set '{attribute}' (only {', '.join(SETTABLE)})")
        records = {str(k): str(v) for k, v in (spec.get("record") or {}).items()}
        for attribute, fname in records.items():
            if attribute not in RECORDABLE:
                raise fail(where, f"cannot record '{attribute}' (only {', '.join(RECORDABLE)})")
            if fname not in {f.name for f in fields}:
                raise fail(where, f"record: '{attribute}' names no field '{fname}'")
        notify = {str(k): str(v) for k, v in (spec.get("notify") or {}).items()}
        for audience in notify:
            if audience not in AUDIENCES:
                raise fail(where, f"unknown notify audience '{audience}'")
        clock_action = spec.get("clock")
        if clock_action is not None and clock_action not in CLOCK_ACTIONS:
            raise fail(where, f"clock must be one of {', '.join(CLOCK_ACTIONS)}")
        assign_office = spec.get("assign_office")
        if assign_office is not None and assign_office not in ASSIGN_OFFICE:
            raise fail(where, f"assign_office must be one of {', '.join(ASSIGN_OFFICE)}")
        if assign_office == "actor" and roles != {"regulator"}:
            raise fail(where, "assign_office: actor is for regulators only")
        visible_to = frozenset(str(r) for r in _as_list(spec.get("visible_to")))
        if not visible_to <= set(ROLES):
            raise fail(where, f"visible_to must name roles among {', '.join(ROLES)}")
        transitions.append(
            TransitionDef(
                trigger=trigger,
                sources=sources,
                dest=dest,
                roles=roles,
                label=_label(spec.get("label"), trigger),
                conditions=conditions,
                fields=tuple(fields),
                set=sets,
                record=records,
                notify=notify,
                clock=clock_action,
                internal=internal,
                visible_to=visible_to,
                assign_office=assign_office,
            )
        )

    outgoing: dict[str, list[TransitionDef]] = {s: [] for s in states}
    for t in transitions:
        for s in t.sources:
            if not t.internal:  # a note is no way out of a state
                outgoing[s].append(t)
    for state_def in states.values():
        if state_def.terminal and state_def.clock:
            raise fail(f"state '{state_def.name}'", "a terminal state cannot have a clock")
        if not state_def.terminal and not outgoing[state_def.name]:
            raise fail(f"state '{state_def.name}'", "non-terminal state has no way out")
        if state_def.clock:
            expiry = [
                t
                for t in outgoing[state_def.name]
                if t.trigger == state_def.clock.on_expiry and "system" in t.roles
            ]
            if not expiry:
                raise fail(
                    f"state '{state_def.name}'",
                    f"expiry trigger '{state_def.clock.on_expiry}' does not exist from this state "
                    "(needs a transition with role system)",
                )

    paused_states = {s for t in transitions if t.clock == "pause" for s in t.sources}
    for t in transitions:
        if t.clock == "pause" and any(states[s].clock is None for s in t.sources):
            raise fail(where_of(t), "pauses a state that has no clock")
        if t.clock == "resume" and t.dest not in paused_states:
            raise fail(where_of(t), f"resumes '{t.dest}', which no transition pauses")
    pausing = {t.dest for t in transitions if t.clock == "pause"}
    for state_def in states.values():
        if state_def.no_clock == "paused" and state_def.name not in pausing:
            raise fail(
                f"state '{state_def.name}'", "no_clock: paused, but no transition pauses into it"
            )

    reachable, queue = {initial}, deque([initial])
    while queue:
        for t in outgoing[queue.popleft()]:
            if t.dest not in reachable:
                reachable.add(t.dest)
                queue.append(t.dest)
    for name in states:
        if name not in reachable:
            raise fail(f"state '{name}'", f"unreachable from the initial state '{initial}'")

    version = raw.get("version", 1)
    if not isinstance(version, int):
        raise fail("file", "version must be a whole number")
    return Workflow(
        name=str(raw["name"]),
        version=version,
        title=_label(raw.get("title"), str(raw["name"])),
        initial=initial,
        states=states,
        transitions=transitions,
        lists=lists,
        source=source,
        definition=raw,
    )


def is_workflow_file(path: Path) -> bool:
    """Workflow files, not fragments (`_*.yaml`) nor the calendar and rulebook files."""
    return (
        path.suffix == ".yaml"
        and not path.name.startswith("_")
        and (path.name not in NON_WORKFLOW_FILES)
    )


def read_definition(path: Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A workflow file as data, with the fragments it `include`s merged in (states, lists and
    transitions; the including file's transitions come first)."""
    if path in _seen:
        raise WorkflowError(f"{path}: file: includes itself")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise WorkflowError(f"{path}: file: not valid YAML: {exc}") from exc
    except OSError as exc:
        raise WorkflowError(f"{path}: file: cannot be read: {exc.strerror}") from exc
    if not isinstance(raw, dict):
        raise WorkflowError(f"{path}: file: expected a mapping")
    for name in _as_list(raw.pop("include", None)):
        part = read_definition(path.parent / str(name), (*_seen, path))
        for section in ("states", "lists"):
            mine, theirs = raw.setdefault(section, {}) or {}, part.get(section) or {}
            for key in theirs:
                if key in mine:
                    raise WorkflowError(f"{path}: {section[:-1]} '{key}': also defined in {name}")
            raw[section] = {**mine, **theirs}
        raw["transitions"] = _as_list(raw.get("transitions")) + _as_list(part.get("transitions"))
    return raw


def load_workflow(path: Path) -> Workflow:
    """Load and validate one workflow file (with its included fragments)."""
    return parse_workflow(read_definition(path), str(path))


@cache
def load_workflows(directory: Path) -> dict[str, Workflow]:
    """Every workflow in a folder, by name; cached, since Machines are built once per process."""
    workflows: dict[str, Workflow] = {}
    for path in sorted(directory.glob("*.yaml")):
        if not is_workflow_file(path):
            continue
        workflow = load_workflow(path)
        if workflow.name in workflows:
            raise WorkflowError(f"{path}: file: workflow name '{workflow.name}' is used twice")
        workflows[workflow.name] = workflow
    if not workflows:
        raise WorkflowError(f"{directory}: no workflow files (*.yaml)")
    return workflows
