"""案件查询 on the demo database of 1,000,000 cases: p50 of each kind of query through the whole
app (litestar TestClient: routing, session, guards, the full-text match, scoping, deadline order,
the page's template), as the city office (every case in scope), a district office and the
platform 美团优选. Goal: p50 under 100 ms for every kind.

Baseline, measured in the same run and process: `GET /health/live`.

Each kind is asked with several different values (taken from the database: cases of the scope
at random), in turn, so that no answer is only the database's cache of the one before.

SQLite by default (the cached database under var/bench/, built with `odr demo --cases N`);
`--database-url postgresql://...` runs the same against PostgreSQL, on the shared demo database
of N cases of that server (bench_1m for 1,000,000: _scale.postgres_database, built when missing),
which it only reads (its users' password was set when it was built).
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _scale  # noqa: E402

pages = _scale.sibling("pages")

RESULTS_PATH = _scale.RESULTS_DIR / "search.json"
TARGET_MS = 100.0
# (who, portal, user)
SEARCHERS = (
    ("city office", "regulator", "reg450100"),
    ("district office", "regulator", "reg450103"),
    ("platform", "enterprise", "meituan"),
)
# Chinese words of the demo's products and facts, two characters each.
WORDS = ("退款", "牛奶", "团长", "月饼", "质量", "客服")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=10_000, help="(names the cached database)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per kind (p50)")
    parser.add_argument("--values", type=int, default=10, help="different values per kind")
    parser.add_argument(
        "--cache", type=Path, default=_scale.BENCH_DIR, help="where the databases are kept"
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL server (postgresql://user@host:port/any): its bench_<N> database",
    )
    parser.add_argument("--output", type=Path, default=None)
    return parser.parse_args(argv)


def _samples(url: str, searcher: str, count: int, seed: int = 1) -> dict[str, list[str]]:
    """Queries of each kind, from cases the searcher may see, `count` of each."""
    from sqlalchemy import func, select

    from odr.auth.models import User
    from odr.auth.service import actor_for
    from odr.cases.models import Case
    from odr.clock import SHANGHAI
    from odr.db.engine import make_engine, make_session_factory
    from odr.masking import REDACTED
    from odr.models import import_models
    from odr.search.service import scope

    import_models()
    engine = make_engine(url)
    rng = random.Random(seed)
    with make_session_factory(engine)() as session:
        actor = actor_for(session, session.scalar(select(User).where(User.username == searcher)))
        top = session.scalar(select(func.max(Case.id))) or 0
        picked: list[Case] = []
        twelve: list[Case] = []
        for _ in range(50):  # a scope without 12315 transfers has no 12315 numbers to ask
            if len(picked) >= count * 4 and len(twelve) >= count:
                break
            start = rng.randint(1, top)
            batch = session.scalars(
                select(Case)
                .where(Case.id >= start, *scope(actor))
                .order_by(Case.id)
                .limit(count * 4)
            ).all()
            picked += [c for c in batch if c.complainant_name != REDACTED][:count]
            twelve += [c for c in batch if c.channel == "12315" and c.external_id][:count]
        engine.dispose()
    cases = picked[:count]
    with_orders = [c for c in picked if c.order_number][:count]
    with_uscc = [c for c in picked if c.respondent_uscc][:count]

    def tail(c: Case) -> str:
        return c.complainant_phone[-4:]

    return {
        "case number": [c.number for c in cases],
        "12315 number": [c.external_id or "" for c in twelve[:count]],
        "whole phone": [c.complainant_phone.removeprefix("+86") for c in cases],
        "phone tail + name": [f"{tail(c)} {c.complainant_name}" for c in cases],
        "phone tail + date": [
            f"{c.received_at.astimezone(SHANGHAI):%Y-%m-%d} {tail(c)}" for c in cases
        ],
        "complainant name": [c.complainant_name for c in cases],
        "order number": [c.order_number or "" for c in with_orders],
        "respondent name": [c.respondent_name for c in cases],
        "respondent USCC": [c.respondent_uscc or "" for c in with_uscc],
        "product or facts word (2 characters)": list(WORDS),
    }


def measure(
    client: Any,
    url: str,
    repeat: int,
    values: int,
    searchers: tuple[tuple[str, str, str], ...] = SEARCHERS,
) -> dict[str, Any]:
    """p50 of each kind of query of each searcher through the app on `client`, `values`
    different values a kind (from the database at `url`) asked in turn."""
    kinds: dict[str, Any] = {}
    for who, portal, user in searchers:
        samples = _samples(url, user, values)
        _scale.log_in(client, url, user)
        for kind, asked in samples.items():
            asked = [v for v in asked if v]
            if not asked:
                continue
            urls = [f"/{portal}/search?q={quote(v)}" for v in asked]
            found: list[int] = []
            statuses: set[int] = set()
            link = f'href="/{portal}/cases/'
            turns = itertools.count()

            def ask(
                urls: list[str] = urls,
                found: list[int] = found,
                statuses: set[int] = statuses,
                turn: Any = turns,
                link: str = link,
            ) -> None:
                response = client.get(urls[next(turn) % len(urls)])
                statuses.add(response.status_code)
                found.append(response.text.count(link))

            times = _scale.timed(ask, max(repeat, len(urls)))
            kinds[f"{kind} ({who})"] = {
                "p50_ms": _scale.p50(times) * 1000,
                "max_ms": max(times) * 1000,
                "statuses": sorted(statuses),
                "results_p50": sorted(found)[len(found) // 2],
                "values": len(asked),
            }
    return kinds


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    from odr.settings import Settings

    if args.database_url:
        shared = _scale.postgres_database(args.cases, args.overdue, args.database_url)
        url, database, built = shared.url, "postgresql", shared.build_seconds
    else:
        db = _scale.database(args.cases, args.overdue, args.cache)
        url, database, built = db.url, "sqlite", db.build_seconds
        _scale.set_passwords(url, [user for _, _, user in SEARCHERS])
    output = args.output or _scale.RESULTS_DIR / (
        "search.json" if database == "sqlite" else "search-postgresql.json"
    )
    print(f"search: {args.cases:,} cases on {database} ({'built' if built else 'cached'})")
    with tempfile.TemporaryDirectory(prefix="odr-bench-search-") as tmp:
        settings = Settings.from_env(database_url=url, var_dir=Path(tmp), background_jobs=False)
        with _scale.test_client(settings) as client:
            baseline_ms = pages.health_live(client, args.repeat * 3)
            kinds = measure(client, url, args.repeat, args.values)
    rows = [
        _scale.row(
            f"search {database}, {figure} (p50)",
            kind["p50_ms"],
            "ms",
            TARGET_MS,
            baseline_ms,
            "/health/live",
        )
        for figure, kind in kinds.items()
    ]
    results = {
        "machine": _scale.machine(),
        "workload": {"cases": args.cases, "database": database, "repeat": args.repeat},
        "baseline_health_live_p50_ms": baseline_ms,
        "kinds": kinds,
        "ratios": {r["figure"]: r["ratio"] for r in rows},
        "table": rows,
    }
    _scale.print_rows(rows)
    for figure, kind in kinds.items():
        print(f"    {figure}: {kind['results_p50']} results (p50), statuses {kind['statuses']}")
    _scale.write(results, output)
    return results


if __name__ == "__main__":
    main()
