"""Issuing the papers: on a decision (act() calls Papers in its transaction), number the paper,
render it, store the PDF once beside the evidence and chain its SHA-256 through record_event."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.cases.evidence import EvidenceFile, evidence_path, write_file
from odr.cases.models import Case, CaseEvent
from odr.cases.service import record_event
from odr.clock import SHANGHAI
from odr.documents.models import Document
from odr.documents.numbering import document_number, next_seq
from odr.documents.render import Kind, kind_for_trigger, render_pdf
from odr.engine.rules import Rulebook, Rules
from odr.engine.workflow import Workflow
from odr.offices.models import Office
from odr.settings import Settings
from odr.text import DEFAULT, translate

ISSUE_TRIGGER = "issue_document"
MEDIATION_ENDING = "mediation_ending"


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@cache
def _outcomes(directory: Path) -> tuple[dict[str, str], dict[str, str]]:
    """documents.yaml's termination_outcomes and reason_texts."""
    raw = yaml.safe_load((directory / "documents.yaml").read_text(encoding="utf-8")) or {}
    return dict(raw.get("termination_outcomes") or {}), dict(raw.get("reason_texts") or {})


def _last_event(session: Session, case: Case, **where: str) -> CaseEvent | None:
    query = select(CaseEvent).where(CaseEvent.case_id == case.id)
    for column, value in where.items():
        query = query.where(getattr(CaseEvent, column) == value)
    return session.scalars(query.order_by(CaseEvent.seq.desc()).limit(1)).first()


def _rulebook(rules: Rules, case: Case) -> Rulebook | None:
    return next((r for r in rules.rulebooks if r.code == case.rulebook), None)


def paper_context(
    session: Session,
    case: Case,
    kind: Kind,
    decision: CaseEvent,
    workflow: Workflow,
    rules: Rules,
    office: Office,
    number: str,
    documents_dir: Path,
) -> dict[str, Any]:
    """What a paper says: the case, the office, the rulebook's article and the decision."""
    rulebook = _rulebook(rules, case)
    accepted = _last_event(session, case, trigger="accept")
    claim = rules.claim_type_label(case.claim_type)
    mediation = workflow.states.get("mediation")
    payload = decision.payload
    context: dict[str, Any] = {
        "title": kind.title,
        "number": number,
        "office_name": office.name,
        "issued_on": chinese_date(decision.occurred_at.astimezone(SHANGHAI).date()),
        "case_number": case.number,
        "complainant_name": case.complainant_name,
        "respondent_name": case.respondent_name,
        "respondent_uscc": case.respondent_uscc or "",
        "product": case.product or "",
        "claim": translate(claim, DEFAULT) or case.claim_type,
        "received_on": chinese_date(case.received_at.astimezone(SHANGHAI).date()),
        "accepted_on": chinese_date(accepted.occurred_at.astimezone(SHANGHAI).date())
        if accepted
        else "",
        "mediation_days": mediation.clock.days if mediation and mediation.clock else 45,
        "rulebook_title": f"《{rulebook.title.get('zh', rulebook.code)}》" if rulebook else "",
        "article": rulebook.article(kind.code) if rulebook else "",
        "note": payload.get("note") or "",
        "notice": payload.get("notice") or "",
    }
    if kind.code == "rejection_notice":
        ground = str(payload.get("ground", ""))
        context["ground"] = workflow.label("rejection_grounds", ground)
        context["article"] = (
            rulebook.article(f"rejection_grounds.{ground}", "rejection_grounds._")
            if rulebook
            else ""
        )
    elif kind.code == "termination_notice":
        context |= _termination(session, case, workflow, rulebook, documents_dir)
    elif kind.code == "mediation_agreement":
        context["terms"] = payload.get("terms", "")
        for party in ("consumer_confirmation", "respondent_confirmation"):
            context[party] = workflow.label("confirmations", str(payload.get(party, "")))
    elif kind.code == "report_result_notice":
        decided = _last_event(session, case, trigger="decide")
        found = decided.payload if decided else {}
        context["decision"] = workflow.label("report_decisions", str(found.get("decision", "")))
        context["reference"] = found.get("reference") or ""
        context["note"] = found.get("note") or ""
    return context


def _termination(
    session: Session,
    case: Case,
    workflow: Workflow,
    rulebook: Rulebook | None,
    documents_dir: Path,
) -> dict[str, Any]:
    """Why mediation ended: the reason typed when it was ended, else the one its outcome names."""
    ended = _last_event(session, case, to_state=MEDIATION_ENDING)
    payload = ended.payload if ended else {}
    outcomes, texts = _outcomes(documents_dir)
    code = str(payload.get("reason") or outcomes.get(case.outcome or "", ""))
    reason = texts.get(code) or workflow.label("termination_reasons", code)
    article = (
        rulebook.article(f"termination_reasons.{code}", "termination_reasons._") if rulebook else ""
    )
    return {"reason": reason, "article": article, "note": payload.get("note") or ""}


@dataclass(frozen=True)
class Papers:
    """The document issuer act() is given (odr.cases.service.DocumentIssuer)."""

    documents_dir: Path
    store_dir: Path  # the evidence folder: files by SHA-256
    font: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Papers:
        return cls(settings.documents_dir, settings.evidence_dir, settings.document_font)

    def __call__(
        self,
        session: Session,
        case: Case,
        decision: CaseEvent,
        workflow: Workflow,
        actor: Actor,
        rules: Rules,
        now: datetime,
    ) -> Mapping[str, Any]:
        kind = kind_for_trigger(self.documents_dir, decision.trigger)
        if kind is None or case.office_id is None:
            return {}
        document = issue(session, case, kind, decision, workflow, actor, rules, now, self)
        return {"documents": [attachment_of(document)]}


def attachment_of(document: Document) -> dict[str, Any]:
    """What a notice carries of a paper: the dispatcher attaches the file (by its path under
    the store and its hash, checked before sending) to the e-mail."""
    return {
        "number": document.number,
        "filename": document.filename,
        "sha256": document.sha256,
        "path": f"{document.sha256[:2]}/{document.sha256}",
    }


def issue(
    session: Session,
    case: Case,
    kind: Kind,
    decision: CaseEvent,
    workflow: Workflow,
    actor: Actor,
    rules: Rules,
    now: datetime,
    papers: Papers,
) -> Document:
    """Number, render and store the paper; chain its hash on the case (issue_document)."""
    office = session.get(Office, case.office_id)
    assert office is not None
    year = now.astimezone(SHANGHAI).year
    seq = next_seq(session, office.id, year, kind.code)
    number = document_number(office, kind.word, year, seq)
    context = paper_context(
        session, case, kind, decision, workflow, rules, office, number, papers.documents_dir
    )
    pdf = render_pdf(papers.documents_dir, kind.code, context, papers.font)
    stored = EvidenceFile(f"{kind.title}-{case.number}.pdf", "application/pdf", pdf)
    write_file(papers.store_dir, stored)
    event = record_event(
        session,
        case,
        ISSUE_TRIGGER,
        actor,
        {
            "kind": kind.code,
            "number": number,
            "filename": stored.filename,
            "sha256": stored.sha256,
            "decision_seq": decision.seq,
        },
        now=now,
    )
    document = Document(
        case_id=case.id,
        kind=kind.code,
        title=kind.title,
        office_id=office.id,
        year=year,
        seq=seq,
        number=number,
        filename=stored.filename,
        sha256=stored.sha256,
        size=len(pdf),
        decision_seq=decision.seq,
        event_seq=event.seq,
        issued_at=now,
    )
    session.add(document)
    session.flush()
    return document


def stored_path(store_dir: Path, document: Document) -> Path:
    return evidence_path(store_dir, document.sha256)


def case_documents(session: Session, case: Case) -> list[Document]:
    """A case's papers in the order issued."""
    return list(
        session.scalars(select(Document).where(Document.case_id == case.id).order_by(Document.id))
    )
