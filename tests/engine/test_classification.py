"""workflows/classification.yaml: its codes, labels, suggestions and what the loader refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from odr.engine.classification import (
    CLASSIFICATION_FILE,
    label,
    load_classification,
    parse_classification,
)
from odr.engine.workflow import WorkflowError

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def test_the_shipped_file_names_its_source_and_the_published_categories() -> None:
    c = load_classification(WORKFLOWS)
    assert c.version >= 1
    assert "中国消费者协会" in c.source["zh"]
    assert {"food", "household_appliances", "clothing_shoes", "daily_goods", "vehicles"} <= set(
        c.categories
    )
    assert {"life_social_services", "internet_services", "sales_services"} <= set(c.categories)
    assert {"education_training", "prepaid_consumption"} <= set(c.categories)
    assert list(c.natures) == [
        "quality",
        "safety",
        "price",
        "measurement",
        "counterfeit",
        "contract",
        "false_advertising",
        "personal_dignity",
        "after_sales",
        "other",
    ]
    assert all(e.plain for e in c.categories.values())
    assert {e.group for e in c.categories.values()} == {"goods", "services"}


def test_label_in_each_language() -> None:
    assert label("food", "zh", WORKFLOWS) == "食品类"
    assert label("food", "en", WORKFLOWS) == "Food"
    assert label("counterfeit", "zh-CN", WORKFLOWS) == "假冒"
    assert label(None, "zh", WORKFLOWS) == ""
    assert label("gone_code", "en", WORKFLOWS) == "gone_code"


def test_suggestion_from_product_and_facts() -> None:
    c = load_classification(WORKFLOWS)
    assert c.suggest("华为手机", "收到后黑屏，无法使用") == ("household_appliances", "quality")
    assert c.suggest("团购鸡蛋", "缺斤短两") == ("food", "measurement")
    assert c.suggest("某物", "没什么可说") == (None, None)


def test_codes_and_names() -> None:
    c = load_classification(WORKFLOWS)
    assert c.code_for("食品类") == "food"
    assert c.code_for("Quality") == "quality"
    assert c.check("food", "quality") == {}
    assert set(c.check("fod", "qualty")) == {"goods_category", "problem_nature"}


def _raw() -> dict:
    return yaml.safe_load((WORKFLOWS / CLASSIFICATION_FILE).read_text(encoding="utf-8"))


def test_a_retired_category_is_labelled_but_neither_offered_nor_suggested() -> None:
    raw = _raw()
    raw["categories"]["food"]["retired"] = True
    c = parse_classification(raw, "test")
    assert c.label("food") == "食品类"
    assert "food" not in {e.code for e in c.offered_categories()}
    assert c.check("food", None) == {"goods_category": "unknown"}
    assert c.suggest("鸡蛋", "")[0] != "food"


def test_an_operator_may_add_a_category(tmp_path: Path) -> None:
    raw = _raw()
    raw["version"] = 2
    raw["categories"]["elderly_care"] = {
        "group": "services",
        "label": {"zh": "养老服务", "en": "Elderly care"},
        "plain": {"zh": "养老院、护理", "en": "Care homes"},
        "keywords": ["养老院"],
    }
    (tmp_path / CLASSIFICATION_FILE).write_text(yaml.safe_dump(raw, allow_unicode=True))
    c = load_classification(tmp_path)
    assert c.version == 2
    assert c.suggest("养老院床位", "")[0] == "elderly_care"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(version="one"), "version"),
        (lambda r: r["categories"].update({"Bad Code": r["categories"]["food"]}), "code"),
        (lambda r: r["categories"]["food"].update(group="things"), "group"),
        (lambda r: r["natures"]["price"].update(label={"zh": "价格", "fr": "prix"}), "label"),
        (lambda r: r["natures"]["price"].update(keywords="价格"), "keywords"),
        (lambda r: r.pop("source"), "source"),
    ],
)
def test_the_loader_names_what_is_wrong(change, message: str) -> None:  # type: ignore[no-untyped-def]
    raw = _raw()
    change(raw)
    with pytest.raises(WorkflowError, match=message):
        parse_classification(raw, "classification.yaml")
