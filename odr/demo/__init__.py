"""Demo data for a new installation: Nanning's offices, three enrolled platforms, users."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from odr.auth.models import User
from odr.auth.service import hash_password
from odr.enterprises.models import Enterprise
from odr.offices.models import Office
from odr.offices.regions import regions

DEMO_CITY = "450100"  # 南宁市


@dataclass(frozen=True)
class DemoLogin:
    portal: str
    username: str
    password: str
    who: str


def demo_uscc(region_code: str, organisation: str) -> str:
    """A USCC of an enterprise (91) registered in a region: 9-character organisation code, then
    the check character."""
    body = f"91{region_code}{organisation}"
    return body + uscc.calc_check_digit(body)


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Office))


def _password() -> str:
    return secrets.token_urlsafe(9)


def load_demo(session: Session, now: datetime) -> list[DemoLogin]:
    """Create the demo offices, enterprises and users; return the logins with new passwords."""
    logins: list[DemoLogin] = []
    known = regions()
    city = Office(region_code=DEMO_CITY, name="南宁市市场监督管理局", level="city")
    session.add(city)
    session.flush()
    offices = [city]
    for code, region in sorted(known.items()):
        if region.level == "county" and region.parent_code == DEMO_CITY:
            office = Office(
                region_code=code,
                name=f"南宁市{region.name}市场监督管理局",
                level="county",
                parent_id=city.id,
            )
            offices.append(office)
    session.add_all(offices[1:])

    def platform(name: str, region: str, org: str, username: str) -> Enterprise:
        enterprise = Enterprise(
            name=name,
            uscc=demo_uscc(region, org),
            kind="platform",
            address=f"广西壮族自治区南宁市{known[region].name}",
            region_code=region,
            odr_status="active",
            odr_enrolled_at=now,
        )
        session.add(enterprise)
        session.flush()
        password = _password()
        session.add(
            User(
                username=username,
                password_hash=hash_password(password),
                display_name="客服专员",
                role="enterprise",
                enterprise_id=enterprise.id,
                is_admin=True,  # the platform's manager: webhooks and recipients
            )
        )
        logins.append(DemoLogin("enterprise", username, password, name))
        return enterprise

    meituan = platform("美团优选（南宁）", "450103", "MA5KX2Q17", "meituan")
    platform("多多买菜（南宁）", "450107", "MA5L0B7C4", "duoduo")
    platform("兴盛优选（南宁）", "450102", "MA5N3D9E2", "xingsheng")
    session.add_all(
        [
            Enterprise(
                name="青秀区鲜果坊",
                uscc=demo_uscc("450103", "MA5P8F2G6"),
                kind="merchant",
                address="南宁市青秀区民族大道100号",
                region_code="450103",
                platform_id=meituan.id,
            ),
            Enterprise(
                name="团长李姐（凤岭北社区自提点）",
                kind="group_leader",
                address="南宁市青秀区凤岭北路8号",
                region_code="450103",
                platform_id=meituan.id,
            ),
            Enterprise(
                name="南宁市兴宁区好又多便利店",
                uscc=demo_uscc("450102", "MA5R1H4J8"),
                kind="shop",
                address="南宁市兴宁区朝阳路20号",
                region_code="450102",
            ),
        ]
    )
    session.flush()
    for office in offices:
        password = _password()
        username = f"reg{office.region_code}"
        session.add(
            User(
                username=username,
                password_hash=hash_password(password),
                display_name="承办人",
                role="regulator",
                office_id=office.id,
                is_admin=office.id == city.id,  # the city office's admin sees dead letters
            )
        )
        logins.append(DemoLogin("regulator", username, password, office.name))
    session.flush()
    return logins
