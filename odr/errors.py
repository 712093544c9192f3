"""The errors the domain answers with; only the faces (portals, APIs) turn them into pages,
problem+json and status codes (odr/portals/errors.py)."""

from __future__ import annotations

__all__ = [
    "CaseForbidden",
    "ConcurrentChange",
    "ConditionsNotMet",
    "InvalidData",
    "LoginFailed",
    "NotInJurisdiction",
    "TransitionNotAllowed",
]


class InvalidData(Exception):
    """The data given is invalid; `errors` maps each field to its problem."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class TransitionNotAllowed(Exception):
    """The trigger cannot be fired from this state by this role."""


class ConditionsNotMet(Exception):
    """The trigger exists here, but none of its transitions' conditions hold."""


class CaseForbidden(Exception):
    """The actor may not act on this case (answered as 404: nothing about the case leaks)."""


class ConcurrentChange(Exception):
    """Someone else changed the case first; reload and try again."""


class NotInJurisdiction(Exception):
    """The office does not supervise this enterprise (or the actor is no regulator)."""


class LoginFailed(Exception):
    """Wrong name or password, or the account is locked; the message says which to the user."""
