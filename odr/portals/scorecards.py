"""The scorecards the faces show (the enterprise's own, the public pages, the regulator's
supervision): stored cards read whatever their age, one computed only when none is stored, and
the names of the reasons a case left the enterprise stage."""

from __future__ import annotations

from collections.abc import Collection

from litestar import Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from odr.clock import utcnow
from odr.db.dialects import runs_long
from odr.db.engine import transaction
from odr.engine.rules import Rules
from odr.enterprises import stored_scorecards
from odr.enterprises.scorecard import Scorecard, default_window, scorecard
from odr.portals.case_page import ESCALATION_REASONS
from odr.text import N_

# Why cases left the enterprise stage, as the scorecard pages name them.
REASON_LABELS = {
    **ESCALATION_REASONS,
    "refund_disputed": N_("消费者对退款有异议"),
}


def shown_cards(
    request: Request, reading: Session, enterprise_ids: Collection[int], weeks: int, rules: Rules
) -> dict[int, Scorecard]:
    """The cards a page shows: the stored ones (odr.enterprises.stored_scorecards) whatever
    their age, the worker keeping them fresh; one never stored is computed and stored on the
    primary, in a transaction of its own (the one moment such a page waits for a writer)."""
    cards = stored_scorecards.stored(reading, enterprise_ids, weeks)
    missing = [i for i in enterprise_ids if i not in cards]
    if missing:
        factory = request.app.state["session_factory"]
        try:
            with transaction(factory) as writing:
                runs_long(writing)
                now = utcnow()
                cards |= stored_scorecards.compute(writing, missing, weeks, now, rules.calendar)
        except IntegrityError:  # another request stored some of them just now
            with transaction(factory) as writing:
                cards |= stored_scorecards.stored(writing, missing, weeks)
    return cards


def shown_card(
    request: Request, reading: Session, enterprise_id: int, weeks: int, rules: Rules
) -> Scorecard:
    return shown_cards(request, reading, [enterprise_id], weeks, rules)[enterprise_id]


def stored_or_computed(session: Session, enterprise_id: int, weeks: int, rules: Rules) -> Scorecard:
    """The stored card, else one computed and not stored: for a page answered inside a writing
    transaction (a form shown again with its errors), which must not wait for another."""
    found = stored_scorecards.stored(session, [enterprise_id], weeks).get(enterprise_id)
    if found is not None:
        return found
    since, until = default_window(utcnow(), weeks)
    return scorecard(session, enterprise_id, since, until, rules.calendar)
