"""China's administrative division codes (provinces, cities, counties) shipped with odr."""

from __future__ import annotations

import csv
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
