"""A throw-away PostgreSQL cluster for tests and benchmarks: initdb and pg_ctl, unprivileged.

Debian's ``postgresql`` package (installed by ``./dev``) provides the binaries;
the cluster lives in a temporary folder, listens on a free loopback port and
a socket in that folder, trusts local connections, and is stopped and removed
afterwards. As root, initdb runs as ``nobody`` (PostgreSQL refuses root).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from dialplan.sandbox import free_port


def pg_bin() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").is_file():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _as_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *cmd]


def _run(cmd: list[str]) -> None:
    result = subprocess.run(_as_user(cmd), capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{Path(cmd[0]).name} failed: {result.stderr or result.stdout}")


@contextlib.contextmanager
def pg_cluster() -> Iterator[str]:
    """Start a cluster; yield the DSN of its ``postgres`` database."""
    binaries = pg_bin()
    if binaries is None:
        raise RuntimeError("PostgreSQL is not installed: ./dev installs Debian's postgresql")
    base = Path(tempfile.mkdtemp(prefix="spillway-pg-"))
    data = base / "data"
    data.mkdir()
    if os.geteuid() == 0:
        os.chown(base, 65534, 65534)
        os.chown(data, 65534, 65534)
    port = free_port()
    _run(
        [str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "spillway",
         "--no-sync", "-E", "UTF8"]
    )  # fmt: skip
    options = (
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
    )
    _run([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-w",
          "-l", str(base / "log"), "start"])  # fmt: skip
    try:
        yield f"postgresql://spillway@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


def new_database(dsn: str) -> str:
    """A fresh, empty database in the cluster of ``dsn``; its DSN."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return dsn.rsplit("/", 1)[0] + f"/{name}"
