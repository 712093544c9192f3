"""PostgreSQL clusters of a test's own: a small primary made with initdb and a streaming replica
made from it with pg_basebackup -R, each on a free port of 127.0.0.1, in a temporary folder.

The shared server (127.0.0.1:5432) is never copied: a base backup copies every database of a
cluster (the other suites' and the benchmarks' millions of cases). The primary is made for
speed, not safety (fsync off, small buffers). PostgreSQL refuses to run as root: run as root
(CI), the commands run as the `postgres` OS user, who owns the folder."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "16MB",
    "max_connections": "40",
    "wal_level": "replica",
    "max_wal_senders": "4",
    "wal_keep_size": "64MB",  # the replica catches up from the primary's WAL without a slot
    "hot_standby": "on",
    "autovacuum": "off",
}


@dataclass(frozen=True)
class Replicated:
    """What the tests get: the odr database on the primary and on its replica."""

    primary_url: str
    replica_url: str
    logins: dict[str, str]  # username -> password of the demo users


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_binaries() -> Path | None:
    """The folder of initdb, pg_ctl and pg_basebackup: pg_config's, else Debian's newest."""
    found = []
    if pg_config := shutil.which("pg_config"):
        bindir = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        found.append(bindir)
    found += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    for folder in found:
        if all((Path(folder) / name).exists() for name in ("initdb", "pg_ctl", "pg_basebackup")):
            return Path(folder)
    return None


def _version(folder: str) -> int:
    name = Path(folder).parent.name
    return int(name) if name.isdigit() else 0


@dataclass
class Cluster:
    data: Path
    port: int
    sockets: Path
    log: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


class Clusters:
    """The primary and its replica, made, started and at the end stopped and removed."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_postgres = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="odr-replica-"))
        if self.as_postgres:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.started: list[Cluster] = []

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        done = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            logs = "".join(
                f"\n--- {c.log}:\n{c.log.read_text()[-3000:]}"
                for c in self.started
                if c.log.exists()
            )
            raise RuntimeError(
                f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}{logs}"
            )

    def _cluster(self, name: str) -> Cluster:
        return Cluster(self.root / name, free_port(), self.root, self.root / f"{name}.log")

    def primary(self) -> Cluster:
        """A new cluster (superuser postgres, trust for everything on 127.0.0.1, replication
        included), started."""
        cluster = self._cluster("primary")
        self._run(
            str(self.bindir / "initdb"),
            "-D", str(cluster.data),
            "-U", "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )  # fmt: skip
        hba = cluster.data / "pg_hba.conf"
        with hba.open("a") as lines:  # initdb writes these with --auth=trust: said, not assumed
            lines.write("host all all 127.0.0.1/32 trust\n")
            lines.write("host replication all 127.0.0.1/32 trust\n")
        self._start(cluster)
        return cluster

    def copy_database(self, source_url: str, into: Cluster, name: str) -> None:
        """Copy a database (schema and rows) from another server into a new one of `into`."""
        source = make_url(source_url).set(drivername="postgresql")
        target = into.url(name)
        self._run(str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(into.port),
                  "-U", "postgres", name)  # fmt: skip
        dump = subprocess.run(
            [str(self.bindir / "pg_dump"), "--no-owner", "--no-privileges",
             source.render_as_string(hide_password=False)],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        load = subprocess.run(
            [str(self.bindir / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", target],
            input=dump.stdout, capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        if dump.returncode or load.returncode:
            raise RuntimeError(f"copying {source.database} failed: {dump.stderr!r} {load.stderr!r}")

    def replica_of(self, primary: Cluster) -> Cluster:
        """A streaming replica of `primary` (pg_basebackup -R: standby.signal and
        primary_conninfo written), started and accepting read-only connections."""
        cluster = self._cluster("replica")
        self._run(
            str(self.bindir / "pg_basebackup"),
            "-h", "127.0.0.1",
            "-p", str(primary.port),
            "-U", "postgres",
            "-D", str(cluster.data),
            "-R",
            "-X", "stream",
            "--checkpoint=fast",
            "--no-sync",
        )  # fmt: skip
        self._start(cluster)
        return cluster

    def _start(self, cluster: Cluster) -> None:
        settings = {**SERVER_SETTINGS, "port": str(cluster.port)}
        settings["unix_socket_directories"] = str(cluster.sockets)
        options = " ".join(f"-c {name}={value}" for name, value in settings.items())
        self.started.append(cluster)
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D", str(cluster.data),
            "-l", str(cluster.log),
            "-o", options,
            "-w",
            "-t", "60",
            "start",
        )  # fmt: skip

    def close(self) -> None:
        """Stop every cluster started (immediately: nothing of theirs is kept) and remove them."""
        for cluster in reversed(self.started):
            # it may not have started; the folder goes all the same
            with contextlib.suppress(RuntimeError):
                self._run(
                    str(self.bindir / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "stop"
                )
        shutil.rmtree(self.root, ignore_errors=True)
