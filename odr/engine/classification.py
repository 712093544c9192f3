"""The classification complaints are counted by (workflows/classification.yaml): the category
of goods or services (商品和服务分类) and the nature of the problem (投诉问题性质), with the
words that suggest each from a complaint's product and facts. Pure data, no database."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from odr.engine.workflow import WorkflowError

CLASSIFICATION_FILE = "classification.yaml"
CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
GROUPS = ("goods", "services")


@dataclass(frozen=True)
class Entry:
    """A category of goods or services, or a nature of problem."""

    code: str
    label: Mapping[str, str]
    keywords: tuple[str, ...] = ()
    group: str | None = None  # goods / services (categories only)
    plain: Mapping[str, str] | None = None  # the consumer's words (categories only)
    retired: bool = False

    def hits(self, folded_text: str) -> int:
        """How many of the keywords appear in the (case-folded) text."""
        return sum(1 for k in self.keywords if k.casefold() in folded_text)


@dataclass(frozen=True)
class Classification:
    """Both lists, their version and where they come from."""

    version: int
    source: Mapping[str, str]
    categories: Mapping[str, Entry]
    natures: Mapping[str, Entry]

    def label(self, code: str | None, lang: str = "zh") -> str:
        """The published name of a category or nature code in a language ("" for None; the code
        itself when the file no longer knows it)."""
        if not code:
            return ""
        entry = self.categories.get(code) or self.natures.get(code)
        if entry is None:
            return code
        return entry.label.get(lang[:2]) or entry.label["zh"]

    def category_label(self, code: str | None, lang: str = "zh") -> str:
        entry = self.categories.get(code or "")
        return (entry.label.get(lang[:2]) or entry.label["zh"]) if entry else (code or "")

    def nature_label(self, code: str | None, lang: str = "zh") -> str:
        entry = self.natures.get(code or "")
        return (entry.label.get(lang[:2]) or entry.label["zh"]) if entry else (code or "")

    def offered_categories(self) -> list[Entry]:
        return [e for e in self.categories.values() if not e.retired]

    def offered_natures(self) -> list[Entry]:
        return [e for e in self.natures.values() if not e.retired]

    def code_for(self, value: str) -> str:
        """The code a value names: a code itself, or a published name in Chinese or English
        (the value unchanged when it names none, for check() to refuse)."""
        value = value.strip()
        if value in self.categories or value in self.natures:
            return value
        folded = value.casefold()
        for entry in (*self.categories.values(), *self.natures.values()):
            if any(folded == text.casefold() for text in entry.label.values()):
                return entry.code
        return value

    def check(self, goods_category: str | None, problem_nature: str | None) -> dict[str, str]:
        """The problems of a pair of codes, by field name (empty: both are offered or None)."""
        errors = {}
        category = self.categories.get(goods_category or "")
        if goods_category and (category is None or category.retired):
            errors["goods_category"] = "unknown"
        nature = self.natures.get(problem_nature or "")
        if problem_nature and (nature is None or nature.retired):
            errors["problem_nature"] = "unknown"
        return errors

    def suggest(self, product: str, facts: str) -> tuple[str | None, str | None]:
        """The category and the nature whose keywords a complaint's words match most (the
        product counts twice: it names the goods); None where no keyword matches."""
        product_text, facts_text = product.casefold(), facts.casefold()

        def best(entries: list[Entry]) -> str | None:
            scored = [(2 * e.hits(product_text) + e.hits(facts_text), e.code) for e in entries]
            top = max((score for score, _ in scored), default=0)
            return next((code for score, code in scored if score == top), None) if top else None

        return best(self.offered_categories()), best(self.offered_natures())


def _text_map(value: Any, where: str, name: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or set(value) - {"zh", "en"} or "zh" not in value:
        raise WorkflowError(f"{where}: {name} must be {{zh: ..., en: ...}}")
    return {str(k): str(v) for k, v in value.items()}


def _entries(specs: Any, source: str, kind: str) -> dict[str, Entry]:
    if not isinstance(specs, Mapping) or not specs:
        raise WorkflowError(f"{source}: {kind}: expected a mapping of code to entry")
    found = {}
    for code, spec in specs.items():
        where = f"{source}: {kind[:-1]} '{code}'"
        if not isinstance(code, str) or not CODE.match(code):
            raise WorkflowError(f"{where}: a code is lower-case letters, digits and _")
        if not isinstance(spec, Mapping):
            raise WorkflowError(f"{where}: expected a mapping with a label")
        keywords = spec.get("keywords") or []
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
            raise WorkflowError(f"{where}: keywords must be a list of words")
        group = spec.get("group")
        if kind == "categories" and group not in GROUPS:
            raise WorkflowError(f"{where}: group must be one of {', '.join(GROUPS)}")
        found[code] = Entry(
            code=code,
            label=_text_map(spec.get("label"), where, "label"),
            keywords=tuple(keywords),
            group=str(group) if group else None,
            plain=_text_map(spec["plain"], where, "plain") if spec.get("plain") else None,
            retired=bool(spec.get("retired", False)),
        )
    return found


def parse_classification(raw: Any, source: str) -> Classification:
    """The classification of a parsed classification.yaml; WorkflowError names what is wrong."""
    if not isinstance(raw, Mapping):
        raise WorkflowError(f"{source}: expected version, source, categories and natures")
    version = raw.get("version")
    if not isinstance(version, int) or version < 1:
        raise WorkflowError(f"{source}: version must be a whole number from 1")
    return Classification(
        version=version,
        source=_text_map(raw.get("source"), source, "source"),
        categories=_entries(raw.get("categories"), source, "categories"),
        natures=_entries(raw.get("natures"), source, "natures"),
    )


EMPTY = Classification(version=0, source={"zh": ""}, categories={}, natures={})


@cache
def load_classification(workflows_dir: Path) -> Classification:
    """workflows/classification.yaml (an empty one when the file is missing); cached."""
    path = workflows_dir / CLASSIFICATION_FILE
    if not path.exists():
        return EMPTY
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise WorkflowError(f"{path}: file: not valid YAML: {exc}") from exc
    return parse_classification(raw, str(path))


def label(code: str | None, lang: str = "zh", workflows_dir: Path | None = None) -> str:
    """The published name of a category or nature code, from the configured workflows folder."""
    if workflows_dir is None:
        from odr.settings import Settings

        workflows_dir = Settings.from_env().workflows_dir
    return load_classification(workflows_dir).label(code, lang)
