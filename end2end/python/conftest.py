"""Starts a real `plume serve` (debug build, or `$PLUME_BINARY`) on free ports with a temporary data dir:
`plume` with accounts off (the default) and `plume_auth` with `--auth on` and a first admin."""

import os
import re
import subprocess
import tempfile
import threading
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("PLUME_BINARY") or ROOT / "target" / "debug" / "plume")

# The first admin of the `plume_auth` server (made from PLUME_ADMIN_EMAIL / PLUME_ADMIN_PASSWORD).
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "end2end-admin-password-7Qx!"


class Plume:
    """A running server: `url`, `grpc_endpoint`, and an httpx client (no credentials)."""

    def __init__(self, data_dir: str, *args: str, env: dict[str, str] | None = None):
        self.process = subprocess.Popen(
            [str(BINARY), "serve", "--port", "0", "--grpc-port", "0", "--data-dir", data_dir, *args],
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "RUST_LOG": "info", **(env or {})},
        )
        ready = threading.Event()

        def read_log() -> None:
            assert self.process.stderr is not None
            for line in self.process.stderr:
                match = re.search(r"plume listening on (http://\S+) \(OTLP/gRPC on (\S+)\)", line)
                if match:
                    self.url, self.grpc_endpoint = match.group(1), match.group(2)
                    ready.set()

        threading.Thread(target=read_log, daemon=True).start()
        if not ready.wait(30):
            self.process.kill()
            raise RuntimeError(f"plume did not start ({BINARY} {' '.join(args)})")
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
