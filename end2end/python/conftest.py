"""Starts a real `plume serve` (debug build) on free ports with a temporary data dir."""

import os
import re
import subprocess
import tempfile
import threading
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = ROOT / "target" / "debug" / "plume"


class Plume:
    """A running server: `url`, `grpc_endpoint`, and an httpx client."""

    def __init__(self, data_dir: str):
        self.process = subprocess.Popen(
            [str(BINARY), "serve", "--port", "0", "--grpc-port", "0", "--data-dir", data_dir],
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "RUST_LOG": "info"},
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
            raise RuntimeError("plume did not start")
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
