"""Shared by the scale benchmarks (not a benchmark itself): demo databases of N cases, built once
with `odr demo --cases N` and cached under var/bench/ (git-ignored), results and the table row.

On PostgreSQL (postgres_database) the demo database of N cases is `bench_<label>` on the server
named (bench_1m for 1,000,000 cases, bench_10m for 10,000,000), built once and shared: a JSON
note of how it was built is its database comment (and a file in ODR_BENCH_NOTES_DIR, var/bench
by default); until the note exists it is being built. Benchmarks only read it."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
BENCH_DIR = ROOT / "var" / "bench"
ODR = str(Path(sys.executable).with_name("odr"))
# Generated data depends on these: a change rebuilds the cached databases (a new migration
# only upgrades them).
SOURCES = ("odr/demo", "odr/cases/bulk.py", "odr/cases/history.py")
BENCH_PASSWORD = "bench-password-1"


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average": list(os.getloadavg()),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def sources_digest() -> str:
    digest = hashlib.sha256()
    for name in SOURCES:
        path = ROOT / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Database:
    path: Path
    cases: int
    overdue: int
    now: datetime  # the moment the cases were generated as of
    build_seconds: float | None  # None: taken from the cache

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"


def _meta_path(path: Path) -> Path:
    return path.with_suffix(".json")


def build(path: Path, cases: int, overdue: int, now: datetime) -> float:
    """`odr db upgrade`, `odr demo`, `odr demo --cases N`; return the seconds the last took."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "ODR_DATABASE_URL": f"sqlite:///{path}", "ODR_VAR_DIR": str(path.parent)}
    run = {"env": env, "check": True, "stdout": subprocess.DEVNULL, "cwd": ROOT}
    subprocess.run([ODR, "db", "upgrade"], **run)  # type: ignore[call-overload]
    subprocess.run([ODR, "demo", "--cases", "0"], **run)  # type: ignore[call-overload]
    started = time.perf_counter()
    subprocess.run(  # type: ignore[call-overload]
        [ODR, "demo", "--cases", str(cases), "--overdue", str(overdue), "--now", now.isoformat()],
        **run,
    )
    seconds = time.perf_counter() - started
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    meta = {"cases": cases, "overdue": overdue, "now": now.isoformat(), "sources": sources_digest()}
    _meta_path(path).write_text(json.dumps(meta | {"build_seconds": seconds}), encoding="utf-8")
    return seconds


def database(cases: int, overdue: int, directory: Path = BENCH_DIR) -> Database:
    """The cached demo database of `cases` cases (`overdue` of them due), built when missing."""
    path = directory / f"demo-{cases}-{overdue}.sqlite3"
    meta_path = _meta_path(path)
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta["sources"] == sources_digest():
            env = {**os.environ, "ODR_DATABASE_URL": f"sqlite:///{path}"}
            subprocess.run([ODR, "db", "upgrade"], env=env, check=True, stdout=subprocess.DEVNULL)
            return Database(path, cases, overdue, datetime.fromisoformat(meta["now"]), None)
    now = datetime.now(UTC).replace(microsecond=0)
    seconds = build(path, cases, overdue, now)
    return Database(path, cases, overdue, now, seconds)


@dataclass(frozen=True)
class PostgresDatabase:
    url: str
    cases: int
    overdue: int
    now: datetime  # the moment the cases were generated as of
    build_seconds: float | None  # None: built before
    note: dict[str, Any]


def postgres_name(cases: int) -> str:
    """bench_1m, bench_10m, else bench_<N>."""
    return {1_000_000: "bench_1m", 10_000_000: "bench_10m"}.get(cases, f"bench_{cases}")


def _note_of(connection: Any, name: str) -> dict[str, Any] | None:
    from sqlalchemy import text

    found = connection.execute(
        text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :name"),
        {"name": name},
    ).first()
    if found is None:
        return None
    try:
        note = json.loads(found[0] or "")
    except ValueError:
        note = {}
    return note if isinstance(note, dict) else {}


def postgres_database(
    cases: int,
    overdue: int,
    admin_url: str,
    notes_dir: Path | None = None,
    name: str | None = None,
) -> PostgresDatabase:
    """The shared PostgreSQL demo database of `cases` cases (`overdue` of them due) on the server
    of `admin_url`, built when missing: `odr db upgrade`, `odr demo`, `odr demo --cases N
    --overdue K --now T`, the demo users' password set to BENCH_PASSWORD, then the note written
    (cases, overdue, now, build seconds and CPU, bytes). One that exists without a note (being
    built, or a build that failed) or with another note is left alone: an error says so."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from odr.db.engine import normalise_url

    name = name or postgres_name(cases)
    server = make_url(normalise_url(admin_url))
    url = server.set(database=name).render_as_string(hide_password=False)
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            note = _note_of(connection, name)
            if note is not None:
                if note.get("cases") == cases and note.get("overdue") == overdue:
                    now = datetime.fromisoformat(note["now"])
                    return PostgresDatabase(url, cases, overdue, now, None, note)
                raise SystemExit(
                    f"{name} exists {'with another note' if note else 'without a note'} "
                    "(being built, or its build failed): use it when its note is written, "
                    "or drop it by hand"
                )
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        now = datetime.now(UTC).replace(microsecond=0)
        note = _build_postgres(url, name, cases, overdue, now)
        with admin.connect() as connection:
            quoted = json.dumps(note).replace("'", "''")
            connection.exec_driver_sql(f"COMMENT ON DATABASE \"{name}\" IS '{quoted}'")
    finally:
        admin.dispose()
    directory = notes_dir or Path(os.environ.get("ODR_BENCH_NOTES_DIR") or BENCH_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.json").write_text(json.dumps(note, indent=2) + "\n", encoding="utf-8")
    return PostgresDatabase(url, cases, overdue, now, note["build_seconds"], note)


PROGRESS_SECONDS = 60.0


def _resident_mb(pid: int) -> list[int]:
    """Resident memory of a process and its children, in MB (Linux's /proc; else empty)."""

    def rss(process: str) -> int:
        status = Path(f"/proc/{process}/status").read_text(encoding="utf-8")
        kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
        return int(kb) // 1024

    try:
        children = [
            p.name
            for p in Path("/proc").iterdir()
            if p.name.isdigit()
            and (p / "stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[1] == str(pid)
        ]
        return [rss(str(pid)), *(rss(child) for child in children)]
    except (OSError, StopIteration, IndexError):
        return []


def _build_postgres(url: str, name: str, cases: int, overdue: int, now: datetime) -> dict[str, Any]:
    """Fill the empty database at `url`; return its note. Progress (cases written, rate) is
    printed every minute, read from the server's statistics."""
    from sqlalchemy import create_engine, text

    from odr.db.engine import normalise_url

    env = {**os.environ, "ODR_DATABASE_URL": url}
    run = {"env": env, "check": True, "stdout": subprocess.DEVNULL, "cwd": ROOT}
    subprocess.run([ODR, "db", "upgrade"], **run)  # type: ignore[call-overload]
    subprocess.run([ODR, "demo", "--cases", "0"], **run)  # type: ignore[call-overload]
    engine = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    sources = sources_digest()  # of the code that runs
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    command = [
        ODR,
        "demo",
        "--cases",
        str(cases),
        "--overdue",
        str(overdue),
        "--now",
        now.isoformat(),
    ]
    print(f"{name}: {' '.join(command[1:])}", flush=True)
    with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, cwd=ROOT) as demo:
        while demo.poll() is None:
            try:
                demo.wait(PROGRESS_SECONDS)
            except subprocess.TimeoutExpired:
                with engine.connect() as connection:
                    written = connection.scalar(
                        text("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'cases'")
                    )
                seconds = time.perf_counter() - started
                print(
                    f"{name}: {written or 0:,} cases after {seconds:,.0f} s "
                    f"({(written or 0) / seconds:,.0f}/s), load {os.getloadavg()[0]:.1f}, "
                    f"resident MB (writer, workers) {_resident_mb(demo.pid)}",
                    flush=True,
                )
    if demo.returncode:
        raise subprocess.CalledProcessError(demo.returncode, command)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    set_passwords(url, None)
    with engine.connect() as connection:
        size = connection.scalar(text("SELECT pg_database_size(current_database())")) or 0
        rows = {
            table: connection.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608
            for table in ("cases", "case_events", "notifications", "case_search")
        }
    engine.dispose()
    return {
        "cases": cases,
        "overdue": overdue,
        "now": now.isoformat(),
        "build_seconds": round(seconds, 1),
        "build_cpu_seconds": round(cpu, 1),  # odr's processes; the server's own is not counted
        "bytes": size,
        "bytes_per_case": round(size / max(cases, 1)),
        "rows": rows,
        "password": BENCH_PASSWORD,
        "sources": sources,
        "built": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": list(os.getloadavg()),
    }


def copy_of(db: Database, directory: Path) -> Database:
    """A copy to change (the cached one stays as generated)."""
    target = directory / db.path.name
    with sqlite3.connect(db.path) as connection:  # what is only in the WAL file, into the copy
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(db.path, target)
    with target.open("rb+") as copy:  # on disk before anything is timed: otherwise the first
        os.fsync(copy.fileno())  # commit's checkpoint waits for gigabytes of the copy's writes
    return Database(target, db.cases, db.overdue, db.now, db.build_seconds)


def set_passwords(url: str, usernames: list[str] | None) -> None:
    """Give the benchmark's users (None: every user) a known password (the demo prints random
    ones once)."""
    from sqlalchemy import update

    from odr.auth.models import User
    from odr.auth.service import hash_password
    from odr.db.engine import make_engine, make_session_factory, transaction
    from odr.models import import_models

    import_models()
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        chosen = (
            update(User) if usernames is None else update(User).where(User.username.in_(usernames))
        )
        session.execute(chosen.values(password_hash=hash_password(BENCH_PASSWORD)))
    engine.dispose()


def sibling(name: str) -> Any:
    """Another benchmark script as a module, by its path (a bare `import pages` may find another
    module of that name first, e.g. in a test run)."""
    import importlib.util

    module_name = f"odr_bench_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, Path(__file__).parent / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def test_client(settings: Any, raise_server_exceptions: bool = True) -> Any:
    """The whole app (routing, session, guards, queries, templates) on a litestar TestClient
    that can open login sessions (log_in): the app's cookie sessions, signed with the key the
    app derives from its settings' secret (odr/app.py, odr/ops/stores.py)."""
    from litestar.middleware.session.client_side import CookieBackendConfig
    from litestar.testing import TestClient

    from odr.app import create_app
    from odr.ops.stores import SESSION_COOKIE, SESSION_SECONDS

    if settings.redis_url:
        raise SystemExit("the benchmarks keep sessions in cookies: unset ODR_REDIS_URL")
    secret = hashlib.sha256(settings.secret_key.encode()).digest()
    sessions = CookieBackendConfig(secret=secret, key=SESSION_COOKIE, max_age=SESSION_SECONDS)
    return TestClient(
        create_app(settings),
        base_url="http://127.0.0.1",
        session_config=sessions,
        raise_server_exceptions=raise_server_exceptions,
    )


def log_in(client: Any, url: str, username: str) -> None:
    """Open `username`'s login session on the test client without the login form: the session
    the form would start (odr.auth.web.start_session), read from the database, nothing written
    (a login writes the user's row, and the shared benchmark databases are read-only)."""
    from sqlalchemy import select

    from odr.auth.models import User
    from odr.auth.service import session_stamp
    from odr.db.engine import make_engine, make_session_factory
    from odr.models import import_models

    import_models()
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise SystemExit(f"no user {username} in the database")
        data = {"user_id": user.id, "stamp": session_stamp(user)}
    engine.dispose()
    client.cookies.clear()
    client.set_session_data(data)


def timed(call: Callable[[], Any], repeat: int, warmup: int = 2) -> list[float]:
    """Seconds of each of `repeat` calls, after `warmup` untimed ones."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def p50(times: list[float]) -> float:
    return statistics.median(times)


def row(
    figure: str,
    value: float,
    unit: str,
    target: float | None,
    baseline: float | None,
    baseline_name: str,
    *,
    lower_is_better: bool = True,
) -> dict[str, Any]:
    """One line of the `make bench` table: the figure, its target, its baseline and ratio."""
    passed = None if target is None else (value <= target if lower_is_better else value >= target)
    return {
        "figure": figure,
        "value": value,
        "unit": unit,
        "target": target,
        "baseline": baseline,
        "baseline_name": baseline_name,
        "ratio": None if not baseline else value / baseline,
        "passed": passed,
    }


def write(results: dict[str, Any], output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def print_rows(rows: list[dict[str, Any]]) -> None:
    for r in rows:
        target = "" if r["target"] is None else f" (target {r['target']:g} {r['unit']})"
        ratio = "" if r["ratio"] is None else f", {r['ratio']:.2f}x {r['baseline_name']}"
        verdict = {True: "PASS", False: "FAIL", None: "-"}[r["passed"]]
        print(f"  {r['figure']}: {r['value']:.4g} {r['unit']}{target}{ratio}  {verdict}")


if __name__ == "__main__":  # build (or find) a shared PostgreSQL demo database
    import argparse

    parser = argparse.ArgumentParser(description="Build the shared PostgreSQL demo database.")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=10_000)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    arguments = parser.parse_args()
    found = postgres_database(arguments.cases, arguments.overdue, arguments.server)
    print(json.dumps({"url": found.url, **found.note}, indent=2))
