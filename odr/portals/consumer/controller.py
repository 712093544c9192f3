"""The consumer's pages: the complaint form, the receipt, and tracking a case with its code."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from odr.auth.actor import Actor, consumer_actor
from odr.captures.addresses import form_url
from odr.captures.service import request_capture
from odr.cases.access import load_case
from odr.cases.evidence import EvidenceFile, check_evidence, held_files, hold, release
from odr.cases.followup import rate
from odr.cases.models import Case
from odr.cases.service import check_access_code, submit, submit_report
from odr.clock import utcnow
from odr.engine.classification import GROUPS, Entry
from odr.engine.rules import Rules
from odr.errors import InvalidData
from odr.intake import form_tokens
from odr.intake.complaint import (
    FIELDS,
    GOODS_CATEGORIES,
    MAX_CO_COMPLAINANTS,
    parse_complaint,
    parse_report,
)
from odr.ops.ratelimit import tracking_limit
from odr.portals.case_page import case_context, perform_action
from odr.portals.forms import MAX_ACTION_BYTES, MultipartForm, UrlForm
from odr.settings import Settings
from odr.text import N_, Message

WRONG_CODE = N_("案件编号或查询码不正确")
# Ten files of 10 MB and the text fields.
MAX_FORM_BYTES = 105 * 1024 * 1024


def uploads_of(data: dict[str, Any], name: str = "evidence") -> list[tuple[str, bytes]]:
    """(file name, bytes) of every file sent under a form field."""
    value = data.get(name)
    files = value if isinstance(value, list) else [value]
    return [(f.filename or "evidence", f.file.read()) for f in files if isinstance(f, UploadFile)]


# The form's checkboxes: an unticked one is absent from the post, so it is set to "0" here.
CHECKBOXES = (
    "notify_sms",
    "notify_email",
    "goods_intact",
    "also_report",
    "complainant_representative",
)


def tracked_cases(request: Request) -> list[int]:
    return list(request.session.get("cases", [])) if request.session else []


def remember_case(request: Request, case_id: int) -> None:
    """The consumer proved the access code: this browser may follow the case."""
    cases = [c for c in tracked_cases(request) if c != case_id][-9:] + [case_id]
    request.set_session({**(request.session or {}), "cases": cases})


def consumer_of(request: Request, session: Session, number: str) -> Actor | None:
    """The consumer actor for a case this browser has proven its access code for."""
    case = session.scalar(select(Case).where(Case.number == number))
    if case is None or case.id not in tracked_cases(request):
        return None
    return consumer_actor(case.id, case.complainant_name)


def _report_page(
    rules: Rules,
    values: dict[str, Any],
    errors: dict[str, str],
    token: str,
    status_code: int = 200,
) -> Template:
    return Template(
        "consumer/report_form.html",
        context={
            "values": values,
            "errors": errors,
            "form_token": token,
            "violation_types": rules.workflow("report").lists["violation_types"],
        },
        status_code=status_code,
    )


def _form_page(
    rules: Rules,
    settings: Settings,
    values: dict[str, Any],
    errors: dict[str, str],
    token: str,
    held: list[EvidenceFile] = (),  # type: ignore[assignment]
    status_code: int = 200,
) -> Template:
    workflow = rules.workflow()
    return Template(
        "consumer/complaint_form.html",
        context={
            "values": values,
            "errors": errors,
            "form_token": token,
            "held": held,
            "claim_types": workflow.lists["claim_types"],
            "goods_categories": GOODS_CATEGORIES,
            "consumer_categories": _consumer_categories(rules),
            "violation_types": rules.workflow("report").lists["violation_types"],
            "party_slots": range(1, MAX_CO_COMPLAINANTS + 1),
            "max_files": settings.evidence_max_files,
            "max_bytes": settings.evidence_max_bytes,
        },
        status_code=status_code,
    )


def _consumer_categories(rules: Rules) -> list[tuple[str, list[Entry]]]:
    """The categories the form offers, in the consumer's words, goods first, then services."""
    offered = rules.classification.offered_categories()
    return [(group, [e for e in offered if e.group == group]) for group in GROUPS]


def _evidence(
    data: dict[str, Any], settings: Settings, holder: str
) -> tuple[list[EvidenceFile], list[EvidenceFile], str | None]:
    """The form's evidence: the files held from its earlier sends (less those the consumer
    removed) with those chosen now, each checked; the good ones chosen now; and what is
    wrong, if anything."""
    removed = data.get("remove_evidence") or []
    for sha256 in removed if isinstance(removed, list) else [removed]:
        release(settings.evidence_dir, holder, str(sha256))
    problem = None
    chosen: list[EvidenceFile] = []
    for upload in uploads_of(data):
        try:
            chosen += check_evidence(
                [upload], settings.evidence_max_files, settings.evidence_max_bytes
            )
        except InvalidData as exc:
            problem = problem or exc.errors["evidence"]
    files = {f.sha256: f for f in held_files(settings.evidence_dir, holder)}
    new = [f for f in chosen if f.sha256 not in files]  # one already held, chosen again
    if len(files) + len(new) > settings.evidence_max_files:
        limit = settings.evidence_max_files
        return list(files.values()), [], Message("最多%(count)s个文件", count=limit)
    return [*files.values(), *new], new, problem


def _show_receipt(
    request: Request, db_session: Session, receipt: form_tokens.Receipt
) -> Template | Redirect:
    """The receipt of a filed form: the codes once, on /receipt; or the case a repeat joined."""
    if receipt.duplicate:
        case = db_session.scalar(select(Case).where(Case.number == receipt.numbers[0]))
        return Template(
            "consumer/receipt.html",
            context={"case": case, "access_code": None, "report": None, "duplicate": True},
        )
    for number in receipt.numbers[::2]:
        case_id = db_session.scalar(select(Case.id).where(Case.number == number))
        if case_id is not None:
            remember_case(request, case_id)
    request.set_session({**request.session, "receipt": receipt.numbers})
    return Redirect("/receipt", status_code=303)


class ConsumerController(Controller):
    path = "/"

    @get("/", sync_to_thread=False)
    def complaint_form(
        self, rules: NamedDependency[Rules], settings: NamedDependency[Settings]
    ) -> Template:
        return _form_page(rules, settings, {}, {}, form_tokens.new_token())

    @post("/", sync_to_thread=True, request_max_body_size=MAX_FORM_BYTES)
    def file_complaint(
        self,
        request: Request,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        settings: NamedDependency[Settings],
        data: MultipartForm,
    ) -> Template | Redirect:
        token = data.get("form_token")
        if not form_tokens.is_token(token):
            token = form_tokens.new_token()  # a form rendered before tokens: no replay
        elif first := form_tokens.receipt_of(db_session, token):
            return _show_receipt(request, db_session, first)  # the same form sent again
        holder = form_tokens.token_id(token)
        values = {k: data[k] for k in FIELDS if isinstance(data.get(k), str)}
        for flag in CHECKBOXES:  # an unticked box sends nothing
            values[flag] = "1" if str(data.get(flag, "")).lower() in ("1", "on", "true") else "0"
        errors: dict[str, str] = {}
        complaint = None
        try:
            complaint = parse_complaint(
                values,
                rules.workflow().lists["claim_types"],
                violation_types=rules.workflow("report").lists["violation_types"],
                classification=rules.classification,
            )
        except InvalidData as exc:
            errors.update(exc.errors)
        evidence, chosen, problem = _evidence(data, settings, holder)
        if problem:
            errors["evidence"] = problem
        # A page to capture once the case exists (odr/captures/): checked now, queued below.
        capture_url = str(data.get("capture_url") or "").strip()
        values["capture_url"] = capture_url
        if capture_url:
            try:
                capture_url = form_url(capture_url, settings.capture_allow_loopback)
            except InvalidData as exc:
                errors["capture_url"] = exc.errors["url"]
        if errors or complaint is None:
            # The good files wait for the form's next send: nobody picks them twice.
            hold(settings.evidence_dir, holder, chosen)
            return _form_page(rules, settings, values, errors, token, evidence, status_code=400)
        try:
            submission = submit(
                db_session,
                complaint,
                rules=rules,
                intake_office_code=settings.intake_office_code,
                evidence=evidence,
                evidence_dir=settings.evidence_dir,
            )
        except InvalidData as exc:
            hold(settings.evidence_dir, holder, chosen)
            return _form_page(rules, settings, values, exc.errors, token, evidence, 400)
        if capture_url and not submission.duplicate:
            case = submission.case
            consumer = consumer_actor(case.id, case.complainant_name)
            request_capture(db_session, capture_url, consumer, settings, case=case)
        receipt = form_tokens.Receipt(
            [submission.case.number, submission.access_code], submission.duplicate
        )
        if submission.report is not None:
            receipt.numbers.extend([submission.report.case.number, submission.report.access_code])
        shown = form_tokens.keep_receipt(db_session, token, receipt, utcnow())
        return _show_receipt(request, db_session, shown)

    @get("/report", sync_to_thread=False)
    def report_form(self, rules: NamedDependency[Rules]) -> Template:
        return _report_page(rules, {}, {}, form_tokens.new_token())

    @post("/report", sync_to_thread=True)
    def file_report(
        self,
        request: Request,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        data: UrlForm,
    ) -> Template | Redirect:
        """A report (举报) on its own; anonymous when no name and phone are given. Sent twice
        with its one-time token, it files one report (as the complaint form)."""
        token = data.get("form_token")
        if not form_tokens.is_token(token):
            token = form_tokens.new_token()
        elif first := form_tokens.receipt_of(db_session, token):
            return _show_receipt(request, db_session, first)
        values = {k: v for k, v in data.items() if isinstance(v, str)}
        violation_types = rules.workflow("report").lists["violation_types"]
        try:
            report = parse_report(values, violation_types)
            submission = submit_report(db_session, report, rules=rules)
        except InvalidData as exc:
            return _report_page(rules, values, exc.errors, token, status_code=400)
        receipt = form_tokens.Receipt([submission.case.number, submission.access_code])
        shown = form_tokens.keep_receipt(db_session, token, receipt, utcnow())
        return _show_receipt(request, db_session, shown)

    @get("/receipt", sync_to_thread=True)
    def receipt(
        self,
        request: Request,
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
    ) -> Template | Redirect:
        receipt = (request.session or {}).get("receipt") or []
        number, code = (receipt + [None, None])[:2]
        case = db_session.scalar(select(Case).where(Case.number == number)) if number else None
        if case is None:
            return Redirect("/track", status_code=303)
        report = receipt[2:4] if len(receipt) >= 4 else None
        return Template(
            "consumer/receipt.html",
            context={
                "case": case,
                "access_code": code,
                "report": report,
                "track_url": settings.public_url.rstrip("/") + "/track",
            },
        )

    @get("/track", sync_to_thread=False)
    def track_form(self) -> Template:
        return Template("consumer/track_form.html", context={"values": {}, "error": None})

    @post("/track", sync_to_thread=True, middleware=[tracking_limit])
    def track_lookup(
        self, request: Request, db_session: NamedDependency[Session], data: UrlForm
    ) -> Template | Redirect:
        number = str(data.get("number", "")).strip().upper()[:32]
        code = str(data.get("access_code", "")).strip()[:64]
        case = db_session.scalar(select(Case).where(Case.number == number)) if number else None
        if case is None or not code or not check_access_code(case, code):
            return Template(
                "consumer/track_form.html",
                context={
                    "values": {"number": number},
                    "error": WRONG_CODE,
                },
                status_code=400,
            )
        remember_case(request, case.id)
        return Redirect(f"/track/{case.number}", status_code=303)

    @get("/track/{number:str}", sync_to_thread=True)
    def track_case(
        self,
        request: Request,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        number: FromPath[str],
    ) -> Template | Redirect:
        actor = consumer_of(request, db_session, number)
        if actor is None:
            return Redirect("/track", status_code=303)
        case = load_case(db_session, number, actor)
        return Template("consumer/case.html", context=case_context(db_session, case, actor, rules))

    @post(
        "/track/{number:str}/act/{trigger:str}",
        sync_to_thread=True,
        request_max_body_size=MAX_ACTION_BYTES,
    )
    def consumer_act(
        self,
        request: Request,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        settings: NamedDependency[Settings],
        number: FromPath[str],
        trigger: FromPath[str],
        data: MultipartForm,
    ) -> Template | Redirect:
        actor = consumer_of(request, db_session, number)
        if actor is None:
            return Redirect("/track", status_code=303)
        case = load_case(db_session, number, actor)
        return perform_action(
            db_session,
            case,
            trigger,
            actor,
            data,
            rules,
            settings,
            template="consumer/case.html",
            page_url=f"/track/{number}",
        )

    @post("/track/{number:str}/rating", sync_to_thread=True)
    def rate_outcome(
        self,
        request: Request,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        number: FromPath[str],
        data: UrlForm,
    ) -> Template | Redirect:
        """The follow-up (回访): 1-5 stars and a comment, once, within 60 days of closure."""
        actor = consumer_of(request, db_session, number)
        if actor is None:
            return Redirect("/track", status_code=303)
        case = load_case(db_session, number, actor)
        try:
            rate(
                db_session, case, actor, data.get("rating"), str(data.get("comment", "")), utcnow()
            )
        except InvalidData as exc:
            context = case_context(
                db_session,
                case,
                actor,
                rules,
                errors=exc.errors,
                values={k: v for k, v in data.items() if isinstance(v, str)},
            )
            return Template("consumer/case.html", context=context, status_code=400)
        return Redirect(f"/track/{number}", status_code=303)
