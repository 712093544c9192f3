"""Full-text search as each database does it: SQLite's FTS5, PostgreSQL's tsvector with a GIN
index. Domain code writes plain rows of words (`terms`, words separated by spaces) into a table
of its own and asks for the rows whose words hold every phrase of a query; how the database
indexes and matches them is answered here.

Chinese is written without spaces, and neither database segments it: FTS5's unicode61 reads a
run of Han characters as one word, its trigram tokenizer needs 3 characters (月饼, 退款 find
nothing), and PostgreSQL's parsers know no Chinese. So the text is cut into words here, before
either database sees it, the same way for both: every run of Han characters as its overlapping
character bigrams (月饼退款 -> 月饼 饼退 退款), a lone character as itself; Latin letters and
digits as words, lower case (full-width forms folded by NFKC). A query is cut the same way, and
a run of several characters asks for its bigrams as a phrase (adjacent, in order). Both
databases then only split the stored words on spaces.

- SQLite: an external-content FTS5 table over the words table, kept in step by triggers, so
  the words are written once, in the writer's transaction, and the index with them.
- PostgreSQL: a stored generated column `to_tsvector('simple', terms)` with a GIN index;
  'simple' lower-cases and stems nothing.
(Both built by the migration that makes the words table, 0019_case_search.py.)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Select, Table, select, text
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import TableClause

from odr.db.engine import is_sqlite

# Han ideographs (CJK unified, extension A, compatibility) read as bigrams; Latin letters and
# digits as words; everything else separates.
_RUNS = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)|([0-9a-z]+)")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _normalised(text_: str) -> str:
    return unicodedata.normalize("NFKC", text_).lower()


def phrases(text_: str) -> list[list[str]]:
    """The text as runs of words: a run of Han characters as its bigrams in order (one
    character: itself), a Latin or digit run as one word."""
    found: list[list[str]] = []
    for match in _RUNS.finditer(_normalised(text_)):
        han, word = match.groups()
        if word:
            found.append([word])
        elif len(han) == 1:
            found.append([han])
        else:
            found.append([han[i : i + 2] for i in range(len(han) - 1)])
    return found


def words(text_: str) -> list[str]:
    """The words the index keeps of a text, in order (phrases() flattened)."""
    return [word for phrase in phrases(text_) for word in phrase]


def is_han(text_: str) -> bool:
    return bool(_HAN.search(text_))


def _fts5_query(query: Sequence[Sequence[str]]) -> str:
    # Our words are letters, digits and Han only: quoting cannot be broken out of.
    return " AND ".join('"' + " ".join(phrase) + '"' for phrase in query)


def _tsquery(query: Sequence[Sequence[str]]) -> str:
    return " & ".join("(" + " <-> ".join(f"'{word}'" for word in phrase) + ")" for phrase in query)


def fts_table(table: Table) -> str:
    """The FTS5 table over a words table (SQLite)."""
    return f"{table.name}_fts"


def _fts(name: str) -> TableClause:
    return sql_table(name, sql_column("rowid"))


def matching(
    session: Session,
    table: Table,
    key: Column[Any],
    query: Sequence[Sequence[str]],
    newest: int | None = None,
) -> Select[Any]:
    """The keys of the rows of `table` whose words hold every phrase of the query (each a
    list of words that must follow one another), as a select to use in IN (...); `newest`:
    only that many, the highest keys (FTS5 reads its lists backwards for it)."""
    if is_sqlite(session.get_bind()):
        fts = fts_table(table)
        rowid = _fts(fts).c.rowid
        found = select(rowid.label(key.name)).where(
            text(f"{fts} MATCH :fts_query").bindparams(fts_query=_fts5_query(query))
        )
        order = rowid
    else:
        found = select(key).where(
            text(f"{table.name}.tsv @@ to_tsquery('simple', :ts_query)").bindparams(
                ts_query=_tsquery(query)
            )
        )
        order = key
    return found if newest is None else found.order_by(order.desc()).limit(newest)


def is_machinery(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Whether a schema object is the full-text machinery built here, not described by the
    models (the FTS5 table and its shadow tables, the tsvector column and its index): for
    Alembic's comparison of models and database (`include_name` answers its negation)."""
    if name is None:
        return False
    if type_ == "table":
        return "_fts" in name
    if type_ == "column":
        return name == "tsv"
    if type_ == "index":
        return name.endswith("_tsv")
    return False


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    return not is_machinery(name, type_, parent_names)
