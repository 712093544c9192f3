"""The papers (文书): issued on the decisions, numbered per office and year, rendered to PDF
with the CJK font embedded, chained on the case, checked by `odr audit verify`."""

from __future__ import annotations

import io
import itertools
import re
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from complaints import submit_form
from pypdf import PdfReader
from sqlalchemy import select

from odr.auth.actor import Actor
from odr.cases.chain import verify_all
from odr.cases.models import Case, CaseEvent
from odr.cases.privacy import purge
from odr.cases.service import act
from odr.cli import main
from odr.documents.models import Document
from odr.documents.privacy import purge_papers
from odr.documents.service import Papers, stored_path
from odr.documents.verify import verify_documents
from odr.notify.models import Notification
from odr.offices.models import Office
from odr.offices.service import by_code, supervised_ids

FILED = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # a Monday: Order 121
SHOP = "南宁市兴宁区好又多便利店"
ORDERS = itertools.count(1)  # not enrolled: straight to the 兴宁区 office (450102)


def regulator(session, code: str) -> Actor:  # type: ignore[no-untyped-def]
    office = by_code(session, code)
    return Actor(
        "regulator",
        f"{office.name} 承办人",
        office_id=office.id,
        office_ids=supervised_ids(session, office.id),
    )


def file(session, rules, filed: datetime = FILED, **overrides: str) -> Case:  # type: ignore[no-untyped-def]
    return submit_form(
        session,
        rules,
        filed,
        respondent_name=SHOP,
        purchase_date="2026-10-30",
        order_number=f"P{next(ORDERS)}",  # no repeat of an open case
        **overrides,
    ).case


def pdf_text(settings, document: Document) -> str:  # type: ignore[no-untyped-def]
    reader = PdfReader(io.BytesIO(stored_path(settings.evidence_dir, document).read_bytes()))
    return "".join(page.extract_text() for page in reader.pages)


def documents_of(session, case: Case) -> list[Document]:  # type: ignore[no-untyped-def]
    return list(
        session.scalars(select(Document).where(Document.case_id == case.id).order_by(Document.id))
    )


def test_a_rejection_names_the_ground_and_the_rulebooks_article(factory, rules, settings):
    papers = Papers.from_settings(settings)
    with factory.begin() as session:
        case = file(session, rules)
        handler = regulator(session, "450102")
        act(
            session,
            case,
            "reject",
            handler,
            {"ground": "time_barred", "note": "超过三年"},
            rules=rules,
            now=FILED + timedelta(days=1),
            documents=papers,
        )
        [document] = documents_of(session, case)
        office = session.get(Office, case.office_id)
        text = pdf_text(settings, document)
        event = session.scalars(
            select(CaseEvent).where(
                CaseEvent.case_id == case.id, CaseEvent.seq == document.event_seq
            )
        ).one()
    assert document.kind == "rejection_notice"
    assert re.fullmatch(r"兴市监不受字〔2026〕第\d{4}号", document.number)
    assert event.trigger == "issue_document" and event.payload["sha256"] == document.sha256
    compact = re.sub(r"\s+", "", text)
    assert case.number in compact
    assert office.name in compact
    assert document.number in compact
    assert "超过三年" in compact  # the ground
    assert "第十六条第（四）项" in compact  # Order 121's article for it
    assert "市场监督管理投诉举报处理办法" in compact


def test_an_acceptance_notice_is_chained_attached_and_verified(factory, rules, settings):
    papers = Papers.from_settings(settings)
    with factory.begin() as session:
        case = file(session, rules)
        act(
            session,
            case,
            "accept",
            regulator(session, "450102"),
            {},
            rules=rules,
            now=FILED + timedelta(days=1),
            documents=papers,
        )
        [document] = documents_of(session, case)
        notices = session.scalars(
            select(Notification).where(
                Notification.case_id == case.id, Notification.kind == "accepted"
            )
        ).all()
        assert notices and all(
            n.context["documents"][0]["sha256"] == document.sha256 for n in notices
        )
        assert list(verify_all(session)) == []
        assert list(verify_documents(session, settings.evidence_dir)) == []
        text = re.sub(r"\s+", "", pdf_text(settings, document))
        assert "受理通知书" in text and case.number in text and "第十七条" in text
        # An altered file is named by the audit.
        path = stored_path(settings.evidence_dir, document)
        original = path.read_bytes()
        try:
            path.write_bytes(original + b"%altered")
            [problem] = verify_documents(session, settings.evidence_dir)
            assert document.number in str(problem) and "altered" in str(problem)
        finally:
            path.write_bytes(original)


def test_numbers_run_on_per_office_year_and_kind(factory, rules, settings):
    papers = Papers.from_settings(settings)
    numbers = []
    with factory.begin() as session:
        for _ in range(3):
            case = file(session, rules)
            act(
                session,
                case,
                "accept",
                regulator(session, "450102"),
                {},
                rules=rules,
                now=FILED,
                documents=papers,
            )
            numbers.append(documents_of(session, case)[0].seq)
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]


def test_a_mediation_agreement_and_a_termination_notice(factory, rules, settings):
    papers = Papers.from_settings(settings)
    later = FILED + timedelta(days=3)
    with factory.begin() as session:
        handler = regulator(session, "450102")
        agreed, ended = file(session, rules), file(session, rules)
        for case in (agreed, ended):
            act(session, case, "accept", handler, {}, rules=rules, now=FILED, documents=papers)
        act(
            session,
            agreed,
            "record_agreement",
            handler,
            {
                "terms": "被投诉人退款人民币三百元",
                "consumer_confirmation": "confirmed",
                "respondent_confirmation": "confirmed",
            },
            rules=rules,
            now=later,
            documents=papers,
        )
        act(
            session,
            ended,
            "terminate",
            handler,
            {"reason": "agreement_impossible"},
            rules=rules,
            now=later,
            documents=papers,
        )
        act(
            session,
            ended,
            "notify_parties",
            handler,
            {"notice": "已电话告知双方"},
            rules=rules,
            now=later,
            documents=papers,
        )
        agreement = documents_of(session, agreed)[-1]
        termination = documents_of(session, ended)[-1]
        agreement_text = re.sub(r"\s+", "", pdf_text(settings, agreement))
        termination_text = re.sub(r"\s+", "", pdf_text(settings, termination))
    assert agreement.kind == "mediation_agreement" and "被投诉人退款人民币三百元" in agreement_text
    assert agreement_text.count("已确认") == 2
    assert termination.kind == "termination_notice"
    assert "一方表示无法达成调解协议" in termination_text
    assert "第二十七条第（四）项" in termination_text


def test_odr_audit_verify_names_an_altered_paper_and_prefixes_are_configured(
    factory, rules, settings, database_url
):
    env = {"ODR_DATABASE_URL": database_url, "ODR_VAR_DIR": str(settings.var_dir)}
    runner = CliRunner()
    shown = runner.invoke(main, ["documents", "prefix", "450102", "兴宁市监"], env=env)
    assert shown.exit_code == 0 and "兴宁市监" in shown.output
    try:
        with factory.begin() as session:
            case = file(session, rules)
            act(
                session,
                case,
                "accept",
                regulator(session, "450102"),
                {},
                rules=rules,
                now=FILED,
                documents=Papers.from_settings(settings),
            )
            [document] = documents_of(session, case)
        assert document.number.startswith("兴宁市监受字〔2026〕第")
        intact = runner.invoke(main, ["audit", "verify"], env=env)
        assert intact.exit_code == 0, intact.output
        path = stored_path(settings.evidence_dir, document)
        original = path.read_bytes()
        path.write_bytes(original.replace(b"%PDF", b"%PDF ", 1))
        try:
            altered = runner.invoke(main, ["audit", "verify"], env=env)
        finally:
            path.write_bytes(original)
        assert altered.exit_code == 1
        assert f"document {document.number}: file altered" in altered.output
    finally:
        reset = runner.invoke(main, ["documents", "prefix", "450102", "--default"], env=env)
        assert "兴市监" in reset.output


def test_the_reporter_is_told_the_result_in_a_paper(factory, rules, settings):
    papers = Papers.from_settings(settings)
    with factory.begin() as session:
        complaint = file(
            session,
            rules,
            also_report="1",
            violation_type="price_fraud",
            report_facts="结算价高于标价，涉嫌价格欺诈。",
        )
        report = session.get(Case, complaint.linked_case_id)
        handler = regulator(session, "450102")
        decided = {"decision": "opened", "reference": "兴市监立〔2026〕7号"}
        act(session, report, "decide", handler, decided, rules=rules, now=FILED, documents=papers)
        assert documents_of(session, report) == []  # the reporter is told later
        act(
            session,
            report,
            "notify_reporter",
            handler,
            {"notice": "已立案调查"},
            rules=rules,
            now=FILED,
            documents=papers,
        )
        [document] = documents_of(session, report)
        text = re.sub(r"\s+", "", pdf_text(settings, document))
    assert document.kind == "report_result_notice" and document.number.startswith("兴市监举字")
    assert "立案调查" in text and "兴市监立〔2026〕7号" in text and report.number in text
    assert "第三十三条" in text and complaint.complainant_name not in text  # kept confidential


def test_a_purged_cases_papers_go_with_its_personal_data(factory, rules, settings):
    with factory.begin() as session:
        case = file(session, rules)
        act(
            session,
            case,
            "reject",
            regulator(session, "450102"),
            {"ground": "handled_elsewhere"},
            rules=rules,
            now=FILED,
            documents=Papers.from_settings(settings),
        )
        [document] = documents_of(session, case)
    path = stored_path(settings.evidence_dir, document)
    assert path.exists()
    purge(factory, settings.evidence_dir, "3y", FILED + timedelta(days=4 * 366))
    assert purge_papers(factory, settings.evidence_dir, dry_run=True) == 1
    assert purge_papers(factory, settings.evidence_dir) == 1
    assert not path.exists()
    with factory() as session:
        assert list(verify_all(session)) == []
        assert list(verify_documents(session, settings.evidence_dir)) == []
