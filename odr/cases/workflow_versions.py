"""Workflow versions: a changed YAML file becomes a new version, and running cases keep theirs."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from odr.cases.chain import canonical_json
from odr.cases.models import WorkflowVersion
from odr.engine.rules import Rules
from odr.engine.workflow import Workflow, parse_workflow


def definition_sha(workflow: Workflow) -> str:
    return hashlib.sha256(canonical_json(workflow.definition).encode("utf-8")).hexdigest()


def _stored(session: Session, workflow: Workflow, sha: str, now: datetime) -> WorkflowVersion:
    """The stored version of this definition, stored now as the next version if it is new."""
    found = session.scalar(
        select(WorkflowVersion).where(
            WorkflowVersion.name == workflow.name, WorkflowVersion.sha256 == sha
        )
    )
    if found is not None:
        return found
    latest = session.scalar(
        select(func.max(WorkflowVersion.version)).where(WorkflowVersion.name == workflow.name)
    )
    row = WorkflowVersion(
        name=workflow.name,
        version=(latest or 0) + 1,
        sha256=sha,
        definition=workflow.definition,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another process stored it at the same moment
        return _stored(session, workflow, sha, now)
    return row


def pin_versions(session: Session, rules: Rules, now: datetime) -> None:
    """Give each current workflow its stored version number and load the older versions."""
    for workflow in rules.workflows.values():
        current = _stored(session, workflow, definition_sha(workflow), now)
        workflow.version = current.version
        for row in session.scalars(
            select(WorkflowVersion).where(
                WorkflowVersion.name == workflow.name, WorkflowVersion.id != current.id
            )
        ):
            if (row.name, row.version) not in rules.versions:
                older = parse_workflow(row.definition, f"{row.name} v{row.version} (stored)")
                older.version = row.version
                rules.versions[(row.name, row.version)] = older
