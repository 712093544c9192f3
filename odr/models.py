"""Every model module of odr, so Base.metadata knows all tables (migrations, a worker, tests).

It lives above the packages, not in odr/db/: the database layer imports no domain package
(an import-linter contract in pyproject.toml); whoever needs the whole schema imports this.
"""

from __future__ import annotations

from odr.auth import models as auth
from odr.captures import models as captures
from odr.cases import anchors, disclosure, verification
from odr.cases import models as cases
from odr.documents import models as documents
from odr.enterprises import models as enterprises
from odr.intake import models as intake
from odr.notify import models as notify
from odr.offices import models as offices

MODEL_MODULES = (
    auth,
    anchors,
    captures,
    cases,
    disclosure,
    documents,
    enterprises,
    intake,
    notify,
    offices,
    verification,
)


def import_models() -> None:
    """Every table in Base.metadata: importing this module did it; callers say so by name."""
