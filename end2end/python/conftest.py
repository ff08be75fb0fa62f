"""Starts a real `plume serve` (debug build, or `$PLUME_BINARY`) on free ports with a temporary data dir:
`plume` with accounts off (the default) and `plume_auth` with `--auth on` and a first admin.
Run through `end2end/with-postgres.sh`, each server gets a PostgreSQL database of its own instead."""

import json
import os
import secrets
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("PLUME_BINARY") or ROOT / "target" / "debug" / "plume")

# The first admin of the `plume_auth` server (made from PLUME_ADMIN_EMAIL / PLUME_ADMIN_PASSWORD).
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "end2end-admin-password-7Qx!"


def database_args() -> list[str]:
    """`--database-url` of a new database when the suite runs on PostgreSQL (see end2end/with-postgres.sh)."""
    bin_dir = os.environ.get("PLUME_TEST_POSTGRES_BIN")
    if not bin_dir:
        return []
    name = "py_" + secrets.token_hex(6)
    subprocess.run([f"{bin_dir}/createdb", name], check=True)
    return ["--database-url", f"postgres://{os.environ['PGUSER']}@{os.environ['PGHOST']}:{os.environ['PGPORT']}/{name}"]


class Plume:
    """A running server: `url`, `grpc_endpoint`, and an httpx client (no credentials)."""

    def __init__(self, data_dir: str, *args: str, env: dict[str, str] | None = None):
        ready_file = Path(data_dir) / "ready.json"
        self.process = subprocess.Popen(
            [str(BINARY), "serve", "--port", "0", "--grpc-port", "0", "--data-dir", data_dir,
             "--ready-file", str(ready_file), *database_args(), *args],
            stderr=subprocess.DEVNULL,
            env={**os.environ, "RUST_LOG": "info", **(env or {})},
        )
        deadline = time.monotonic() + 60
        while not ready_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError(f"plume did not start ({BINARY} {' '.join(args)})")
            time.sleep(0.02)
        ready = json.loads(ready_file.read_text())
        self.url = ready["http"]
        self.grpc_endpoint = ready["grpc"].removeprefix("http://")
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture(scope="session")
def plume():
    with tempfile.TemporaryDirectory() as data_dir:
        server = Plume(data_dir)
        yield server
        server.stop()


@pytest.fixture(scope="session")
def plume_auth():
    """A second server with `--auth on`; its first admin is ADMIN_EMAIL / ADMIN_PASSWORD."""
    with tempfile.TemporaryDirectory() as data_dir:
        server = Plume(
            data_dir, "--auth", "on",
            env={"PLUME_ADMIN_EMAIL": ADMIN_EMAIL, "PLUME_ADMIN_PASSWORD": ADMIN_PASSWORD},
        )
        server.admin_email, server.admin_password = ADMIN_EMAIL, ADMIN_PASSWORD
        yield server
        server.stop()
