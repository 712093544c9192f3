"""Special campaigns (专项行动: wildlife, food delivery, fever medicine, fake inspection reports):
the list in workflows/campaigns.yaml, the campaigns a case's words suggest, and tagging a case
through act() so every tag is an event of its hash chain."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from odr.auth.actor import Actor
from odr.cases.models import Case, CaseEvent
from odr.cases.service import act
from odr.clock import SHANGHAI, utcnow
from odr.engine.rules import Rules
from odr.engine.workflow import WorkflowError
from odr.errors import InvalidData
from odr.text import N_

CAMPAIGNS_FILE = "campaigns.yaml"
TAG_TRIGGER = "tag_campaign"
UNTAG_TRIGGER = "untag_campaign"
CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Campaign:
    code: str
    label: Mapping[str, str]
    keywords: tuple[str, ...]
    active_from: date | None = None  # inclusive
    active_until: date | None = None  # exclusive

    def active_on(self, day: date) -> bool:
        return (self.active_from is None or day >= self.active_from) and (
            self.active_until is None or day < self.active_until
        )

    def matches(self, text: str) -> bool:
        """One of the keywords appears in the text (case-insensitive)."""
        folded = text.casefold()
        return any(k.casefold() in folded for k in self.keywords)


def _day(value: Any, where: str) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise WorkflowError(f"{where}: '{value}' is not a date (YYYY-MM-DD)") from None


def parse_campaigns(raw: Any, source: str) -> dict[str, Campaign]:
    """The campaigns of a parsed campaigns.yaml, by code; WorkflowError names what is wrong."""
    specs = (raw or {}).get("campaigns") if isinstance(raw, Mapping) else None
    if specs is None:
        return {}
    if not isinstance(specs, Mapping):
        raise WorkflowError(f"{source}: campaigns: expected a mapping of code to campaign")
    found = {}
    for code, spec in specs.items():
        where = f"{source}: campaign '{code}'"
        if not isinstance(code, str) or not CODE.match(code):
            raise WorkflowError(f"{where}: a code is lower-case letters, digits and _")
        if not isinstance(spec, Mapping):
            raise WorkflowError(f"{where}: expected a mapping with label and keywords")
        label = spec.get("label")
        if not isinstance(label, Mapping) or set(label) - {"zh", "en"} or "zh" not in label:
            raise WorkflowError(f"{where}: label must be {{zh: ..., en: ...}}")
        keywords = spec.get("keywords") or []
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
            raise WorkflowError(f"{where}: keywords must be a list of words")
        campaign = Campaign(
            code=code,
            label={str(k): str(v) for k, v in label.items()},
            keywords=tuple(keywords),
            active_from=_day(spec.get("from"), where),
            active_until=_day(spec.get("until"), where),
        )
        start, end = campaign.active_from, campaign.active_until
        if start and end and end <= start:
            raise WorkflowError(f"{where}: until must come after from")
        found[code] = campaign
    return found


@cache
def load_campaigns(workflows_dir: Path) -> dict[str, Campaign]:
    """workflows/campaigns.yaml (none when the file is missing); cached per folder."""
    path = workflows_dir / CAMPAIGNS_FILE
    if not path.exists():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise WorkflowError(f"{path}: file: not valid YAML: {exc}") from exc
    return parse_campaigns(raw, str(path))


def tags_of(case: Case) -> list[str]:
    """The campaign codes a case is tagged with, in the order they were applied."""
    return [code for code in (case.campaign_tags or "").split(",") if code]


def tagged(code: str) -> ColumnElement[bool]:
    """Cases tagged with a campaign (a query condition)."""
    return Case.campaign_tags.contains(f",{code},", autoescape=True)


def running(campaigns: Mapping[str, Campaign], day: date) -> list[Campaign]:
    return [c for c in campaigns.values() if c.active_on(day)]


def suggested(case: Case, campaigns: Mapping[str, Campaign], now: datetime) -> list[Campaign]:
    """Running campaigns whose keywords appear in the case's product or facts, not yet tagged."""
    day = now.astimezone(SHANGHAI).date()
    text = f"{case.product}\n{case.facts}"
    have = set(tags_of(case))
    return [c for c in running(campaigns, day) if c.code not in have and c.matches(text)]


def _write(case: Case, codes: list[str]) -> None:
    case.campaign_tags = "".join(f",{code}" for code in codes) + ("," if codes else "")


def tag(
    session: Session,
    case: Case,
    code: str,
    actor: Actor,
    *,
    rules: Rules,
    campaigns: Mapping[str, Campaign],
    now: datetime | None = None,
) -> CaseEvent:
    """Tag a case with a running campaign: an event through act(), then the tag on the case."""
    now = now or utcnow()
    campaign = campaigns.get(code.strip() if isinstance(code, str) else "")
    if campaign is None:
        raise InvalidData({"campaign": N_("没有该专项行动")})
    if not campaign.active_on(now.astimezone(SHANGHAI).date()):
        raise InvalidData({"campaign": N_("该专项行动不在进行中")})
    if campaign.code in tags_of(case):
        raise InvalidData({"campaign": N_("已标记该专项行动")})
    event = act(
        session, case, TAG_TRIGGER, actor, {"campaign": campaign.code}, rules=rules, now=now
    )
    _write(case, [*tags_of(case), campaign.code])
    session.flush()
    return event


def untag(
    session: Session,
    case: Case,
    code: str,
    actor: Actor,
    *,
    rules: Rules,
    now: datetime | None = None,
) -> CaseEvent:
    """Take a campaign tag off a case: an event through act(), then off the case."""
    code = code.strip() if isinstance(code, str) else ""
    if code not in tags_of(case):
        raise InvalidData({"campaign": N_("案件未标记该专项行动")})
    event = act(session, case, UNTAG_TRIGGER, actor, {"campaign": code}, rules=rules, now=now)
    _write(case, [c for c in tags_of(case) if c != code])
    session.flush()
    return event
