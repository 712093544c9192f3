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
# The word before a consumer's name in their events' actor label (stored in the hash chain).
CONSUMER_WORD = "投诉人"


def consumer_actor(case_id: int, name: str) -> Actor:
    return Actor(role="consumer", label=f"{CONSUMER_WORD} {name}", case_id=case_id)


def actor_shown(role: str, label: str) -> tuple[str | None, str]:
    """An event's actor as a page shows it: the role's word (a message for the catalogues),
    and the name (data, shown as stored). A consumer is "投诉人 <name>", the system "系统";
    staff are their office's or enterprise's name and their own display name, both data."""
    if role == "system":
        return "系统", ""
    if role == "consumer" and label.startswith(CONSUMER_WORD + " "):
        return CONSUMER_WORD, label[len(CONSUMER_WORD) + 1 :]
    return None, label
