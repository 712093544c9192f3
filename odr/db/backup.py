"""`odr backup` and `odr restore`: the SQLite database and the evidence files, with a manifest.

The database is copied with SQLite's online backup API in one step: a consistent snapshot
while the server keeps writing (WAL lets writers go on). Evidence files are written before
the rows that name them commit, so copying the folder after the snapshot finds every file the
snapshot names. The manifest holds the SHA-256 of every file; restore checks it first.
PostgreSQL is backed up with its own tools (pg_dump -Fc, see the README).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from odr.clock import utcnow
from odr.db.engine import is_sqlite
from odr.settings import Settings

MANIFEST = "manifest.json"
DATABASE = "odr.sqlite3"
EVIDENCE = "evidence"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot be done (the message says why and what to do)."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    files: int  # evidence files
    bytes: int  # of everything copied


def _sqlite_path(settings: Settings) -> Path:
    if not is_sqlite(settings.database_url):
        raise BackupError(
            "the database is PostgreSQL: back it up with `pg_dump -Fc` and copy "
            f"{settings.evidence_dir} beside the dump (README: Privacy and backups)"
        )
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        raise BackupError(f"{settings.database_url}: not a database file")
    return Path(database)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_database(source: Path, target: Path) -> None:
    """Copy one SQLite database into another with the online backup API (all pages at once)."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)  # pages=-1: one step, one consistent snapshot
    finally:
        dst.close()
        src.close()


def _evidence_files(evidence_dir: Path) -> Iterator[Path]:
    if evidence_dir.is_dir():
        for path in sorted(evidence_dir.rglob("*")):
            if path.is_file() and not path.name.endswith(".part"):  # half-written uploads
                yield path


def backup(settings: Settings, dest: Path, now: datetime | None = None) -> BackupSummary:
    """Write a backup to `dest`: a new folder, or a file whose name ends in .tar.gz."""
    database = _sqlite_path(settings)
    if not database.is_file():
        raise BackupError(f"{database}: no database to back up")
    archive = dest.name.endswith((".tar.gz", ".tgz"))
    if dest.exists() and (archive or any(dest.iterdir())):
        raise BackupError(f"{dest}: already exists; give a new name")
    with tempfile.TemporaryDirectory(dir=dest.parent if archive else None) as work:
        folder = Path(work) / "backup" if archive else dest
        folder.mkdir(parents=True, exist_ok=True)
        _copy_database(database, folder / DATABASE)
        files = {DATABASE: _sha256(folder / DATABASE)}
        for path in _evidence_files(settings.evidence_dir):
            relative = Path(EVIDENCE) / path.relative_to(settings.evidence_dir)
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, folder / relative)
            files[relative.as_posix()] = _sha256(folder / relative)
        manifest = {
            "format": 1,
            "created_at": (now or utcnow()).isoformat(),
            "files": files,
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        size = sum((folder / name).stat().st_size for name in files)
        if archive:
            partial = dest.with_name(dest.name + ".part")
            with tarfile.open(partial, "w:gz") as tar:
                for name in [MANIFEST, *files]:
                    tar.add(folder / name, arcname=name)
            partial.replace(dest)
    return BackupSummary(dest, len(files) - 1, size)


@contextmanager
def _unpacked(source: Path) -> Iterator[Path]:
    """The backup's folder (a .tar.gz unpacked into a temporary one)."""
    if source.is_dir():
        yield source
        return
    if not source.is_file():
        raise BackupError(f"{source}: no such backup")
    with tempfile.TemporaryDirectory() as work:
        with tarfile.open(source, "r:gz") as tar:
            tar.extractall(work, filter="data")  # no absolute paths, no links out
        yield Path(work)


def _checked(folder: Path) -> dict[str, str]:
    """The manifest's files, each present with its SHA-256; else BackupError naming them."""
    try:
        files: dict[str, str] = json.loads((folder / MANIFEST).read_text())["files"]
    except (OSError, ValueError, KeyError) as exc:
        raise BackupError(f"{folder}: no readable {MANIFEST} ({exc})") from exc
    bad = [
        name
        for name, sha in files.items()
        if ".." in Path(name).parts
        or (name != DATABASE and Path(name).parts[0] != EVIDENCE)
        or not (folder / name).is_file()
        or _sha256(folder / name) != sha
    ]
    if DATABASE not in files:
        bad.append(DATABASE)
    if bad:
        raise BackupError(f"backup damaged, not restored: {', '.join(sorted(bad)[:10])}")
    return files


def _has_data(database: Path) -> bool:
    if not database.is_file() or database.stat().st_size == 0:
        return False
    with sqlite3.connect(database, timeout=30) as connection:
        tables = [
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return any(
            connection.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone()
            for t in tables
            if t != "alembic_version"
        )


def restore(settings: Settings, source: Path, force: bool = False) -> BackupSummary:
    """Bring a backup back: check the manifest, then the database and the evidence files.

    Run it with the server stopped. A database that holds data is replaced only with `force`.
    """
    database = _sqlite_path(settings)
    with _unpacked(source) as folder:
        files = _checked(folder)
        if _has_data(database) and not force:
            raise BackupError(f"{database} already holds data; restore with --force to replace it")
        database.parent.mkdir(parents=True, exist_ok=True)
        _copy_database(folder / DATABASE, database)
        for name in files:
            if name == DATABASE:
                continue
            target = settings.evidence_dir / Path(name).relative_to(EVIDENCE)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".restore.part")
            shutil.copyfile(folder / name, partial)
            os.replace(partial, target)
        size = sum((folder / name).stat().st_size for name in files)
    return BackupSummary(source, len(files) - 1, size)
