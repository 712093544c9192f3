"""Supervision of ODR enterprises by the regulator offices: enrolment (application, commitment,
approval), suspension and removal (动态退出) with the scorecard as evidence, the demonstration
unit (放心消费示范单位) and abnormal operations (经营异常名录) lists, and takedown records.

Plain functions taking the session; the caller owns the transaction. Every decision appends a
SupervisionRecord (who, when, what, why, the ODR status before and after, the evidence); records
are never changed or deleted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Literal, overload

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from odr.auth.access import may_view
from odr.auth.actor import Actor
from odr.cases.models import Case
from odr.enterprises.models import (
    MARK_KINDS,
    TAKEDOWN_KINDS,
    EnrolmentApplication,
    Enterprise,
    EnterpriseMark,
    SupervisionRecord,
    Takedown,
)
from odr.enterprises.scorecard import Scorecard
from odr.errors import InvalidData, NotInJurisdiction
from odr.offices.models import Office
from odr.offices.service import competent_office
from odr.routing.service import jurisdiction_region
from odr.text import N_

# 承诺书: what an enterprise signs to enrol. The exact text signed is kept with the application.
COMMITMENT_TEXT = """在线消费纠纷解决（ODR）企业承诺书

本企业自愿加入在线消费纠纷解决机制，接受消费者投诉的直接处理，郑重承诺：
一、遵守《中华人民共和国消费者权益保护法》等法律法规，诚信经营，依法履行经营者义务；
二、收到消费者投诉后及时与消费者联系，在10个工作日内协商处理，如实记录处理的时间、过程、方式和结果；
三、以退货、更换、修理、退款、赔偿等方式积极与消费者和解，不推诿、不拖延；
四、平台企业督促平台内经营者（含团长）履行上述义务，配合市场监督管理部门删除违法信息、下架违法商品、暂停违法经营者服务；
五、交易记录和投诉处理资料保存不少于3年，依法保护消费者个人信息；
六、接受市场监督管理部门的指导和监督，同意公示本企业的按时办结率、和解成功率等处理情况；
七、未履行上述承诺的，市场监督管理部门可暂停或取消本企业的在线消费纠纷解决资格（动态退出）。
"""
COMMITMENT_SHA256 = hashlib.sha256(COMMITMENT_TEXT.encode()).hexdigest()

# What each decision does to the ODR status: allowed "before" statuses and the "after" one.
STATUS_CHANGES: dict[str, tuple[tuple[str, ...], str]] = {
    "suspend": (("active",), "suspended"),
    "reinstate": (("suspended",), "active"),
    "remove": (("active", "suspended"), "removed"),
}
ACTIONS = (
    "apply",
    "approve",
    "refuse",
    *STATUS_CHANGES,
    "mark",
    "lift_mark",
    "takedown",
)
MAX_REASON = 2000


def region_prefix(office: Office) -> str:
    """The region codes an office covers: a county its own, a city 4 digits, a province 2."""
    if office.level == "province":
        return office.region_code[:2]
    if office.level == "city":
        return office.region_code[:4]
    return office.region_code


def supervises(session: Session, actor: Actor, enterprise: Enterprise) -> bool:
    """Whether the actor is a regulator of an office whose area holds the enterprise."""
    if actor.role != "regulator" or actor.office_id is None:
        return False
    office = session.get(Office, actor.office_id)
    region = jurisdiction_region(enterprise)
    return office is not None and bool(region) and region.startswith(region_prefix(office))


def _require_office(session: Session, actor: Actor, enterprise: Enterprise) -> None:
    if not supervises(session, actor, enterprise):
        raise NotInJurisdiction(f"enterprise {enterprise.id} is not in this office's area")


def _reason(reason: str | None, required: bool = True, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise InvalidData({field: N_("请填写理由")})
    if len(reason) > MAX_REASON:
        raise InvalidData({field: N_("不超过2000字")})
    return reason


def record_decision(
    session: Session,
    enterprise: Enterprise,
    actor: Actor,
    action: str,
    now: datetime,
    *,
    before: str,
    reason: str = "",
    subject_id: int | None = None,
    evidence: dict | None = None,
) -> SupervisionRecord:
    """One append-only supervision record of a decision on `enterprise`, its ODR status before
    and (as it is now) after."""
    record = SupervisionRecord(
        enterprise_id=enterprise.id,
        office_id=actor.office_id,
        occurred_at=now,
        actor_role=actor.role,
        actor_id=actor.user_id,
        actor_label=actor.label,
        action=action,
        reason=reason,
        odr_status_before=before,
        odr_status_after=enterprise.odr_status,
        subject_id=subject_id,
        evidence=evidence or {},
    )
    session.add(record)
    session.flush()
    return record


def enterprises_in(
    session: Session,
    office: Office,
    *,
    status: str | None = None,
    query: str = "",
    limit: int = 50,
    offset: int = 0,
) -> list[Enterprise]:
    """The enterprises in an office's area (by region code), ODR enterprises first."""
    statement = (
        select(Enterprise)
        .where(Enterprise.region_code.startswith(region_prefix(office)))
        .where(Enterprise.record_status != "merged")  # its cases count under another now
        .options(selectinload(Enterprise.platform))
    )
    if status:
        statement = statement.where(Enterprise.odr_status == status)
    if query.strip():
        statement = statement.where(
            or_(
                Enterprise.name.contains(query.strip(), autoescape=True),
                Enterprise.uscc.startswith(query.strip().upper(), autoescape=True),
            )
        )
    statement = (
        statement.order_by((Enterprise.odr_status == "active").desc(), Enterprise.name)
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(statement))


def pending_applications(session: Session, office: Office) -> list[EnrolmentApplication]:
    """Applications waiting for a decision from enterprises in the office's area."""
    return list(
        session.scalars(
            select(EnrolmentApplication)
            .join(Enterprise, Enterprise.id == EnrolmentApplication.enterprise_id)
            .where(
                EnrolmentApplication.status == "pending",
                Enterprise.region_code.startswith(region_prefix(office)),
            )
            .order_by(EnrolmentApplication.applied_at)
        )
    )


def applications(session: Session, enterprise_id: int) -> list[EnrolmentApplication]:
    return list(
        session.scalars(
            select(EnrolmentApplication)
            .where(EnrolmentApplication.enterprise_id == enterprise_id)
            .order_by(EnrolmentApplication.id.desc())
        )
    )


def pending_application(session: Session, enterprise_id: int) -> EnrolmentApplication | None:
    return session.scalar(
        select(EnrolmentApplication).where(
            EnrolmentApplication.enterprise_id == enterprise_id,
            EnrolmentApplication.status == "pending",
        )
    )


def apply(
    session: Session,
    enterprise: Enterprise,
    actor: Actor,
    *,
    signatory: str,
    agreed: bool,
    now: datetime,
) -> EnrolmentApplication:
    """Apply to enrol: an enterprise manager for their own enterprise, or an office entering
    the application it received on paper; the commitment must be signed."""
    if actor.role == "enterprise":
        if not actor.is_admin or actor.enterprise_id != enterprise.id:
            raise NotInJurisdiction("only the enterprise's manager applies for it")
        source = "enterprise"
    else:
        _require_office(session, actor, enterprise)
        source = "office"
    errors = {}
    signatory = (signatory or "").strip()
    if not signatory or len(signatory) > 100:
        errors["signatory"] = N_("请填写签署人姓名及职务")
    if not agreed:
        errors["agreed"] = N_("须签署承诺书")
    if enterprise.odr_status == "active":
        errors["enterprise"] = N_("已是在线消费纠纷解决企业")
    elif pending_application(session, enterprise.id) is not None:
        errors["enterprise"] = N_("已有待审核的申请")
    if errors:
        raise InvalidData(errors)
    office = competent_office(session, jurisdiction_region(enterprise))
    application = EnrolmentApplication(
        enterprise_id=enterprise.id,
        office_id=office.id if office else None,
        source=source,
        applied_at=now,
        applied_by=actor.label,
        signatory=signatory,
        commitment_text=COMMITMENT_TEXT,
        commitment_sha256=COMMITMENT_SHA256,
        status="pending",
    )
    session.add(application)
    session.flush()
    record_decision(
        session,
        enterprise,
        actor,
        "apply",
        now,
        before=enterprise.odr_status,
        subject_id=application.id,
        evidence={"signatory": signatory, "commitment_sha256": COMMITMENT_SHA256},
    )
    return application


def decide(
    session: Session,
    application: EnrolmentApplication,
    actor: Actor,
    *,
    approve: bool,
    reason: str,
    now: datetime,
) -> SupervisionRecord:
    """Approve (the enterprise becomes an active ODR enterprise) or refuse (with a reason)."""
    enterprise = application.enterprise
    _require_office(session, actor, enterprise)
    if application.status != "pending":
        raise InvalidData({"application": N_("该申请已处理")})
    reason = _reason(reason, required=not approve)
    before = enterprise.odr_status
    application.status = "approved" if approve else "refused"
    application.decided_at, application.decided_by = now, actor.label
    application.decision_reason = reason or None
    if approve:
        enterprise.odr_status = "active"
        enterprise.odr_enrolled_at = now
    return record_decision(
        session,
        enterprise,
        actor,
        "approve" if approve else "refuse",
        now,
        before=before,
        reason=reason,
        subject_id=application.id,
    )


def change_status(
    session: Session,
    enterprise: Enterprise,
    actor: Actor,
    action: str,
    *,
    reason: str,
    evidence: Scorecard | None,
    now: datetime,
) -> SupervisionRecord:
    """Suspend, reinstate or remove (动态退出) an ODR enterprise, with a reason; the
    scorecard at this moment is kept as the evidence. Routing only sends new complaints to
    active enterprises, so a suspended or removed one receives none."""
    if action not in STATUS_CHANGES:
        raise ValueError(f"unknown status change {action!r}")
    _require_office(session, actor, enterprise)
    allowed, after = STATUS_CHANGES[action]
    if enterprise.odr_status not in allowed:
        raise InvalidData({"action": N_("当前资格状态下不能执行该操作")})
    reason = _reason(reason)
    before = enterprise.odr_status
    enterprise.odr_status = after
    return record_decision(
        session,
        enterprise,
        actor,
        action,
        now,
        before=before,
        reason=reason,
        evidence={"scorecard": evidence.as_dict()} if evidence is not None else {},
    )


@overload
def _parse_date(value: object, field: str, required: Literal[True]) -> date: ...
@overload
def _parse_date(value: object, field: str, required: bool) -> date | None: ...
def _parse_date(value: object, field: str, required: bool) -> date | None:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        if required:
            raise InvalidData({field: N_("请填写日期")})
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidData({field: N_("日期格式应为 YYYY-MM-DD")}) from None


def add_mark(
    session: Session,
    enterprise: Enterprise,
    actor: Actor,
    *,
    kind: str,
    starts_on: object,
    ends_on: object = None,
    reason: str,
    now: datetime,
) -> EnterpriseMark:
    """List an enterprise as a demonstration unit or on the abnormal operations list."""
    _require_office(session, actor, enterprise)
    if kind not in MARK_KINDS:
        raise InvalidData({"kind": N_("未知的名录")})
    start = _parse_date(starts_on, "starts_on", required=True)
    end = _parse_date(ends_on, "ends_on", required=False)
    if end is not None and start is not None and end < start:
        raise InvalidData({"ends_on": N_("结束日期早于开始日期")})
    reason = _reason(reason)
    mark = EnterpriseMark(
        enterprise_id=enterprise.id,
        office_id=actor.office_id,
        kind=kind,
        starts_on=start,
        ends_on=end,
        reason=reason,
        created_at=now,
    )
    session.add(mark)
    session.flush()
    record_decision(
        session,
        enterprise,
        actor,
        "mark",
        now,
        before=enterprise.odr_status,
        reason=reason,
        subject_id=mark.id,
        evidence={
            "kind": kind,
            "starts_on": start.isoformat(),
            "ends_on": end.isoformat() if end else None,
        },
    )
    return mark


def lift_mark(
    session: Session, mark: EnterpriseMark, actor: Actor, *, reason: str, now: datetime
) -> SupervisionRecord:
    """End a listing before its end date (or one without an end), with a reason."""
    enterprise = session.get_one(Enterprise, mark.enterprise_id)
    _require_office(session, actor, enterprise)
    if mark.lifted_at is not None:
        raise InvalidData({"mark": N_("已撤销")})
    reason = _reason(reason)
    mark.lifted_at, mark.lift_reason = now, reason
    return record_decision(
        session,
        enterprise,
        actor,
        "lift_mark",
        now,
        before=enterprise.odr_status,
        reason=reason,
        subject_id=mark.id,
        evidence={"kind": mark.kind},
    )


def marks(session: Session, enterprise_id: int) -> list[EnterpriseMark]:
    return list(
        session.scalars(
            select(EnterpriseMark)
            .where(EnterpriseMark.enterprise_id == enterprise_id)
            .order_by(EnterpriseMark.starts_on.desc(), EnterpriseMark.id.desc())
        )
    )


def marks_in_force(
    session: Session, enterprise_ids: Collection[int], today: date
) -> dict[int, set[str]]:
    """The lists each enterprise is on today, for many enterprises in one query."""
    result: dict[int, set[str]] = {i: set() for i in enterprise_ids}
    if not enterprise_ids:
        return result
    rows = session.execute(
        select(EnterpriseMark.enterprise_id, EnterpriseMark.kind).where(
            EnterpriseMark.enterprise_id.in_(list(enterprise_ids)),
            EnterpriseMark.lifted_at.is_(None),
            EnterpriseMark.starts_on <= today,
            or_(EnterpriseMark.ends_on.is_(None), EnterpriseMark.ends_on >= today),
        )
    )
    for enterprise_id, kind in rows:
        result[enterprise_id].add(kind)
    return result


def _case_numbers(session: Session, actor: Actor, text: str | Sequence[str]) -> list[str]:
    """The linked case numbers (separated by spaces, commas or lines): each must exist and be
    visible to the office."""
    raw = text.replace(",", " ").replace("，", " ").split() if isinstance(text, str) else text
    numbers = list(dict.fromkeys(n.strip().upper() for n in raw if n.strip()))
    if len(numbers) > 100:
        raise InvalidData({"case_numbers": N_("最多100个案件")})
    found = {
        case.number: case for case in session.scalars(select(Case).where(Case.number.in_(numbers)))
    }
    unknown = [n for n in numbers if n not in found or not may_view(actor, found[n])]
    if unknown:
        raise InvalidData({"case_numbers": N_("未找到本部门的案件") + " ".join(unknown)})
    return numbers


def record_takedown(
    session: Session,
    platform: Enterprise,
    actor: Actor,
    *,
    kind: str,
    subject: str,
    requested_on: object,
    done_on: object = None,
    case_numbers: str | Sequence[str] = "",
    merchant_id: int | None = None,
    note: str = "",
    now: datetime,
) -> Takedown:
    """Record what a platform took down at the office's request, linked to the cases."""
    _require_office(session, actor, platform)
    errors = {}
    if kind not in TAKEDOWN_KINDS:
        errors["kind"] = N_("请选择类型")
    subject = (subject or "").strip()
    if not subject or len(subject) > 300:
        errors["subject"] = N_("请填写下架或删除的内容（不超过300字）")
    if merchant_id is not None:
        merchant = session.get(Enterprise, merchant_id)
        if merchant is None or merchant.platform_id != platform.id:
            errors["merchant_id"] = N_("不是该平台的经营者")
    if errors:
        raise InvalidData(errors)
    requested = _parse_date(requested_on, "requested_on", required=True)
    done = _parse_date(done_on, "done_on", required=False)
    takedown = Takedown(
        enterprise_id=platform.id,
        office_id=actor.office_id,
        kind=kind,
        subject=subject,
        merchant_id=merchant_id,
        requested_on=requested,
        done_on=done,
        case_numbers=_case_numbers(session, actor, case_numbers),
        note=_reason(note, required=False, field="note") or None,
        recorded_at=now,
        recorded_by=actor.label,
    )
    session.add(takedown)
    session.flush()
    record_decision(
        session,
        platform,
        actor,
        "takedown",
        now,
        before=platform.odr_status,
        reason=subject,
        subject_id=takedown.id,
        evidence={"kind": kind, "case_numbers": takedown.case_numbers},
    )
    return takedown


def takedowns(session: Session, enterprise_id: int) -> list[Takedown]:
    return list(
        session.scalars(
            select(Takedown)
            .where(Takedown.enterprise_id == enterprise_id)
            .order_by(Takedown.requested_on.desc(), Takedown.id.desc())
        )
    )


def history(session: Session, enterprise_id: int) -> list[SupervisionRecord]:
    """Every supervision decision about an enterprise, newest first."""
    return list(
        session.scalars(
            select(SupervisionRecord)
            .where(SupervisionRecord.enterprise_id == enterprise_id)
            .order_by(SupervisionRecord.occurred_at.desc(), SupervisionRecord.id.desc())
        )
    )


def public_enterprises(session: Session, limit: int = 500) -> list[Enterprise]:
    """Enterprises that are or were ODR enterprises, active first, for the public list."""
    return list(
        session.scalars(
            select(Enterprise)
            .where(Enterprise.odr_status != "none")
            .order_by((Enterprise.odr_status == "active").desc(), Enterprise.name)
            .limit(limit)
        )
    )
