"""Which notifications exist, who gets them on which channels, and what each may say.

The kinds come from the workflows (`notify:` on transitions) plus the deadline reminder; the
variables a kind provides are the case's common ones plus the fields every transition that sends
it carries. `odr notifications check` holds the templates to this catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from odr.engine.workflow import Workflow

LOCALES = ("zh-CN", "en")
# Channels written from a template, per audience; webhooks carry JSON, not a template.
TEMPLATED_CHANNELS = {
    "consumer": ("sms", "email"),
    "enterprise": ("in_app", "email", "sms"),
    "office": ("in_app",),
    "supervisor": ("in_app",),
}
# Every message may use these (odr/cases/outbox.py builds them).
COMMON_VARIABLES = frozenset(
    {
        "case_number",
        "state",
        "state_zh",
        "state_en",
        "due_at",
        "due_date",
        "respondent_name",
        "product",
        "office_name",
        "public_url",
        # Whom the message is for (consumer, enterprise, office, supervisor), and the page
        # where they read the case: the consumer's /track, or the enterprise's or office's
        # portal (odr/notify/dispatcher.py adds both when it renders).
        "audience",
        "case_url",
    }
)
REMINDER = "deadline_reminder"
# Kinds not sent by a transition, with the variables they add.
SWEEPER_KINDS = {REMINDER: frozenset({"working_days_left"})}
# submit() gives the consumer the access code with the first message (route transitions).
INTAKE_TRIGGER = "route"
INTAKE_VARIABLES = frozenset({"access_code"})


@dataclass(frozen=True)
class Kind:
    name: str
    audiences: frozenset[str]
    variables: frozenset[str]


def field_variables(workflow: Workflow, field_names: Iterable[str]) -> set[str]:
    """A field's value, and for choice fields its labels (`remedy_zh`, `remedy_en`)."""
    names: set[str] = set()
    choice_fields = {f.name for t in workflow.transitions for f in t.fields if f.type == "choice"}
    for name in field_names:
        names.add(name)
        if name in choice_fields:
            names.update({f"{name}_zh", f"{name}_en"})
    return names


def catalog(workflows: Iterable[Workflow]) -> dict[str, Kind]:
    """Every notification kind the workflows send, with its audiences and variables."""
    audiences: dict[str, set[str]] = {}
    variables: dict[str, set[str]] = {}
    for workflow in workflows:
        for transition in workflow.transitions:
            provided = set(COMMON_VARIABLES) | field_variables(
                workflow, (f.name for f in transition.fields)
            )
            if transition.trigger == INTAKE_TRIGGER:
                provided |= INTAKE_VARIABLES
            for audience, kind in transition.notify.items():
                audiences.setdefault(kind, set()).add(audience)
                # A template may only use what every transition sending its kind provides.
                variables[kind] = variables[kind] & provided if kind in variables else provided
        for kind, extra in SWEEPER_KINDS.items():
            audiences.setdefault(kind, set()).update({"consumer", "enterprise", "office"})
            variables[kind] = set(COMMON_VARIABLES) | extra
    return {
        kind: Kind(kind, frozenset(audiences[kind]), frozenset(variables[kind]))
        for kind in sorted(audiences)
    }


def required_templates(kinds: Iterable[Kind]) -> set[tuple[str, str, str]]:
    """(locale, kind, channel) of every template the catalogue needs."""
    return {
        (locale, kind.name, channel)
        for kind in kinds
        for audience in kind.audiences
        for channel in TEMPLATED_CHANNELS[audience]
        for locale in LOCALES
    }
