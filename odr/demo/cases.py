"""Demo cases at scale (`odr demo --cases N`): realistic shares of tracks, states, businesses.

Each case is filed and moved as the service files and moves one, outside the ORM: its columns
come from submit()'s steps (odr.cases.bulk.new_case, history.new_report, bulk.start_new_case),
each later transition of its path is fired by act()'s move at a moment of its past
(history.replay), a follow-up rating is recorded as followup.rate() records it (history.record). So its columns,
events (chained by hash: `odr audit verify` passes), deadlines and outbox rows are the
service's; the route event's notifications are marked delivered. Batches are generated in
worker processes and written by odr/demo/loading.py.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import accumulate, product
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from odr.auth.actor import SYSTEM, Actor
from odr.cases.bulk import CaseValues, RememberedRules, new_case, start_new_case
from odr.cases.followup import FOLLOW_UP_TRIGGER
from odr.cases.history import PastMove, new_report, record, reminders_from, replay
from odr.cases.outbox import Recipients, remembered_recipients
from odr.demo import DEMO_CITY, demo_uscc
from odr.engine.conditions import CONDITIONS
from odr.engine.rules import Rules
from odr.engine.workflow import Clock, FieldDef, TransitionDef, Workflow
from odr.enterprises.models import Enterprise
from odr.intake.complaint import SEVEN_DAY_RETURN, ComplaintInput, ReportInput
from odr.offices.models import Office
from odr.offices.regions import regions
from odr.routing.service import Route, route

SHANGHAI = ZoneInfo("Asia/Shanghai")
ACCESS_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

# fmt: off
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱覃"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅鑫波斌宇浩凯健俊帆帅旭宁婷雪琳晶欣"
ROADS = ("民族大道", "朝阳路", "东葛路", "友爱路", "星光大道", "大学路", "江南路", "五象大道", "凤岭北路", "琅东路")
PHONE_PREFIXES = ("138", "139", "135", "136", "150", "151", "152", "158", "159", "186", "187", "188", "177", "199")
GOODS = {
    "platform": ("砂糖橘5斤装", "土鸡蛋30枚", "鲜牛奶1L", "大米10kg", "冷冻虾仁500g", "洗衣液2kg"),
    "merchant": ("沃柑礼盒", "芒果5斤", "荔枝3斤", "火龙果4个", "百香果2斤"),
    "group_leader": ("社区团购蔬菜包", "猪肉2斤", "豆腐3块", "青菜组合", "鸡腿1kg"),
    "shop": ("矿泉水一箱", "方便面整箱", "食用油5L", "牙膏套装", "纸巾一提"),
    None: ("手机充电器", "电动车电池", "培训课程", "美容卡", "健身年卡"),
}
PROBLEMS = ("收到时已经变质", "数量与页面描述不符", "是过期商品", "迟迟不发货也不退款",
            "有质量问题，商家拒绝售后", "价格与宣传不一致", "配送时包装破损")
REMEDIES = ("refund", "refund", "refund", "replacement", "compensation", "repair", "apology", "other")
VIOLATIONS = ("false_advertising", "fake_reviews", "price_fraud", "food_safety", "other")
MERCHANT_WORDS = ("鲜果坊", "生鲜店", "水果行", "农家菜", "肉铺", "粮油店", "海鲜档", "烘焙坊")
SHOP_WORDS = ("便利店", "超市", "五金店", "药店", "服装店", "手机店", "副食店", "母婴店")
# Shares of the cases by track, of the states within each track, and of the respondents.
TRACK_SHARES = {"standard": 0.78, "seven_day_return": 0.12, "report": 0.10}
STATE_WEIGHTS = {
    "negotiation": 30, "offer_pending": 6, "awaiting_information": 3, "settled": 24,
    "offer_lapsed": 2, "no_response": 1, "triage": 1, "acceptance": 8, "acceptance_overdue": 1,
    "acceptance_escalated": 0.5, "mediation": 4, "testing": 0.5, "recusal_pending": 0.2,
    "mediation_ending": 0.5, "not_accepted": 3, "mediated": 4, "mediation_terminated": 2,
    "withdrawn": 3, "return_address_pending": 10, "awaiting_shipment": 8, "in_transit": 6,
    "refund_pending": 5, "refund_confirmation": 4, "returned": 30, "return_lapsed": 3,
    "review": 40, "review_extended": 8, "review_overdue": 2, "reporter_notice": 10,
    "report_closed": 40,
}
RESPONDENT_SHARES = {"platform": 0.50, "merchant": 0.25, "group_leader": 0.10, "shop": 0.12, None: 0.03}
ACTOR_LABELS = {"enterprise": "客服专员", "regulator": "承办人", "system": SYSTEM.label}
# A late case's deadline ran out by the end of the last working day before today (a clock of
# working days ends at the end of one), no longer ago than this.
LATE_AT_MOST = timedelta(days=5)
# The field of each closing (or offering) step that records the loss recovered (挽回经济损失):
# the demo gives it the complaint's amount, so the monthly report is not empty.
RECOVERY_FIELDS = {
    "propose_settlement": "amount",
    "mark_refunded": "amount",
    "record_agreement": "recovered_amount",
}
TRIES = 8  # drawings of a case's moments before its deadline lands where it should
TEXT_ANSWER = "（演示数据）已与当事人电话沟通。"
# fmt: on


@dataclass(frozen=True)
class Step:
    """One transition of a path after routing: who fires it, with which data."""

    trigger: str
    role: str
    label: str | None  # None: the complainant's name
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Path:
    """One way a case gets to a state: submit, route, then the transitions after it."""

    workflow: Workflow
    route: str  # "enrolled", "shop", "unknown" or "any" (reports): the respondent it needs
    steps: tuple[Step, ...]
    state: str
    weight: float

    @property
    def terminal(self) -> bool:
        return self.workflow.states[self.state].terminal

    @property
    def runs_clock(self) -> bool:
        """An open state whose own clock runs: its deadline can be overdue."""
        return not self.terminal and self.workflow.states[self.state].clock is not None


@dataclass(frozen=True)
class Respondent:
    """A business complained of, as intake finds it (None for one not registered) and routes."""

    kind: str | None
    name: str
    uscc: str | None
    address: str
    found: SimpleNamespace | None  # the registered business (id, name, uscc, address)
    routed: Route  # its negotiating enterprise and competent office


def _field_value(workflow: Workflow, f: FieldDef, office_code: str) -> Any:
    if f.type == "choice" and f.list:
        return next(iter(workflow.lists[f.list]))
    return {"amount": "50.00", "office": office_code, "text": TEXT_ANSWER}.get(f.type)


def _typical(anonymous: bool) -> SimpleNamespace:
    """A case as the conditions of transitions read it: routed to a known business and office."""
    return SimpleNamespace(respondent_id=1, enterprise_id=1, office_id=1, anonymous=anonymous)


def _step(workflow: Workflow, t: TransitionDef, state: str, case: SimpleNamespace) -> Step | None:
    """Firing t from a state: its data chosen so that t's conditions hold (a refusal for a
    refused consent); None when firing its trigger would take another transition instead
    for such a case (an anonymous reporter is not told)."""
    role = "system" if "system" in t.roles else sorted(t.roles)[0]
    data = {
        f.name: value
        for f in t.fields
        if f.required and (value := _field_value(workflow, f, DEMO_CITY)) is not None
    }
    choices = [f for f in t.fields if f.required and f.type == "choice" and f.list]
    for values in product(*(workflow.lists[f.list] for f in choices)):  # type: ignore[index]
        tried = data | {f.name: value for f, value in zip(choices, values, strict=True)}
        if all(CONDITIONS[name](case, tried) for name in t.conditions):
            data = tried
            break
    taken = next(
        (
            c
            for c in workflow.candidates(state, t.trigger)
            if role in c.roles and all(CONDITIONS[name](case, data) for name in c.conditions)
        ),
        None,
    )
    if taken is not t:
        return None
    label = None if role == "consumer" else ACTOR_LABELS.get(role, role)
    return Step(t.trigger, role, label, data)


def paths(rules: Rules, workflow_name: str, anonymous: bool = False) -> list[Path]:
    """The shortest path from each route's destination to every state reachable from it, for
    a case of a named (or anonymous) complainant."""
    workflow = rules.workflow(workflow_name)
    case = _typical(anonymous)
    found: list[Path] = []
    for routing in (t for t in workflow.transitions if t.trigger == "route"):
        conditions = set(routing.conditions)
        kind = "enrolled" if "respondent_is_odr_enterprise" in conditions else "shop"
        kind = kind if conditions else "unknown"
        kind = "any" if workflow_name.startswith("report") else kind
        seen: dict[str, tuple[Step, ...]] = {routing.dest: ()}  # the route: start_new_case's
        frontier = [routing.dest]
        while frontier:
            following = []
            for state in frontier:
                if workflow.states[state].terminal:
                    continue
                for t in workflow.transitions:
                    if state not in t.sources or t.internal or t.dest in seen:
                        continue
                    if t.trigger in ("return_to_intake", "take_over") or (
                        t.trigger == "withdraw" and state != routing.dest
                    ):
                        continue  # rare ways; a withdrawal comes early
                    if (step := _step(workflow, t, state, case)) is None:
                        continue
                    seen[t.dest] = (*seen[state], step)
                    following.append(t.dest)
            frontier = following
        for state, steps in seen.items():
            weight = STATE_WEIGHTS.get(state, 0.0)
            if kind == "unknown":
                weight *= 0.05  # triage is rare
            elif kind == "shop" and state not in ("acceptance", "triage"):
                weight *= 0.3
            if weight:
                found.append(Path(workflow, kind, steps, state, weight))
    return found


def generate_enterprises(session: Session, seed: int) -> None:
    """Merchants and group leaders on each platform and shops in each district, once."""
    if (session.scalar(select(func.count()).select_from(Enterprise)) or 0) > 10:
        return
    rng = random.Random(seed)
    known = regions()
    districts = sorted(
        code for code, r in known.items() if r.level == "county" and r.parent_code == DEMO_CITY
    )

    def address(district: str) -> str:
        return f"南宁市{known[district].name}{rng.choice(ROADS)}{rng.randint(1, 300)}号"

    rows, counter = [], 0
    for platform in session.scalars(select(Enterprise).where(Enterprise.kind == "platform")):
        for i in range(24):
            district, counter = rng.choice(districts), counter + 1
            rows.append(
                Enterprise(
                    name=f"{known[district].name}{rng.choice(SURNAMES)}记"
                    f"{rng.choice(MERCHANT_WORDS)}（{platform.name[:4]}{i + 1}号店）",
                    uscc=demo_uscc(district, f"MA6{counter:05d}X"),
                    kind="merchant",
                    address=address(district),
                    region_code=district,
                    platform_id=platform.id,
                )
            )
        for i in range(30):
            district = rng.choice(districts)
            rows.append(
                Enterprise(
                    name=f"团长{rng.choice(SURNAMES)}{rng.choice('姐哥叔姨')}"
                    f"（{known[district].name}{rng.choice(ROADS)}自提点{i + 1}）",
                    kind="group_leader",
                    address=address(district),
                    region_code=district,
                    platform_id=platform.id,
                )
            )
    for district in districts:
        for _ in range(4):
            counter += 1
            rows.append(
                Enterprise(
                    name=f"南宁市{known[district].name}{rng.choice(SURNAMES)}氏{rng.choice(SHOP_WORDS)}",
                    uscc=demo_uscc(district, f"MA7{counter:05d}Y"),
                    kind="shop",
                    address=address(district),
                    region_code=district,
                )
            )
    session.add_all(rows)
    session.flush()


def _office(office: Office) -> SimpleNamespace:
    """What a case's notices and moves read of an office, free of the session."""
    return SimpleNamespace(
        id=office.id, name=office.name, region_code=office.region_code, parent_id=office.parent_id
    )


def respondents(session: Session, intake_office_code: str) -> dict[str | None, list[Respondent]]:
    """Every business by kind, routed as intake routes it; and some not registered."""
    offices = {o.id: _office(o) for o in session.scalars(select(Office))}

    def routed_by(enterprise: Enterprise | None) -> Route:
        found = route(session, enterprise, intake_office_code)
        assert found.office is not None
        negotiator = SimpleNamespace(id=found.enterprise.id) if found.enterprise else None
        return Route(negotiator, offices[found.office.id])  # type: ignore[arg-type]

    by_kind: dict[str | None, list[Respondent]] = {}
    for e in session.scalars(select(Enterprise).order_by(Enterprise.id)):
        found = SimpleNamespace(id=e.id, name=e.name, uscc=e.uscc, address=e.address)
        by_kind.setdefault(e.kind, []).append(
            Respondent(e.kind, e.name, e.uscc, e.address, found, routed_by(e))
        )
    unknown = routed_by(None)
    by_kind[None] = [
        Respondent(None, f"某{w}（地址不详）", None, "南宁市（不详）", None, unknown)
        for w in ("网店", "直播间", "培训机构", "美容院")
    ]
    return by_kind


def offices_by_code(session: Session) -> dict[str, SimpleNamespace]:
    return {o.region_code: _office(o) for o in session.scalars(select(Office))}


def known_recipients(
    session: Session,
    enterprise_ids: set[int | None],
    office_ids: set[int | None],
    kinds: set[tuple[str, str]],
) -> Recipients:
    """Who hears of what (remembered_recipients), asked of the session now for every
    enterprise and office a case may have: the worker processes that generate cases have none."""
    asked = remembered_recipients(session)
    known: dict[tuple[str, str, int | None], list[tuple[str, str, int | None]]] = {}
    for audience, kind in kinds:
        if audience == "consumer":
            continue
        for holder in enterprise_ids if audience == "enterprise" else office_ids:
            case = SimpleNamespace(enterprise_id=holder, office_id=holder)
            known[(audience, kind, holder)] = asked(case, audience, kind)

    def recipients(case: Any, audience: str, kind: str) -> list[tuple[str, str, int | None]]:
        if audience == "consumer":  # the case's own phone and e-mail: nothing to look up
            return asked(case, audience, kind)
        holder = case.enterprise_id if audience == "enterprise" else case.office_id
        return known[(audience, kind, holder)]

    return recipients


def _span_days(clock: Clock) -> float:
    """About how many calendar days a clock runs."""
    return clock.days * 7 / 5 + 1 if clock.working else float(clock.days)


@dataclass(frozen=True)
class Person:
    """What is drawn of a case before its moments: who complains of what, how."""

    name: str
    anonymous: bool
    phone: str
    email: str | None
    address: str
    locale: str
    channel: str
    goods: str
    bought_days_before: int
    problem: str
    remedy: str
    violation: str
    amount: Decimal
    order_number: str
    access_code: str
    salt: str
    rating: int | None
    rated_after: timedelta


class Generator:
    """Builds batches of case, event and notification rows; deterministic for a seed."""

    def __init__(
        self,
        rules: Rules,
        by_kind: dict[str | None, list[Respondent]],
        offices: Mapping[str, SimpleNamespace],
        recipients: Recipients,
        now: datetime,
        late: frozenset[int],
        seed: int,
    ) -> None:
        self.by_kind, self.now, self.late, self.seed = by_kind, now, late, seed
        # A million cases ask the calendar the same questions of a few hundred days.
        self.rules: Rules = RememberedRules(rules)  # type: ignore[assignment]
        self.offices, self.recipients = offices, recipients
        today = now.astimezone(SHANGHAI).date()
        # Anonymous reporters take paths of their own (nobody to tell of the decision).
        self.paths = {
            (track, anonymous): paths(rules, rules.track_workflow(track, today), anonymous)
            for track in TRACK_SHARES
            for anonymous in ((False, True) if track == "report" else (False,))
        }
        self.yesterday_end = rules.calendar.end_of_day(now - timedelta(days=1))
        self._choices: dict[tuple[str, bool, str, bool], tuple[list[Path], list[float]]] = {}
        self.classified: dict[tuple[str, str], tuple[str | None, str | None]] = {}

    def route_notices(self) -> set[tuple[str, str]]:
        """(audience, kind) of every notice routing may send a generated case."""
        return {
            notice
            for track_paths in self.paths.values()
            for workflow in {p.workflow.name: p.workflow for p in track_paths}.values()
            for t in workflow.transitions
            if t.trigger == "route"
            for notice in t.notify.items()
        }

    def batch(self, start: int, size: int, first_case_id: int) -> tuple[list, list, list]:
        """Rows (dicts) of cases start..start+size; events and notifications without ids,
        a notification's event_id being the index of its event within the batch."""
        rng = random.Random(f"{self.seed}:{start}")
        cases: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        notifications: list[dict[str, Any]] = []
        tracks, track_weights = list(TRACK_SHARES), list(accumulate(TRACK_SHARES.values()))
        kinds, kind_weights = list(RESPONDENT_SHARES), list(accumulate(RESPONDENT_SHARES.values()))
        for index in range(start, start + size):
            track = rng.choices(tracks, cum_weights=track_weights)[0]
            who = rng.choice(self.by_kind[rng.choices(kinds, cum_weights=kind_weights)[0]])
            if track == "report":
                need = "any"
            else:
                need = (
                    "unknown"
                    if who.kind is None
                    else "enrolled"
                    if who.routed.enterprise
                    else "shop"
                )
            anonymous = track == "report" and rng.random() < 0.2
            late = index in self.late
            choices, weights = self._paths_for(track, anonymous, need, late)
            path = rng.choices(choices, cum_weights=weights)[0]
            case_id = first_case_id + index - start
            person = self._person(rng, path, who, case_id, anonymous)
            self._case(rng, path, who, case_id, person, late, cases, events, notifications)
        return cases, events, notifications

    def _paths_for(
        self, track: str, anonymous: bool, need: str, late: bool
    ) -> tuple[list[Path], list[float]]:
        """The paths a case of this track and respondent may take, and their cumulative
        weights (random.choices with cum_weights draws as with the weights themselves)."""
        key = (track, anonymous, need, late)
        if key not in self._choices:
            found = [
                p
                for p in self.paths[(track, anonymous)]
                if p.route == need and (p.runs_clock or not late)
            ]
            self._choices[key] = found, list(accumulate(p.weight for p in found))
        return self._choices[key]

    def _person(
        self, rng: random.Random, path: Path, who: Respondent, case_id: int, anonymous: bool
    ) -> Person:
        closed = path.terminal and path.route != "any"
        return Person(
            name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
            anonymous=anonymous,
            phone="" if anonymous else f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(10**8):08d}",
            email=f"user{case_id}@example.com" if rng.random() < 0.2 else None,
            address=f"南宁市{rng.choice(ROADS)}{rng.randint(1, 500)}号",
            locale="en" if rng.random() < 0.03 else "zh-CN",
            channel=rng.choices(("web", "api", "12315"), cum_weights=(70, 85, 100))[0],
            goods=rng.choice(GOODS[who.kind]),
            bought_days_before=rng.randint(1, 20),
            problem=rng.choice(PROBLEMS),
            remedy=rng.choice(REMEDIES),
            violation=rng.choice(VIOLATIONS),
            amount=Decimal(rng.randint(500, 200_000)).scaleb(-2),
            order_number=f"{rng.randrange(10**15, 10**16)}",
            access_code="".join(rng.choices(ACCESS_CODE_ALPHABET, k=10)),  # known to nobody
            salt=f"{rng.getrandbits(64):016x}",
            rating=rng.choices((1, 2, 3, 4, 5), (5, 5, 15, 35, 40))[0]
            if closed and rng.random() < 0.3
            else None,
            rated_after=timedelta(hours=rng.randint(1, 72)),
        )

    def _case(
        self,
        rng: random.Random,
        path: Path,
        who: Respondent,
        case_id: int,
        person: Person,
        late: bool,
        cases: list,
        events: list,
        notifications: list,
    ) -> None:
        """One case filed and moved along its path, its last move `entered` ago; a late one's
        deadline ran out in the last few days, any other open one's is still ahead."""
        now = self.now
        state = path.workflow.states[path.state]
        clock = None if state.terminal else state.clock
        if clock is not None:
            span = timedelta(days=_span_days(clock))
            entered = self.yesterday_end - span if late else now - rng.uniform(0, 1) * span
            if not late and self.rules.due(clock, entered, clock.days) <= now:
                entered = now - timedelta(
                    minutes=rng.randint(5, 600)
                )  # (a paused clock may differ)
        elif state.terminal:
            entered = now - timedelta(days=rng.uniform(0.1, 150))
        else:
            entered = now - timedelta(days=rng.uniform(0.05, 20))
        pace = timedelta(days=rng.uniform(0.3, 4))  # between two moves
        for _ in range(TRIES):
            case, started, received = self._filed(path, who, case_id, person, entered, pace)
            if case.due_at is None:
                break
            if late and case.due_at > now:
                entered -= case.due_at - self.yesterday_end
            elif late and case.due_at <= now - LATE_AT_MOST:
                entered += self.yesterday_end - case.due_at
            elif not late and case.due_at <= now:
                entered = now - timedelta(minutes=rng.randint(5, 600))
            else:
                break

        # The route event's notifications, delivered (and read by staff after a few days).
        first_event = len(events)
        events.extend({"case_id": case_id, **vars(event)} for event in started.events)
        read_at = received if received < now - timedelta(days=3) else None
        for index, row in started.notices:
            row.update(
                case_id=case_id,
                event_id=first_event + index,  # within the batch
                status="sent",
                attempts=1,
                sent_at=received,
                read_at=read_at if row["channel"] == "in_app" else None,
            )
            notifications.append(row)
        cases.append(case.columns())

    def _classified(self, goods: str, problem: str) -> tuple[str | None, str | None]:
        """The classification the goods and the problem suggest (few pairs: remembered)."""
        key = (goods, problem)
        if key not in self.classified:
            self.classified[key] = self.rules.classification.suggest(goods, problem)
        return self.classified[key]

    def _filed(
        self,
        path: Path,
        who: Respondent,
        case_id: int,
        person: Person,
        entered: datetime,
        pace: timedelta,
    ) -> tuple[CaseValues, Any, datetime]:
        """The case filed, routed and moved along its path, its last move at `entered`;
        with its events and notices, and when it was received."""
        rules, workflow, p = self.rules, path.workflow, person
        received = entered - pace * len(path.steps)
        received_day = received.astimezone(SHANGHAI).date()
        number = f"ODR{received_day:%y%m%d}{case_id % 10**8:08d}"
        bought = received_day - timedelta(days=p.bought_days_before)
        rulebook = rules.rulebook_for(received_day)
        complaint = ComplaintInput(
            complainant_name="" if p.anonymous else p.name,
            complainant_phone=p.phone,
            complainant_address=p.address,
            complainant_email=p.email,
            respondent_id=who.found.id if who.found else None,
            respondent_name=who.name,
            respondent_uscc=who.uscc,
            respondent_address=who.address,
            product=p.goods,
            purchase_date=bought,
            amount=p.amount,
            order_number=p.order_number,
            claim_type=SEVEN_DAY_RETURN if workflow.name.startswith("seven") else p.remedy,
            facts=f"{bought:%Y年%m月%d日}在{who.name}购买{p.goods}，{p.problem}。"
            "多次联系客服未果，请求依法处理。",
            locale=p.locale,
            notify_sms=not p.anonymous,
            notify_email=p.email is not None,
        )
        category, nature = self._classified(p.goods, p.problem)
        complaint = replace(complaint, goods_category=category, problem_nature=nature)
        codes = {"access_code": p.access_code, "salt": p.salt}
        if path.route == "any":
            violation = workflow.label("violation_types", p.violation)
            facts = f"举报{who.name}销售的{p.goods}存在{violation}问题，有照片和聊天记录为证。"
            case, access_code = new_report(
                replace(complaint, report=ReportInput(p.violation, facts)),
                workflow,
                p.channel,
                received,
                number,
                rulebook=rulebook,
                respondent={
                    "respondent_id": complaint.respondent_id,
                    "respondent_name": who.name,
                    "respondent_uscc": who.uscc,
                    "respondent_address": who.address,
                },
                office=who.routed.office,
                anonymous=p.anonymous,
                **codes,
            )
        else:
            case, access_code = new_case(
                complaint,
                workflow,
                p.channel,
                received,
                number,
                respondent=who.found,  # type: ignore[arg-type]
                routed=who.routed,
                rulebook=rulebook,
                external_id=f"12315{received_day:%Y%m%d}{case_id:09d}"
                if p.channel == "12315"
                else None,
                identity_verified=p.channel == "12315",
                access_code=p.access_code,
                salt=p.salt,
            )
        case.id = case_id
        started = start_new_case(case, rules, received, access_code, self.recipients)
        consumer = Actor(role="consumer", label=f"投诉人 {p.name}")
        moves = [
            PastMove(
                step.trigger,
                consumer if step.label is None else Actor(role=step.role, label=step.label),
                {**step.data, RECOVERY_FIELDS[step.trigger]: str(p.amount)}
                if step.trigger in RECOVERY_FIELDS
                else step.data,
                received + pace * i,
            )
            for i, step in enumerate(path.steps, 1)
        ]
        replay(case, started, moves, rules, self.offices.get)  # type: ignore[arg-type]
        if case.state != path.state:  # paths() chose the data and the steps for this
            raise AssertionError(f"{workflow.name}: the path to {path.state} led to {case.state}")
        if p.rating is not None:
            rated_at = min(entered + p.rated_after, self.now)
            changes = {"rating": p.rating, "rated_at": rated_at, "updated_at": rated_at}
            payload = {"rating": p.rating, "comment": ""}
            record(
                case, started, FOLLOW_UP_TRIGGER, consumer, payload, at=rated_at, changes=changes
            )
        if case.due_at is not None:
            reminders_from(case, rules, self.now)
        return case, started, received
