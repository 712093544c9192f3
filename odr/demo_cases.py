"""Demo cases at scale (`odr demo --cases N`): realistic shares of tracks, states, businesses.

Rows are written in bulk, not through submit()/act(): a million cases through the service would
take hours. What the service guarantees still holds for them: each case's events chain by hash
(odr/cases/chain.py computes the hashes; `odr audit verify` passes), its columns match the path
its events took, deadlines are counted by the working-day calendar, and the route event's
notifications are in the outbox, delivered. Batches are generated in worker processes; on SQLite
the main process writes them with the driver's executemany (the ORM's per-row work would cost
more than the generation) and builds the secondary indexes once at the end.
"""

from __future__ import annotations

import multiprocessing
import os
import random
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from operator import itemgetter
from types import SimpleNamespace
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Engine, Table, func, insert, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session, sessionmaker

from odr.auth.actor import SYSTEM
from odr.cases.chain import content_digest, event_hash
from odr.cases.input import SEVEN_DAY_RETURN
from odr.cases.models import REPORT_CLAIM, Case, CaseEvent
from odr.cases.service import ACCESS_CODE_ALPHABET, hash_access_code
from odr.clock import SHANGHAI
from odr.db.engine import json_text
from odr.demo import DEMO_CITY, demo_uscc
from odr.engine.rules import Rules
from odr.engine.workflow import Clock, FieldDef, TransitionDef, Workflow
from odr.enterprises.models import Enterprise
from odr.notify.models import Notification
from odr.offices.regions import regions

BATCH = 10_000
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
TEXT_ANSWER = "（演示数据）已与当事人电话沟通。"
# fmt: on


@dataclass(frozen=True)
class Step:
    """One event of a path, everything but its moment fixed in advance."""

    trigger: str
    role: str
    label: str | None  # None: the complainant's name
    payload: Mapping[str, Any]
    from_state: str | None
    to_state: str
    set: Mapping[str, str]
    clock: Clock | None  # the clock of the state it enters
    pause: bool
    resume: bool


@dataclass(frozen=True)
class Path:
    """One way a case gets to a state: submit, route, then the transitions after it."""

    workflow: Workflow
    route: str  # "enrolled", "shop", "unknown" or "any" (reports): the respondent it needs
    steps: tuple[Step, ...]
    notify: Mapping[str, str]  # who the route event told
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
    id: int | None
    kind: str | None
    name: str
    uscc: str | None
    address: str
    enterprise_id: int | None  # the enrolled enterprise that negotiates
    office_id: int
    office_code: str


def _field_value(workflow: Workflow, f: FieldDef, office_code: str) -> Any:
    if f.type == "choice" and f.list:
        return next(iter(workflow.lists[f.list]))
    return {"amount": "50.00", "office": office_code, "text": TEXT_ANSWER}.get(f.type)


def _step(workflow: Workflow, t: TransitionDef, from_state: str | None) -> Step:
    role = "system" if "system" in t.roles else sorted(t.roles)[0]
    payload = {
        f.name: value
        for f in t.fields
        if f.required and (value := _field_value(workflow, f, DEMO_CITY)) is not None
    }
    return Step(
        trigger=t.trigger,
        role=role,
        label=None if role == "consumer" else ACTOR_LABELS.get(role, role),
        payload=payload,
        from_state=from_state,
        to_state=t.dest,
        set=dict(t.set),
        clock=workflow.states[t.dest].clock,
        pause=t.clock == "pause",
        resume=t.clock == "resume",
    )


def paths(rules: Rules, workflow_name: str) -> list[Path]:
    """The shortest path from each route's destination to every state reachable from it."""
    workflow = rules.workflow(workflow_name)
    found: list[Path] = []
    for route in (t for t in workflow.transitions if t.trigger == "route"):
        conditions = set(route.conditions)
        kind = "enrolled" if "respondent_is_odr_enterprise" in conditions else "shop"
        kind = kind if conditions else "unknown"
        kind = "any" if workflow_name.startswith("report") else kind
        seen: dict[str, tuple[TransitionDef, ...]] = {route.dest: (route,)}
        frontier = [route.dest]
        while frontier:
            following = []
            for state in frontier:
                if workflow.states[state].terminal:
                    continue
                for t in workflow.transitions:
                    if state not in t.sources or t.internal or t.dest in seen:
                        continue
                    if t.trigger in ("return_to_intake", "take_over") or (
                        t.trigger == "withdraw" and state != route.dest
                    ):
                        continue  # rare ways; a withdrawal comes early
                    seen[t.dest] = seen[state] + (t,)
                    following.append(t.dest)
            frontier = following
        for state, transitions in seen.items():
            weight = STATE_WEIGHTS.get(state, 0.0)
            if kind == "unknown":
                weight *= 0.05  # triage is rare
            elif kind == "shop" and state not in ("acceptance", "triage"):
                weight *= 0.3
            if not weight:
                continue
            steps, previous = [], workflow.initial
            for t in transitions:
                steps.append(_step(workflow, t, previous))
                previous = t.dest
            found.append(Path(workflow, kind, tuple(steps), dict(route.notify), state, weight))
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


def respondents(session: Session, intake_office_code: str) -> dict[str | None, list[Respondent]]:
    """Every business by kind, with its negotiating enterprise and competent office."""
    from odr.routing.service import route

    by_kind: dict[str | None, list[Respondent]] = {}
    for e in session.scalars(select(Enterprise).order_by(Enterprise.id)):
        routed = route(session, e, intake_office_code)
        assert routed.office is not None, e.name
        negotiator = routed.enterprise.id if routed.enterprise else None
        by_kind.setdefault(e.kind, []).append(
            Respondent(
                e.id,
                e.kind,
                e.name,
                e.uscc,
                e.address,
                negotiator,
                routed.office.id,
                routed.office.region_code,
            )
        )
    intake = route(session, None, intake_office_code).office
    assert intake is not None
    by_kind[None] = [
        Respondent(None, None, f"某{w}（地址不详）", None, "南宁市（不详）", None, intake.id, "")
        for w in ("网店", "直播间", "培训机构", "美容院")
    ]
    return by_kind


def _span_days(clock: Clock) -> float:
    """About how many calendar days a clock runs."""
    return clock.days * 7 / 5 + 1 if clock.working else float(clock.days)


class Generator:
    """Builds batches of case, event and notification rows; deterministic for a seed."""

    def __init__(
        self,
        rules: Rules,
        by_kind: dict[str | None, list[Respondent]],
        now: datetime,
        late: frozenset[int],
        seed: int,
    ) -> None:
        self.rules, self.by_kind, self.now, self.late, self.seed = rules, by_kind, now, late, seed
        today = now.astimezone(SHANGHAI).date()
        self.paths = {
            track: paths(rules, rules.track_workflow(track, today)) for track in TRACK_SHARES
        }
        self.yesterday_end = rules.calendar.end_of_day(now - timedelta(days=1))
        self._choices: dict[tuple[str, str, bool], tuple[list[Path], list[float]]] = {}

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
                    "unknown" if who.kind is None else "enrolled" if who.enterprise_id else "shop"
                )
            late = index in self.late
            choices, weights = self._paths_for(track, need, late)
            path = rng.choices(choices, cum_weights=weights)[0]
            case_id = first_case_id + index - start
            self._case(rng, path, who, case_id, late, cases, events, notifications)
        return cases, events, notifications

    def _paths_for(self, track: str, need: str, late: bool) -> tuple[list[Path], list[float]]:
        """The paths a case of this track and respondent may take, and their cumulative
        weights (random.choices with cum_weights draws as with the weights themselves)."""
        key = (track, need, late)
        if key not in self._choices:
            found = [p for p in self.paths[track] if p.route == need and (p.runs_clock or not late)]
            self._choices[key] = found, list(accumulate(p.weight for p in found))
        return self._choices[key]

    def _case(
        self,
        rng: random.Random,
        path: Path,
        who: Respondent,
        case_id: int,
        late: bool,
        cases: list,
        events: list,
        notifications: list,
    ) -> None:
        rules, now, workflow = self.rules, self.now, path.workflow
        state = workflow.states[path.state]
        clock = None if state.terminal else state.clock
        due_at = None
        if clock is not None:
            if late:  # ran out at the end of yesterday, Beijing time
                due_at = self.yesterday_end
                entered = due_at - timedelta(days=_span_days(clock))
            else:
                entered = now - timedelta(days=rng.uniform(0, _span_days(clock)))
                due_at = rules.due(clock, entered, clock.days)
                if due_at <= now:
                    entered = now - timedelta(minutes=rng.randint(5, 600))
                    due_at = rules.due(clock, entered, clock.days)
        elif state.terminal:
            entered = now - timedelta(days=rng.uniform(0.1, 150))
        else:
            entered = now - timedelta(days=rng.uniform(0.05, 20))
        later_steps = len(path.steps) - 1
        received = entered - timedelta(days=rng.uniform(0.3, 4) * later_steps)
        received_day = received.astimezone(SHANGHAI).date()
        rulebook = rules.rulebook_for(received_day)

        report = path.route == "any"
        anonymous = report and rng.random() < 0.2
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))
        channel = rng.choices(("web", "api", "12315"), cum_weights=(70, 85, 100))[0]
        goods = rng.choice(GOODS[who.kind])
        bought = received_day - timedelta(days=rng.randint(1, 20))
        number = f"ODR{received_day:%y%m%d}{case_id % 10**8:08d}"
        if report:
            product = workflow.label("violation_types", rng.choice(VIOLATIONS))
            claim_type = REPORT_CLAIM
            facts = f"举报{who.name}销售的{goods}存在{product}问题，有照片和聊天记录为证。"
        else:
            product = goods
            claim_type = (
                SEVEN_DAY_RETURN if workflow.name.startswith("seven") else rng.choice(REMEDIES)
            )
            facts = (
                f"{bought:%Y年%m月%d日}在{who.name}购买{goods}，{rng.choice(PROBLEMS)}。"
                "多次联系客服未果，请求依法处理。"
            )
        email = f"user{case_id}@example.com" if rng.random() < 0.2 else None
        phone = "" if anonymous else f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(10**8):08d}"
        access_code = "".join(rng.choices(ACCESS_CODE_ALPHABET, k=10))  # known to nobody
        case: dict[str, Any] = {
            "id": case_id,
            "number": number,
            "access_code_hash": hash_access_code(access_code, salt=f"{rng.getrandbits(64):016x}"),
            "workflow": workflow.name,
            "workflow_version": workflow.version,
            "state": path.state,
            "version": len(path.steps) + 1,
            "channel": channel,
            "external_id": f"12315{received_day:%Y%m%d}{case_id:09d}"
            if channel == "12315"
            else None,
            "identity_verified": channel == "12315",
            "received_at": received,
            "updated_at": entered,
            "closed_at": entered if state.terminal else None,
            "due_at": due_at,
            "next_reminder_at": rules.next_reminder(state, due_at, now) if due_at else None,
            "clock_started_at": entered if due_at else None,
            "clock_days": clock.days if clock and due_at else None,
            "deadline_provisional": False,
            "paused_state": None,
            "paused_days_left": None,
            "complainant_name": "" if anonymous else name,
            "complainant_phone": phone,
            "complainant_address": f"南宁市{rng.choice(ROADS)}{rng.randint(1, 500)}号",
            "complainant_email": email,
            "locale": "en" if rng.random() < 0.03 else "zh-CN",
            "notify_sms": not anonymous,
            "notify_email": email is not None,
            "respondent_id": who.id,
            "respondent_name": who.name,
            "respondent_uscc": who.uscc,
            "respondent_address": who.address,
            "enterprise_id": None if report else who.enterprise_id,
            "office_id": who.office_id,
            "product": product,
            "purchase_date": bought,
            "amount": Decimal(rng.randint(500, 200_000)).scaleb(-2),
            "order_number": f"{rng.randrange(10**15, 10**16)}",
            "claim_type": claim_type,
            "facts": facts,
            "rulebook": rulebook.code if rulebook else "",
            "time_barred_flag": False,
            "linked_case_id": None,
            "anonymous": anonymous,
            "rating": None,
            "rating_comment": None,
            "rated_at": None,
            "escalation_reason": None,
            "outcome": None,
            "event_count": 0,
            "last_event_hash": "",
        }
        if state.terminal and not report and rng.random() < 0.3:
            case["rating"] = rng.choices((1, 2, 3, 4, 5), (5, 5, 15, 35, 40))[0]
            case["rated_at"] = entered + timedelta(hours=rng.randint(1, 72))

        # submit, route and the later steps, chained by hash.
        first_event = len(events)
        submit = {"channel": channel, "content_sha256": content_digest(SimpleNamespace(**case), [])}
        gap = (entered - received) / later_steps if later_steps else timedelta(0)
        prev_hash, moment = "", received
        plan: list[tuple[str, str, str, Mapping[str, Any], str | None, str]] = [
            ("submit", "consumer", f"投诉人 {name}", submit, None, workflow.initial)
        ]
        for i, step in enumerate(path.steps):
            for attribute, value in step.set.items():
                case[attribute] = value
            if step.pause:
                case["paused_state"], case["paused_days_left"] = step.from_state, rng.randint(1, 8)
            elif step.resume:
                case["paused_state"] = case["paused_days_left"] = None
            payload = dict(step.payload)
            if i == later_steps:
                if due_at is not None:
                    payload["due_at"] = due_at.isoformat()
            elif step.clock is not None:
                step_at = received + gap * i
                payload["due_at"] = rules.due(step.clock, step_at, step.clock.days).isoformat()
            label = step.label or f"投诉人 {name}"
            plan.append((step.trigger, step.role, label, payload, step.from_state, step.to_state))
        for seq, (trigger, role, label, step_payload, from_state, to_state) in enumerate(plan, 1):
            if seq > 2:
                moment = received + gap * (seq - 2)
            event = {
                "case_id": case_id,
                "seq": seq,
                "occurred_at": moment,
                "actor_role": role,
                "actor_id": None,
                "actor_label": label,
                "trigger": trigger,
                "from_state": from_state,
                "to_state": to_state,
                "payload": step_payload,
                "prev_hash": prev_hash,
            }
            prev_hash = event["hash"] = event_hash(number, SimpleNamespace(**event))
            events.append(event)
        case["event_count"], case["last_event_hash"] = len(plan), prev_hash
        cases.append(case)

        # The route event's notifications, delivered (and read by staff after a few days).
        read_at = received if received < now - timedelta(days=3) else None
        for audience, kind in path.notify.items():
            targets: list[tuple[str, str, int | None]]
            if audience == "consumer":
                targets = [("sms", phone, None)] if phone else []
                targets += [("email", email, None)] if email else []
            elif audience == "enterprise" and case["enterprise_id"]:
                targets = [("in_app", f"enterprise:{who.enterprise_id}", who.enterprise_id)]
            elif audience == "office":
                targets = [("in_app", f"office:{who.office_id}", who.office_id)]
            else:
                targets = []
            for channel_name, recipient, audience_id in targets:
                notifications.append(
                    {
                        "case_id": case_id,
                        "event_id": first_event + 1,  # the route event, within the batch
                        "kind": kind,
                        "audience": audience,
                        "audience_id": audience_id,
                        "channel": channel_name,
                        "recipient": recipient,
                        "locale": case["locale"] if audience == "consumer" else "zh-CN",
                        "context": {"case_number": number, "respondent_name": who.name},
                        "status": "sent",
                        "attempts": 1,
                        "next_attempt_at": received,
                        "created_at": received,
                        "sent_at": received,
                        "read_at": read_at if channel_name == "in_app" else None,
                    }
                )


# The generator of each worker process (set by the pool initializer; fork shares the rest).
_worker: Generator | None = None
_storage: bool = False


def _init_worker(generator: Generator, storage: bool) -> None:
    global _worker, _storage
    _worker, _storage = generator, storage


def _init_pool_worker(generator: Generator, storage: bool) -> None:
    """A worker process yields the cores to the writer, whose inserts are the critical path:
    three processes on two cores gave it about two thirds of one."""
    os.nice(10)
    _init_worker(generator, storage)


def _work(task: tuple[int, int, int]) -> tuple[list, list, list]:
    assert _worker is not None
    cases, events, notifications = _worker.batch(*task)
    if _storage:  # ids within the batch: the writer's INSERT adds the batch's first id
        for rows in (events, notifications):
            for index, row in enumerate(rows):
                row["id"] = index
        return (
            _as_stored(cases, CASE_COLUMNS),
            _as_stored(events, EVENT_COLUMNS),
            _as_stored(notifications, NOTIFICATION_COLUMNS),
        )
    return cases, events, notifications


def _columns(table: Table, names: list[str]) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
    """Each column with how SQLite stores its value: the column type's own bind processor, so
    raw executemany writes exactly what SQLAlchemy would (dates in its text format, JSON); a
    moment in UTC is written by stored_moment, which writes the same text faster."""
    dialect = sqlite.dialect(json_serializer=json_text)
    return tuple(
        (
            name,
            stored_moment
            if isinstance(table.c[name].type, DateTimeUTC)
            else table.c[name].type.dialect_impl(dialect).bind_processor(dialect),
        )
        for name in names
    )


def stored_moment(value: datetime | None) -> str | None:
    """A moment as SQLAlchemy stores a UtcDateTime in SQLite ("2026-12-05 01:02:03.004567", in
    UTC): a third of the time of its processors, which a million cases call 18 million times."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise TypeError("tzinfo is required")
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


def _as_stored(rows: list[dict[str, Any]], columns: tuple) -> list[tuple]:
    converters = [(name, conv) for name, conv in columns if conv is not None]
    in_order = itemgetter(*(name for name, _ in columns))
    out = []
    for row in rows:
        for name, conv in converters:
            row[name] = conv(row[name])
        out.append(in_order(row))
    return out


CASE_COLUMNS: tuple = ()
EVENT_COLUMNS: tuple = ()
NOTIFICATION_COLUMNS: tuple = ()


def _define_columns(generator: Generator) -> None:
    """The column order of each table's rows, from one generated case."""
    global CASE_COLUMNS, EVENT_COLUMNS, NOTIFICATION_COLUMNS
    cases, events, notifications = generator.batch(0, 200, 1)
    CASE_COLUMNS = _columns(Case.__table__, list(cases[0]))
    EVENT_COLUMNS = _columns(CaseEvent.__table__, ["id", *events[0]])
    NOTIFICATION_COLUMNS = _columns(Notification.__table__, ["id", *notifications[0]])


# Kept while the rows go in: their keys grow in the order rows are written (a case's
# notifications by case id; events' feed positions, all empty), so each insert appends to the
# index's last page. That costs the writer less than building the index afterwards, which
# reads the whole table again (benchmarks/README.md).
KEPT_WHILE_LOADING = {"ix_notifications_case_id", "ix_case_events_feed_position"}


def _secondary_indexes(connection: Any, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """The indexes to drop before a fresh load and build once at its end."""
    rows = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({', '.join('?' * len(tables))})",
        tables,
    ).all()
    return [(name, sql) for name, sql in rows if name not in KEPT_WHILE_LOADING]


def generate_cases(
    factory: sessionmaker[Session],
    rules: Rules,
    count: int,
    now: datetime,
    *,
    overdue: int | None = None,
    seed: int = 1,
    processes: int = 2,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write `count` cases with their events and delivered notifications; return how many.

    Open cases' deadlines are spread over the coming weeks; `overdue` of them (default 2 %) ran
    out at the end of yesterday, so the sweeper has work. Every reminder is still ahead.
    """
    with factory() as session, session.begin():
        generate_enterprises(session, seed)
        by_kind = respondents(session, rules.intake_office_code)
        first_case = (session.scalar(select(func.max(Case.id))) or 0) + 1
        first_event = (session.scalar(select(func.max(CaseEvent.id))) or 0) + 1
        first_note = (session.scalar(select(func.max(Notification.id))) or 0) + 1
        fresh = first_case == 1
    overdue = count // 50 if overdue is None else min(overdue, count)
    late = frozenset(random.Random(seed).sample(range(count), overdue))
    generator = Generator(rules, by_kind, now, late, seed)
    _define_columns(generator)
    engine: Engine = factory.kw["bind"]
    sqlite = engine.dialect.name == "sqlite"
    tasks = [
        (start, min(BATCH, count - start), first_case + start) for start in range(0, count, BATCH)
    ]
    engine.dispose()  # no pooled connection crosses the fork
    with _batches(generator, tasks, sqlite, processes) as batches, engine.connect() as connection:
        raw: Any = connection.connection.driver_connection  # sqlite3's or psycopg's
        dropped: list[tuple[str, str]] = []
        if sqlite:
            raw.execute("PRAGMA synchronous=OFF")  # outside a transaction, as SQLite requires
            raw.execute("PRAGMA cache_size=-262144")
            raw.execute("PRAGMA threads=2")  # CREATE INDEX sorts on both cores
            if fresh:  # build the secondary indexes once, at the end
                with connection.begin():
                    dropped = _secondary_indexes(
                        connection, ("cases", "case_events", "notifications")
                    )
                    for name, _ in dropped:
                        connection.exec_driver_sql(f'DROP INDEX "{name}"')
        try:
            for cases, events, notifications in batches:
                with connection.begin():
                    first_event = _write(
                        connection, sqlite, cases, events, notifications, first_event, first_note
                    )
                first_note += len(notifications)
                if progress:
                    progress(len(cases))
        finally:
            if dropped:
                with connection.begin():
                    for _, sql in dropped:
                        connection.exec_driver_sql(sql)
        with connection.begin():
            if not sqlite:
                for table in ("cases", "case_events", "notifications"):
                    connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
            if sqlite:  # statistics from a sample of each index: a full pass reads every row again
                connection.exec_driver_sql("PRAGMA analysis_limit=1000")
            connection.exec_driver_sql("ANALYZE")
        if sqlite:
            raw.execute("PRAGMA synchronous=NORMAL")
            raw.execute("PRAGMA cache_size=-2000")
            raw.execute("PRAGMA threads=0")
    return count


@contextmanager
def _batches(
    generator: Generator, tasks: list[tuple[int, int, int]], sqlite: bool, processes: int
) -> Iterator[Iterator[tuple[list, list, list]]]:
    """Generated batches in order: from worker processes, or here for small counts. The workers
    fork on entry, before the writer opens its connection (SQLite's rule: no fork with one open)."""
    if processes < 2 or len(tasks) < 2:
        _init_worker(generator, sqlite)
        yield map(_work, tasks)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(
        processes, initializer=_init_pool_worker, initargs=(generator, sqlite)
    ) as pool:

        def in_order() -> Iterator[tuple[list, list, list]]:
            # A few batches ahead, no more: what the writer has not taken yet is held in memory.
            pending: deque[Any] = deque()
            for task in tasks:
                pending.append(pool.apply_async(_work, (task,)))
                if len(pending) > processes * 2:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()

        yield in_order()


def _write(
    connection: Any,
    sqlite: bool,
    cases: list,
    events: list,
    notifications: list,
    first_event: int,
    first_note: int,
) -> int:
    """Insert one batch; return the next event id."""
    if sqlite:  # rows as the workers stored them, ids and event ids counted within the batch
        raw = connection.connection.driver_connection
        _executemany(raw, "cases", CASE_COLUMNS, cases)
        _executemany(raw, "case_events", EVENT_COLUMNS, events, {"id": first_event})
        _executemany(
            raw,
            "notifications",
            NOTIFICATION_COLUMNS,
            notifications,
            {"id": first_note, "event_id": first_event},
        )
    else:
        connection.execute(insert(Case.__table__), cases)
        for i, event in enumerate(events):
            event["id"] = first_event + i
        connection.execute(insert(CaseEvent.__table__), events)
        for i, note in enumerate(notifications):
            note["id"], note["event_id"] = first_note + i, first_event + note["event_id"]
        connection.execute(insert(Notification.__table__), notifications)
    return first_event + len(events)


def _executemany(
    raw: Any, table: str, columns: tuple, rows: list[tuple], offsets: dict[str, int] | None = None
) -> None:
    """Insert rows of these columns; a column of `offsets` is stored as its value plus the
    offset (the batch's first id)."""
    offsets = offsets or {}
    marks = (f"? + {offsets[name]:d}" if name in offsets else "?" for name, _ in columns)
    names = ", ".join(name for name, _ in columns)
    raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join(marks)})", rows)  # noqa: S608 - our names
