"""Staff pages on a database of 1,000,000 cases (SQLite): the enterprise inbox, the regulator
queue (district and city office) and the regulator dashboard, rendered through the whole app
(litestar TestClient: routing, session, guards, queries, templates).

Baseline, measured in the same run and process: `GET /health/live`, the cheapest page there is.
A page that is not there (404) or fails is reported as missing, not timed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _scale  # noqa: E402

RESULTS_PATH = _scale.RESULTS_DIR / "pages.json"
# (figure, portal, user, path, target p50 in ms)
PAGES = (
    ("enterprise inbox (meituan)", "enterprise", "meituan", "/enterprise/", 30.0),
    ("regulator queue (district office)", "regulator", "reg450103", "/regulator/", 30.0),
    ("regulator queue (city office)", "regulator", "reg450100", "/regulator/", 30.0),
    ("regulator dashboard (city office)", "regulator", "reg450100", "/regulator/dashboard", 500.0),
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=10_000, help="(names the cached database)")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page (p50)")
    parser.add_argument(
        "--cache", type=Path, default=_scale.BENCH_DIR, help="where the databases are kept"
    )
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    return parser.parse_args(argv)


def _login(client: Any, portal: str, username: str) -> None:
    if "odr_csrf" not in client.cookies:
        client.get("/track")
    response = client.post(
        f"/{portal}/login",
        data={
            "_csrf_token": client.cookies["odr_csrf"],
            "username": username,
            "password": _scale.BENCH_PASSWORD,
        },
    )
    if response.status_code != 200 or not str(response.url).rstrip("/").endswith(portal):
        raise SystemExit(f"login as {username} failed: {response.status_code}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    from litestar.testing import TestClient

    from odr.app import create_app
    from odr.settings import Settings

    db = _scale.database(args.cases, args.overdue, args.cache)
    print(f"pages: {args.cases:,} cases ({'built' if db.build_seconds else 'cached'})")
    _scale.set_passwords(db.url, sorted({user for _, _, user, _, _ in PAGES}))
    pages: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="odr-bench-pages-") as tmp:
        settings = Settings.from_env(database_url=db.url, var_dir=Path(tmp), background_jobs=False)
        app = create_app(settings)
        with TestClient(app, base_url="http://127.0.0.1") as client:
            baseline = _scale.timed(lambda: client.get("/health/live"), args.repeat * 3)
            logged_in: str | None = None
            for figure, portal, user, path, target in PAGES:
                if logged_in != user:
                    client.cookies.clear()
                    _login(client, portal, user)
                    logged_in = user
                response = client.get(path)
                if response.status_code == 404:
                    pages[figure] = {"path": path, "missing": True, "target_ms": target}
                    print(f"  {figure}: {path} is not there (404); not timed")
                    continue
                if response.status_code != 200:  # e.g. a page another change is building
                    pages[figure] = {"path": path, "missing": True, "target_ms": target}
                    pages[figure]["error"] = response.status_code
                    print(f"  {figure}: {path} answered {response.status_code}; not timed")
                    continue
                statuses: list[int] = []
                times = _scale.timed(
                    lambda path=path, statuses=statuses: statuses.append(
                        client.get(path).status_code
                    ),
                    args.repeat,
                )
                pages[figure] = {
                    "path": path,
                    "user": user,
                    "missing": False,
                    "statuses": sorted(set(statuses)),
                    "bytes": len(response.content),
                    "case_links": response.text.count("/cases/"),
                    "p50_ms": _scale.p50(times) * 1000,
                    "max_ms": max(times) * 1000,
                    "target_ms": target,
                }
    baseline_ms = _scale.p50(baseline) * 1000
    rows = [
        _scale.row(
            f"{figure} (p50)",
            page["p50_ms"],
            "ms",
            page["target_ms"],
            baseline_ms,
            "/health/live",
        )
        for figure, page in pages.items()
        if not page["missing"]
    ]
    results = {
        "machine": _scale.machine(),
        "workload": {"cases": args.cases, "repeat": args.repeat},
        "baseline_health_live_p50_ms": baseline_ms,
        "pages": pages,
        "ratios": {r["figure"]: r["ratio"] for r in rows},
        "table": rows,
    }
    _scale.print_rows(rows)
    _scale.write(results, args.output)
    return results


if __name__ == "__main__":
    main()
