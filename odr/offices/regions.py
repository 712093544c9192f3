"""China's administrative division codes (provinces, cities, counties) shipped with odr."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Region:
    code: str  # 6 digits
    name: str
    level: str  # province / city / county
    parent_code: str | None


@cache
def regions() -> dict[str, Region]:
    """Every region by its 6-digit code (the CSVs use 2- and 4-digit prefixes for upper levels)."""
    result: dict[str, Region] = {}
    with open(DATA_DIR / "provinces.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            code = row["code"].ljust(6, "0")
            result[code] = Region(code, row["name"], "province", None)
    with open(DATA_DIR / "cities.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            code = row["code"].ljust(6, "0")
            parent = row["provinceCode"].ljust(6, "0")
            name = row["name"]
            if name == "市辖区":  # municipalities: the city level carries the province's name
                name = result[parent].name
            result[code] = Region(code, name, "city", parent)
    with open(DATA_DIR / "areas.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            result[row["code"]] = Region(
                row["code"], row["name"], "county", row["cityCode"].ljust(6, "0")
            )
    return result


def ancestry(code: str) -> list[str]:
    """The code, then its city and province codes: where to look for a competent office."""
    chain = [code]
    if code[4:] != "00":
        chain.append(code[:4] + "00")
    if code[2:] != "0000":
        chain.append(code[:2] + "0000")
    return chain


@cache
def _county_names() -> tuple[re.Pattern[str], dict[str, tuple[str, ...]]]:
    """One pattern matching any county name (longest first), and the codes of each name."""
    by_name: dict[str, list[str]] = {}
    for region in regions().values():
        if region.level == "county" and len(region.name) >= 2:
            by_name.setdefault(region.name, []).append(region.code)
    names = sorted(by_name, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(name) for name in names))
    return pattern, {name: tuple(codes) for name, codes in by_name.items()}


def counties_in(text: str) -> list[str]:
    """The county-level regions an address names (青秀区 -> 450103), most likely first.

    A county name shared by several cities (朝阳区, 江南区) counts for the one whose city or
    province the address also names; a name the address gives without either stays ambiguous
    and yields every region of that name."""
    if not text:
        return []
    pattern, by_name = _county_names()
    known = regions()
    found: list[str] = []
    for match in pattern.finditer(text):
        codes = by_name[match.group()]
        if len(codes) > 1:
            named = [c for c in codes if _names_parent(text, known, c)]
            codes = tuple(named) or codes
        found.extend(c for c in codes if c not in found)
    return found


def _names_parent(text: str, known: dict[str, Region], code: str) -> bool:
    """Whether the text names the region's city or province (with or without 市 / 省)."""
    for parent in ancestry(code)[1:]:
        region = known.get(parent)
        if region is not None and region.name.rstrip("市省") in text:
            return True
    return False
