"""One door: only the service (odr/cases/service.py, its batch forms in odr/cases/bulk.py, a
whole past filed at once in odr/cases/history.py) writes a case's state, clock and chain head,
or a CaseEvent. This reads every module of odr/ and names each line elsewhere that does."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

import odr
from odr.auth.actor import SYSTEM
from odr.cases.models import Case
from odr.cases.service import MOVED_COLUMNS, record_event

PACKAGE = Path(odr.__file__).parent
# The door, and the steps only it calls: the clock moves on the case the service hands it,
# the workflow's machine sets the state of the case it fires on, and each database's loader
# inserts the rows history.load_rows hands it (built by the door's steps).
DOOR = {
    "cases/service.py",
    "cases/bulk.py",
    "cases/history.py",
    "cases/clocks.py",
    "engine/workflow.py",
    "db/bulk_load.py",
}
# What other code may change of a stored event: the personal-data purge masks payloads and
# actor labels (its purge event records their hashes); the 12315 feed numbers events.
EVENT_COLUMNS_ALLOWED = {
    "cases/privacy.py": {"payload", "actor_label"},
    "intake/feed12315.py": {"feed_position"},
}
# The service's steps, which write what they step: only the door calls them.
STEPS = {
    "odr.cases.service": {
        "append_event",
        "chain_event",
        "duplicate_event",
        "move",
        "_move",
        "start_case",
        "_start",
    },
    "odr.cases.bulk": {"store_changes"},
    "odr.cases.clocks": {"*"},
}
# `.version` names a workflow's version too; a case's own is moved by the ORM or store_changes.
ATTRIBUTES = MOVED_COLUMNS - {"version"}
CASE_TABLES = {"Case", "CASES", "cases"}
EVENT_TABLES = {"CaseEvent", "EVENTS", "case_events"}
EVENT_ATTRIBUTES = {"payload", "actor_label", "actor_role", "actor_id", "trigger", "hash"}
WRITING_ANY_TABLE = re.compile(r"\b(insert\s+into|update|delete\s+from)\s+[\"`]?$", re.IGNORECASE)
WRITING_SQL = re.compile(
    r"\b(insert\s+into|update|delete\s+from)\s+[\"`]?(cases|case_events)\b", re.IGNORECASE
)


def _table_name(node: ast.expr) -> str | None:
    """Case, CASES, Case.__table__, CaseEvent.__table__ ... -> the name it stands for."""
    if isinstance(node, ast.Attribute) and node.attr == "__table__":
        node = node.value
    if isinstance(node, ast.Name):
        return node.id
    return None


def _values_keys(call: ast.Call, parents: dict[ast.AST, ast.AST]) -> set[str] | None:
    """The columns an update(...) chain sets through .values(k=...); None if it cannot tell."""
    keys: set[str] = set()
    node: ast.AST = call
    while isinstance(parent := parents.get(node), ast.Attribute):
        grand = parents.get(parent)
        if parent.attr == "values" and isinstance(grand, ast.Call):
            if grand.args or any(k.arg is None for k in grand.keywords):
                return None
            keys |= {k.arg for k in grand.keywords if k.arg}
        if not isinstance(grand, ast.Call):
            break
        node = grand
    return keys


def violations(source: str, module: str) -> list[str]:
    """Each line of a module that writes what only the door writes, explained."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    event_columns = EVENT_COLUMNS_ALLOWED.get(module, set())
    found = []

    def flag(node: ast.AST, what: str) -> None:
        found.append(f"{module}:{node.lineno}: {what}")  # type: ignore[attr-defined]

    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        for target in targets:
            for part in ast.walk(target):
                if not isinstance(part, ast.Attribute):
                    continue
                if part.attr in ATTRIBUTES:
                    flag(part, f"writes .{part.attr}")
                elif part.attr in EVENT_ATTRIBUTES - event_columns and module != "auth/actor.py":
                    flag(part, f"writes .{part.attr} (of an event?)")
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name == "setattr" and len(node.args) >= 2:
                column = node.args[1]
                if not isinstance(column, ast.Constant):
                    flag(node, "setattr of a column it cannot name")
                elif column.value in MOVED_COLUMNS:
                    flag(node, f"setattr of {column.value}")
            if name == "CaseEvent":
                flag(node, "creates a CaseEvent")
            if name in {"insert", "delete", "update"} and node.args:
                table = _table_name(node.args[0])
                if table in EVENT_TABLES:
                    keys = _values_keys(node, parents) if name == "update" else None
                    if keys is None or not keys <= event_columns:
                        flag(node, f"{name} of case events")
                elif table in CASE_TABLES:
                    keys = _values_keys(node, parents) if name == "update" else None
                    if keys is None or keys & MOVED_COLUMNS:
                        flag(node, f"{name} of cases")
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and WRITING_SQL.search(node.value)
        ):
            flag(node, "SQL writing cases or case events")
        if isinstance(node, ast.JoinedStr):  # f"INSERT INTO {table} ...": any table
            parts = node.values
            for before, after in zip(parts, parts[1:], strict=False):
                if (
                    isinstance(before, ast.Constant)
                    and isinstance(after, ast.FormattedValue)
                    and WRITING_ANY_TABLE.search(str(before.value))
                ):
                    flag(node, "SQL writing a table it names at run time")
        if isinstance(node, ast.ImportFrom) and node.module in STEPS:
            steps = STEPS[node.module]
            for alias in node.names:
                if "*" in steps or alias.name in steps:
                    flag(node, f"imports the service's step {node.module}.{alias.name}")
    return found


def _modules() -> list[tuple[str, Path]]:
    return [
        (path.relative_to(PACKAGE).as_posix(), path)
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
    ]


def test_only_the_service_writes_a_cases_state_clock_and_chain():
    found = [
        line
        for module, path in _modules()
        if module not in DOOR
        for line in violations(path.read_text(encoding="utf-8"), module)
    ]
    assert found == []


@pytest.mark.parametrize(
    "source, what",
    [
        ("case.state = 'closed'", "writes .state"),
        ("case.due_at, case.x = None, 1", "writes .due_at"),
        ("case.event_count += 1", "writes .event_count"),
        ("setattr(case, 'last_event_hash', h)", "setattr of last_event_hash"),
        ("setattr(case, column, value)", "setattr of a column it cannot name"),
        ("session.add(CaseEvent(case_id=1))", "creates a CaseEvent"),
        ("s.execute(insert(CaseEvent.__table__), rows)", "insert of case events"),
        ("s.execute(update(Case).values(state='x'))", "update of cases"),
        ("s.execute(update(CASES).where(w).values({'a': 1}))", "update of cases"),
        ("s.execute(update(CaseEvent).values(hash='x'))", "update of case events"),
        ("s.execute(delete(CaseEvent).where(w))", "delete of case events"),
        ("raw.execute('UPDATE cases SET state = ?', x)", "SQL writing cases or case events"),
        ("raw.executemany('INSERT INTO case_events (id) VALUES (?)', x)", "SQL writing"),
        ('raw.executemany(f"INSERT INTO {table} ({names}) VALUES (?)", r)', "names at run time"),
        ("from odr.cases.service import append_event", "imports the service's step"),
        ("from odr.cases.clocks import start_clock", "imports the service's step"),
        ("event.payload = {}", "writes .payload"),
    ],
)
def test_the_rule_names_each_way_of_writing_around_the_door(source, what):
    found = violations(source, "somewhere/else.py")
    assert len(found) == 1 and what in found[0], found


@pytest.mark.parametrize(
    "source",
    [
        "case.rating = 5",
        "s.execute(update(Case).where(w).values(complainant_name='x'))",
        "from odr.cases.service import act, record_event",
        "raw.execute('SELECT state FROM cases')",
        'raw.execute(f"SELECT {column} FROM cases")',
    ],
)
def test_the_rule_lets_other_writes_pass(source):
    assert violations(source, "somewhere/else.py") == []


def test_what_the_purge_and_feed_may_change_of_an_event_is_narrow():
    purge = "event.payload, event.actor_label = p, label"
    assert violations(purge, "cases/privacy.py") == []
    assert violations("event.hash = h", "cases/privacy.py") != []
    assert violations("update(CaseEvent).values(feed_position=1)", "intake/feed12315.py") == []
    assert violations("update(CaseEvent).values(seq=1)", "intake/feed12315.py") != []


def test_an_event_without_a_move_may_not_change_state_clock_or_chain(factory):
    case = Case(number="ODR-ONE-DOOR", state="negotiation", event_count=3, last_event_hash="h")
    now = datetime(2026, 12, 5, tzinfo=UTC)
    with factory() as session:
        for column in ("state", "due_at", "event_count", "last_event_hash", "version"):
            with pytest.raises(ValueError, match=column):
                record_event(session, case, "note", SYSTEM, {}, now=now, changes={column: None})
        assert not session.new
    assert (case.state, case.event_count, case.last_event_hash) == ("negotiation", 3, "h")
