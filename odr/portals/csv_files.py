"""CSV files for Excel, one way for every export: the inbox, the dashboard tables, the CLI's.

UTF-8 with a BOM (else Excel reads Chinese as mojibake), and every text cell that Excel would
run as a formula (=, +, -, @ first, or a tab or carriage return before one) kept as text with a
leading apostrophe: a respondent named "=HYPERLINK(...)" must not become a link in a clerk's
spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import IO, Any

from litestar import Response

# litestar adds "; charset=utf-8" to a text/* type itself.
MEDIA_TYPE = "text/csv"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A text Excel would run as a formula, as text; other values as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(out: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Header and rows, every cell guarded, to a text stream (opened with newline="")."""
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """The file's bytes: UTF-8 with a BOM."""
    out = io.StringIO()
    write_csv(out, header, rows)
    return out.getvalue().encode("utf-8-sig")


def csv_response(body: bytes, filename: str, **headers: str) -> Response[bytes]:
    """A download of CSV bytes under this file name."""
    return Response(
        body,
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **headers},
    )
