"""Workflows drawn from their definitions: Mermaid state diagrams, a text outline, the README.

`mermaid(workflow)` gives a `stateDiagram-v2` that GitHub renders; `text(workflow)` an outline
for a terminal; `update_readme()` keeps the diagrams of every workflow between two marker lines
of README.md (a test fails when they are stale: run `odr workflow readme`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from odr.engine.workflow import ROLES, Clock, StateDef, TransitionDef, Workflow

__all__ = [
    "README_END",
    "README_START",
    "mermaid",
    "readme_block",
    "readme_region",
    "state_ids",
    "text",
    "transition_label",
    "update_readme",
]

README_START = "<!-- workflows:start -->"
README_END = "<!-- workflows:end -->"

_SAFE_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# Words of Mermaid's state diagram grammar that cannot name a state.
_KEYWORDS = frozenset(
    {"as", "class", "classdef", "direction", "end", "hide", "left", "note", "of", "right"}
    | {"state", "statediagram", "style", "click", "accdescr", "acctitle"}
)
# A description runs from ':' to the end of the line and stops at '#' or ';'; quotes, braces
# and angle brackets would be read as syntax or HTML. Full-width forms read the same.
_UNSAFE = str.maketrans(
    {
        ":": "：",
        ";": "；",
        "#": "＃",
        '"': "”",
        "{": "（",
        "}": "）",
        "<": "‹",
        ">": "›",
        "%": "％",
        "\n": " ",
        "\r": " ",
        "\t": " ",
    }
)


def _clean(value: str) -> str:
    """A label made safe inside a Mermaid description (one line, no syntax characters)."""
    return " ".join(value.translate(_UNSAFE).split())


def _roles(roles: Iterable[str]) -> str:
    """Roles in their fixed order (consumer, enterprise, regulator, system), comma-separated."""
    order = {role: i for i, role in enumerate(ROLES)}
    return ", ".join(sorted(roles, key=lambda r: (order.get(r, len(order)), r)))


def _clock(clock: Clock) -> str:
    unit = "working day" if clock.working else "calendar day"
    return f"{clock.days} {unit}{'' if clock.days == 1 else 's'}"


def _label(state: StateDef, locale: str) -> str:
    return str(state.label.get(locale) or state.name)


def state_ids(workflow: Workflow) -> dict[str, str]:
    """The Mermaid id of each state: its own name when Mermaid accepts it, else a safe one."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for name in workflow.states:
        if _SAFE_ID.fullmatch(name) and name.lower() not in _KEYWORDS:
            ids[name] = name
            taken.add(name)
    for name in workflow.states:
        if name in ids:
            continue
        base = "s_" + re.sub(r"[^A-Za-z0-9_]", "_", name)
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        ids[name] = candidate
        taken.add(candidate)
    return ids


def transition_label(transition: TransitionDef) -> str:
    """The text of an arrow: `trigger (roles)`, plus what it does to the clock."""
    label = f"{_clean(transition.trigger)} ({_roles(transition.roles)})"
    if transition.clock == "pause":
        label += " · pauses the clock"
    elif transition.clock == "resume":
        label += " · resumes the clock"
    return label


def mermaid(workflow: Workflow) -> str:
    """A Mermaid `stateDiagram-v2` of the workflow.

    Each state is a box titled with its Chinese and English labels; a second section names
    the party expected to act, the clock, and the internal triggers (notes), which stay in
    the state and so are not arrows. Arrows read `trigger (roles)`.
    """
    ids = state_ids(workflow)
    lines = ["stateDiagram-v2"]
    for state in workflow.states.values():
        sid = ids[state.name]
        lines.append(f"    {sid} : {_clean(_label(state, 'zh'))}<br>{_clean(_label(state, 'en'))}")
        details = []
        if state.party:
            details.append(f"party {_clean(state.party)}")
        if state.clock:
            details.append(_clock(state.clock))
        if details:
            lines.append(f"    {sid} : {' · '.join(details)}")
        internal = [t for t in workflow.transitions if t.internal and state.name in t.sources]
        if internal:
            notes = ", ".join(transition_label(t) for t in internal)
            lines.append(f"    {sid} : internal {notes}")
    lines.append(f"    [*] --> {ids[workflow.initial]}")
    for t in workflow.transitions:
        if t.internal:
            continue
        for source in t.sources:
            lines.append(f"    {ids[source]} --> {ids[t.dest]} : {transition_label(t)}")
    for state in workflow.states.values():
        if state.terminal:
            lines.append(f"    {ids[state.name]} --> [*]")
    return "\n".join(lines) + "\n"


def _fields(transition: TransitionDef) -> str:
    return ", ".join(f"{f.name}{'*' if f.required else ''}" for f in transition.fields)


def text(workflow: Workflow) -> str:
    """A plain-text outline: each state with its party and clock, then its outgoing triggers.

    Triggers read `trigger (roles) -> dest [conditions] {fields}`; a `*` marks a required field.
    """
    title = " · ".join(
        dict.fromkeys(v for v in (workflow.title.get("zh"), workflow.title.get("en")) if v)
    )
    lines = [
        f"{workflow.name} v{workflow.version}: {title}",
        f"initial: {workflow.initial}",
        "",
    ]
    for state in workflow.states.values():
        head = [f"{state.name}: {_label(state, 'zh')} / {_label(state, 'en')}"]
        if state.party:
            head.append(f"party {state.party}")
        if state.clock:
            clock = state.clock
            detail = f"clock {_clock(clock)}, on expiry {clock.on_expiry}"
            if clock.reminders:
                detail += ", reminders " + ", ".join(str(r) for r in clock.reminders)
            head.append(detail)
        if state.terminal:
            head.append("terminal")
        lines.append(" · ".join(head))
        for t in workflow.transitions:
            if state.name not in t.sources:
                continue
            dest = "(stays, internal)" if t.internal else t.dest
            line = f"  {t.trigger} ({_roles(t.roles)}) -> {dest}"
            if t.conditions:
                line += f" [{', '.join(t.conditions)}]"
            if t.fields:
                line += f" {{{_fields(t)}}}"
            if t.clock:
                line += f" clock {t.clock}"
            if t.visible_to:
                line += f" visible to {_roles(t.visible_to)}"
            lines.append(line)
    lines += ["", "* required field"]
    return "\n".join(lines) + "\n"


def readme_block(workflows: Iterable[Workflow]) -> str:
    """The README section of every workflow by name: a heading, then its Mermaid diagram."""
    parts = []
    for wf in sorted(workflows, key=lambda w: w.name):
        zh, en = wf.title.get("zh") or wf.name, wf.title.get("en") or wf.name
        heading = zh if zh == en else f"{zh} · {en}"
        parts.append(f"### {heading}\n\n```mermaid\n{mermaid(wf)}```\n")
    return "\n".join(parts)


def _marker_span(content: str, path: Path | str = "README.md") -> tuple[int, int]:
    """Offsets of the text strictly between the start and end marker lines."""
    start = end = None
    offset = 0
    for line in content.splitlines(keepends=True):
        stripped = line.strip()
        if stripped == README_START and start is None:
            start = offset + len(line)
        elif stripped == README_END and start is not None and end is None:
            end = offset
        offset += len(line)
    if start is None or end is None:
        raise ValueError(f"{path}: no '{README_START}' line followed by a '{README_END}' line")
    return start, end


def readme_region(content: str) -> str:
    """The text between the marker lines of a README (the generated block)."""
    start, end = _marker_span(content)
    return content[start:end]


def update_readme(readme_path: Path | str, workflows: Iterable[Workflow]) -> bool:
    """Rewrite only the region between the marker lines; return whether the file changed."""
    path = Path(readme_path)
    # Bytes in and out: line endings and everything outside the region stay exactly as they are.
    content = path.read_bytes().decode("utf-8")
    start, end = _marker_span(content, path)
    block = readme_block(workflows)
    if "\r\n" in content:
        block = block.replace("\n", "\r\n")
    if content[start:end] == block:
        return False
    path.write_bytes((content[:start] + block + content[end:]).encode("utf-8"))
    return True
