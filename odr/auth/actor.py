"""Who fires a trigger, and on which cases they may see and act."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    role: str  # consumer / enterprise / regulator / system
    label: str
    user_id: int | None = None
    enterprise_id: int | None = None
    office_id: int | None = None
    # Offices whose cases this regulator may see: its own and those it supervises.
    office_ids: frozenset[int] = frozenset()
    # A consumer proves access to one case with its access code.
    case_id: int | None = None
    # An enterprise manager or a regulator admin (settings, webhooks, dead letters).
    is_admin: bool = False


SYSTEM = Actor(role="system", label="系统 / system")


def consumer_actor(case_id: int, name: str) -> Actor:
    return Actor(role="consumer", label=f"投诉人 {name}", case_id=case_id)
