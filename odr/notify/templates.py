"""Message templates: notifications/<locale>/<kind>.<channel>.j2, rendered and checked.

An e-mail template defines the blocks `subject` and `text` and extends `_email.j2`, whose whole
output is the HTML part; SMS and in-app templates are plain text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateSyntaxError, meta, nodes

from odr.engine.workflow import Workflow
from odr.notify.catalog import catalog, required_templates


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str | None = None


# What ends a sentence already, in Chinese and in English (an ellipsis too).
SENTENCE_ENDS = ("。", "！", "？", "!", "?", ".", "…")


def sentence(text: object, stop: str = "。") -> str:
    """Typed text as a sentence of the message: its own closing mark kept, else `stop` added
    (a template writing `{{ question }}。` doubled the stop of "请提供发票。")."""
    words = "" if text is None else str(text).rstrip()
    return words if not words or words.endswith(SENTENCE_ENDS) else words + stop


@cache
def environment(directory: Path) -> Environment:
    # No autoescape: SMS and text parts are plain text; _email.j2 escapes the HTML part itself.
    # Templates are read once per process (`odr notifications check` checks edits before a
    # restart): checking each file's mtime on every message cost the dispatcher dearly
    # (benchmarks/README.md).
    env = Environment(
        loader=FileSystemLoader(directory),
        auto_reload=False,
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["sentence"] = sentence
    return env


def template_name(locale: str, kind: str, channel: str) -> str:
    return f"{locale}/{kind}.{channel}.j2"


def render(
    directory: Path, locale: str, kind: str, channel: str, context: Mapping[str, Any]
) -> Message:
    """Render one message; for e-mail the subject, text and HTML parts."""
    template = environment(directory).get_template(template_name(locale, kind, channel))
    if channel != "email":
        text = template.render(context).strip()
        return Message(subject=text.split("\n", 1)[0][:120], text=text)
    ctx = template.new_context(dict(context))
    subject = "".join(template.blocks["subject"](ctx)).strip()
    text = "".join(template.blocks["text"](ctx)).strip()
    html = template.render(context).strip()
    return Message(subject=" ".join(subject.split()), text=text, html=html)


def _variables_used(env: Environment, name: str) -> set[str]:
    """Undeclared variables of a template and of the layouts it extends."""
    if env.loader is None:
        raise ValueError("the notification templates' environment has no loader")
    source = env.loader.get_source(env, name)[0]
    ast = env.parse(source)
    used = set(meta.find_undeclared_variables(ast))
    for parent in meta.find_referenced_templates(ast):
        if parent:
            used |= _variables_used(env, parent)
    return used


def check(directory: Path, workflows: Iterable[Workflow]) -> list[str]:
    """Every problem with the templates: missing, unparsable, unknown variables, unused."""
    kinds = catalog(workflows)
    env = environment(directory)
    problems: list[str] = []
    required = required_templates(kinds.values())
    for locale, kind, channel in sorted(required):
        name = template_name(locale, kind, channel)
        path = directory / name
        if not path.exists():
            problems.append(f"{path}: missing (the {kind} notification is sent by {channel})")
            continue
        try:
            used = _variables_used(env, name)
        except TemplateSyntaxError as exc:
            problems.append(f"{path}:{exc.lineno}: {exc.message}")
            continue
        unknown = sorted(used - kinds[kind].variables - {"self"})
        if unknown:
            problems.append(
                f"{path}: uses {', '.join(unknown)}, which the {kind} event does not provide "
                f"(it provides {', '.join(sorted(kinds[kind].variables))})"
            )
        if channel == "email":
            blocks = env.parse(path.read_text(encoding="utf-8")).find_all(nodes.Block)
            names = {b.name for b in blocks}
            if not {"subject", "text"} <= names:
                problems.append(f"{path}: an e-mail template needs blocks subject and text")
    wanted = {template_name(*t) for t in required}
    for path in sorted(directory.glob("*/*.j2")):
        name = f"{path.parent.name}/{path.name}"
        if not path.name.startswith("_") and name not in wanted:
            problems.append(f"{path}: no event sends this template")
    return problems
