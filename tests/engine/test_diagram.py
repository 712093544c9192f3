"""Workflow diagrams: every state and transition drawn, Mermaid kept to the forms we emit, and
the README's diagrams current (regenerate them with `odr workflow readme`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from odr.engine.diagram import (
    README_END,
    README_START,
    mermaid,
    readme_block,
    state_ids,
    text,
    update_readme,
)
from odr.engine.workflow import ROLES, TransitionDef, Workflow, load_workflows, parse_workflow
from odr.settings import SOURCE_ROOT

WORKFLOWS = load_workflows(SOURCE_ROOT / "workflows")
ALL = pytest.mark.parametrize("wf", list(WORKFLOWS.values()), ids=list(WORKFLOWS))

ID = r"[A-Za-z][A-Za-z0-9_]*"
# A description: no character Mermaid reads as syntax; <br> is the only markup.
DESC = r"(?:[^#;:\"{}<>%\n]|<br>)+"
ROLE_LIST = rf"(?:{'|'.join(ROLES)})(?:, (?:{'|'.join(ROLES)}))*"
LINE_FORMS = {
    "description": re.compile(rf"    (?P<id>{ID}) : {DESC}"),
    "start": re.compile(rf"    \[\*\] --> (?P<id>{ID})"),
    "edge": re.compile(
        rf"    (?P<src>{ID}) --> (?P<dst>{ID}) : [A-Za-z0-9_]+ \({ROLE_LIST}\)"
        r"(?: · (?:pauses|resumes) the clock)?"
    ),
    "end": re.compile(rf"    (?P<id>{ID}) --> \[\*\]"),
}
KEYWORDS = {"state", "note", "end", "direction", "as", "class", "classdef", "style", "left"}


def roles(t: TransitionDef) -> str:
    return ", ".join(r for r in ROLES if r in t.roles)


def region(readme: str) -> str:
    """The text strictly between the marker lines."""
    lines = readme.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.strip() == README_START]
    ends = [i for i, line in enumerate(lines) if line.strip() == README_END]
    assert len(starts) == 1 and len(ends) == 1 and starts[0] < ends[0], "README markers broken"
    return "".join(lines[starts[0] + 1 : ends[0]])


def check_structure(wf: Workflow) -> list[str]:
    """Every line of the diagram is one form we emit; returns the lines, first one dropped."""
    lines = mermaid(wf).splitlines()
    assert lines[0] == "stateDiagram-v2"
    declared: set[str] = set()
    for line in lines[1:]:
        kinds = [kind for kind, rx in LINE_FORMS.items() if rx.fullmatch(line)]
        assert len(kinds) == 1, f"{wf.name}: unexpected Mermaid line {line!r}"
        match = LINE_FORMS[kinds[0]].fullmatch(line)
        assert match is not None
        if kinds[0] == "description":
            declared.add(match["id"])
        for name in ("id", "src", "dst"):
            ref = match.groupdict().get(name)
            if ref is not None:
                assert ref.lower() not in KEYWORDS, f"{wf.name}: state id {ref!r} is a keyword"
                assert ref in declared, f"{wf.name}: {ref!r} used before its description"
    return lines[1:]


def test_readme_diagrams_are_current() -> None:
    readme = (SOURCE_ROOT / "README.md").read_text(encoding="utf-8")
    assert region(readme) == readme_block(WORKFLOWS.values()), (
        "README.md's workflow diagrams are stale: run `odr workflow readme`"
    )


def test_readme_block_has_every_workflow_by_name() -> None:
    block = readme_block(WORKFLOWS.values())
    headings = [line for line in block.splitlines() if line.startswith("### ")]
    assert len(headings) == len(WORKFLOWS)
    assert block.count("```mermaid\nstateDiagram-v2\n") == len(WORKFLOWS)
    for heading, wf in zip(headings, sorted(WORKFLOWS.values(), key=lambda w: w.name), strict=True):
        assert heading.startswith(f"### {wf.title['zh']}")
        assert heading.endswith(wf.title["en"])


@ALL
def test_mermaid_lines_are_forms_we_emit(wf: Workflow) -> None:
    check_structure(wf)


@ALL
def test_every_state_is_drawn_with_both_labels_and_its_clock(wf: Workflow) -> None:
    lines = mermaid(wf).splitlines()
    ids = state_ids(wf)
    assert len(set(ids.values())) == len(ids)

    def plain(value: str) -> str:  # labels lose only punctuation when made safe
        return " ".join(re.sub(r"[^\w\s]", " ", value).split())

    for name, state in wf.states.items():
        own = [line for line in lines if line.startswith(f"    {ids[name]} : ")]
        assert own, f"{wf.name}: state {name} is not drawn"
        title = plain(own[0])
        assert plain(state.label["zh"]) in title and plain(state.label["en"]) in title
        if state.clock:
            unit = "working day" if state.clock.working else "calendar day"
            assert any(f"{state.clock.days} {unit}" in line for line in own), name
        if state.party:
            assert any(f"party {state.party}" in line for line in own), name
        if state.terminal:
            assert f"    {ids[name]} --> [*]" in lines
    assert lines.count(f"    [*] --> {ids[wf.initial]}") == 1


@ALL
def test_every_transition_is_drawn(wf: Workflow) -> None:
    lines = mermaid(wf).splitlines()
    ids = state_ids(wf)
    edges = [line for line in lines if re.fullmatch(LINE_FORMS["edge"], line)]
    expected = 0
    for t in wf.transitions:
        for source in t.sources:
            if t.internal:
                # Internal triggers stay in their state: listed inside it, never an arrow.
                assert any(
                    line.startswith(f"    {ids[source]} : internal ")
                    and f"{t.trigger} ({roles(t)})" in line
                    for line in lines
                ), f"{wf.name}: internal {t.trigger} missing from {source}"
                continue
            expected += 1
            arrow = f"    {ids[source]} --> {ids[t.dest]} : {t.trigger} ({roles(t)})"
            assert any(line.startswith(arrow) for line in edges), f"{wf.name}: {arrow.strip()}"
    assert len(edges) == expected


@ALL
def test_text_mentions_every_state_and_trigger(wf: Workflow) -> None:
    outline = text(wf)
    for name in wf.states:
        assert re.search(rf"^{re.escape(name)}: ", outline, re.M), name
    for t in wf.transitions:
        dest = "(stays, internal)" if t.internal else t.dest
        assert f"  {t.trigger} ({roles(t)}) -> {dest}" in outline
        for field in t.fields:
            assert field.name in outline


UNSAFE = {
    "name": "unsafe",
    "title": {"zh": "测试：流程", "en": "Test: flow"},
    "initial": "end",
    "states": {
        "end": {
            "label": {"zh": '开始：#1; "引号"', "en": "Start: #1; {x} <b>50%</b>\nnext"},
            "party": "consumer",
            "clock": {"calendar_days": 1, "on_expiry": "expire"},
        },
        "a-b": {"label": {"zh": "中", "en": "Mid"}},
        "s_a_b": {"label": {"zh": "另", "en": "Other"}},
        "note": {"label": {"zh": "完", "en": "Done"}, "terminal": True},
    },
    "transitions": [
        {"trigger": "go", "source": "end", "dest": "a-b", "roles": ["consumer"]},
        {"trigger": "other", "source": "a-b", "dest": "s_a_b", "roles": ["regulator"]},
        {"trigger": "expire", "source": "end", "dest": "note", "roles": ["system"]},
        {
            "trigger": "finish",
            "source": ["a-b", "s_a_b"],
            "dest": "note",
            "roles": ["system", "consumer"],
        },
        {"trigger": "memo", "source": ["end", "a-b"], "internal": True, "roles": ["consumer"]},
    ],
}


def test_unsafe_names_and_labels_stay_valid_mermaid() -> None:
    wf = parse_workflow(UNSAFE, "<test>")
    ids = state_ids(wf)
    assert ids == {"end": "s_end", "a-b": "s_a_b_2", "s_a_b": "s_a_b", "note": "s_note"}
    lines = check_structure(wf)
    assert "    s_end : 开始：＃1； ”引号”<br>Start： ＃1； （x） ‹b›50％‹/b› next" in lines
    assert "    s_end : party consumer · 1 calendar day" in lines
    assert "    s_a_b_2 --> s_note : finish (consumer, system)" in lines
    assert "  memo (consumer) -> (stays, internal)" in text(wf)


def test_update_readme_rewrites_only_the_region(tmp_path: Path) -> None:
    wf = parse_workflow(UNSAFE, "<test>")
    before = f"# Title\r\n\r\nintro\r\n{README_START}\r\nold\r\n{README_END}\r\ntail, no newline"
    readme = tmp_path / "README.md"
    readme.write_bytes(before.encode())
    assert update_readme(readme, [wf]) is True
    after = readme.read_bytes().decode()
    head, rest = after.split(f"{README_START}\r\n")
    body, tail = rest.split(README_END)
    assert head == "# Title\r\n\r\nintro\r\n"
    assert tail == "\r\ntail, no newline"
    assert body == readme_block([wf]).replace("\n", "\r\n")
    assert update_readme(readme, [wf]) is False
    assert readme.read_bytes().decode() == after


def test_update_readme_needs_both_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"{README_END}\n{README_START}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="workflows:start"):
        update_readme(readme, WORKFLOWS.values())
    assert readme.read_text(encoding="utf-8") == f"{README_END}\n{README_START}\n"
