"""Cloud functions as Cloud Run runs them: ``functions-framework`` processes on loopback, fed
CloudEvents the way a Pub/Sub push subscription delivers them (binary mode, ``ce-*`` headers,
the Pub/Sub message envelope as the body)."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "functions" / "main.py"
PUBSUB_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Function:
    """One ``functions-framework --target NAME`` process; its JSON log lines are kept."""

    def __init__(
        self, target: str, env: Mapping[str, str], cwd: Path, source: Path = SOURCE
    ) -> None:
        self.target = target
        self.port = free_port()
        self.log_path = cwd / f"{target}-{self.port}.log"
        self._log = self.log_path.open("w")
        clean = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("CHAINPRICE_") and k != "NUMBA_CACHE_DIR"
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "functions_framework",
                "--source",
                str(source),
                "--target",
                target,
                "--port",
                str(self.port),
                "--host",
                "127.0.0.1",
            ],
            cwd=cwd,
            env={**clean, "PYTHONUNBUFFERED": "1", **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> Function:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.target} exited: {self.log_path.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"{self.target} did not listen within {timeout} s")

    def post_event(
        self, data: dict | None = None, event_id: str | None = None, timeout: float = 600
    ) -> requests.Response:
        return requests.post(
            self.url, timeout=timeout, **pubsub_push(data or {}, event_id or uuid.uuid4().hex)
        )

    def lines(self) -> list[dict]:
        """The JSON lines logged so far (the framework's own text lines left out)."""
        found = []
        for line in self.log_path.read_text().splitlines():
            if line.startswith("{"):
                found.append(json.loads(line))
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def pubsub_push(data: dict, event_id: str) -> dict:
    """A Pub/Sub message as Eventarc pushes it to a CloudEvent function (binary content mode)."""
    message = {
        "data": base64.b64encode(json.dumps(data).encode()).decode(),
        "messageId": event_id,
        "publishTime": "2026-12-02T00:00:00Z",
    }
    return {
        "headers": {
            "ce-id": event_id,
            "ce-specversion": "1.0",
            "ce-source": "//pubsub.googleapis.com/projects/local/topics/jobs",
            "ce-type": PUBSUB_TYPE,
            "Content-Type": "application/json",
        },
        "json": {"message": message, "subscription": "projects/local/subscriptions/jobs"},
    }
