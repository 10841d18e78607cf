"""The HTTP layer under node clients: what is retried, how long it waits, what the errors say."""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Iterator

import pytest
import requests
import responses
from responses import matchers

from chainprice.adapters.node import (
    AuthError,
    BadResponseError,
    ConfigError,
    FetchStats,
    NodeConfig,
    NotFoundError,
    RefusedError,
    RequestTimeoutError,
    UnreachableError,
    open_source,
)
from chainprice.adapters.node.http import HttpClient, body_bytes, body_json, redact

URL = "http://node.test:8332/rest/chaininfo.json"


def client(retries: int = 3, **settings: object) -> tuple[HttpClient, list[float]]:
    """A client whose waits are recorded instead of slept."""
    waits: list[float] = []
    config = NodeConfig(retries=retries, backoff_base=0.5, backoff_max=3.0, **settings)
    return HttpClient(config, FetchStats(), sleep=waits.append, rng=random.Random(1)), waits


@responses.activate
def test_server_errors_and_429_are_retried_until_an_answer() -> None:
    responses.add(responses.GET, URL, status=503, body="Service temporarily unavailable")
    responses.add(responses.GET, URL, status=429, body="slow down")
    responses.add(responses.GET, URL, status=502, body="bad gateway")
    responses.add(responses.GET, URL, json={"blocks": 7})
    http, waits = client()
    assert http.get(URL, body_json) == {"blocks": 7}
    snap = http.stats.snapshot()
    assert (snap["requests"], snap["retries"], snap["failures"]) == (4, 3, 0)
    bodies = ["Service temporarily unavailable", "slow down", "bad gateway", '{"blocks": 7}']
    assert snap["bytes"] == sum(map(len, bodies))
    assert len(waits) == 3


@responses.activate
def test_a_server_error_on_every_attempt_names_the_status_and_the_url() -> None:
    responses.add(responses.GET, URL, status=500, body="Internal error")
    http, _ = client(retries=2)
    with pytest.raises(BadResponseError, match=r"the node at http://node.test:8332/rest/chaininfo"):
        http.get(URL, body_bytes)
    with pytest.raises(BadResponseError, match="HTTP 500 to every attempt: Internal error"):
        http.get(URL, body_bytes)
    assert len(responses.calls) == 6
    assert http.stats.failures == 2


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (401, AuthError, "refused the credentials"),
        (403, RefusedError, r"refused the request \(HTTP 403\): forbidden"),
        (400, RefusedError, r"HTTP 400"),
        (404, NotFoundError, r"has no such item \(HTTP 404\): forbidden"),
    ],
)
@responses.activate
def test_client_errors_fail_at_once(status: int, error: type, message: str) -> None:
    responses.add(responses.GET, URL, status=status, body="forbidden")
    http, waits = client()
    with pytest.raises(error, match=message):
        http.get(URL, body_bytes)
    assert len(responses.calls) == 1 and waits == []
    assert http.stats.snapshot()["failures"] == 1


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ConnectionError("Connection aborted."),
        requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"),
        requests.exceptions.ReadTimeout("Read timed out."),
    ],
)
@responses.activate
def test_transport_failures_are_retried(failure: Exception) -> None:
    responses.add(responses.GET, URL, body=failure)
    responses.add(responses.GET, URL, body=b"\x01\x02")
    http, waits = client()
    assert http.get(URL, body_bytes) == b"\x01\x02"
    assert http.stats.retries == 1 and len(waits) == 1


@responses.activate
def test_a_damaged_answer_is_retried_by_its_parser() -> None:
    responses.add(responses.GET, URL, body='{"blocks": 7')
    responses.add(responses.GET, URL, json={"blocks": 8})
    http, _ = client()
    assert http.get(URL, body_json) == {"blocks": 8}
    assert http.stats.retries == 1


def test_backoff_is_full_jitter_under_an_exponential_cap() -> None:
    http, _ = client(retries=8)
    caps = [min(3.0, 0.5 * 2**k) for k in range(8)]
    assert caps == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0]
    draws = [[http.backoff(k + 1) for k in range(8)] for _ in range(400)]
    for k, cap in enumerate(caps):
        column = [d[k] for d in draws]
        assert min(column) >= 0.0 and max(column) <= cap
        # full jitter: spread over the whole range, not bunched at the cap
        assert min(column) < 0.1 * cap and max(column) > 0.9 * cap


@responses.activate
def test_retry_after_is_honoured_up_to_the_cap() -> None:
    responses.add(responses.GET, URL, status=429, headers={"Retry-After": "2"})
    responses.add(responses.GET, URL, status=503, headers={"Retry-After": "60"})
    responses.add(responses.GET, URL, body=b"ok")
    http, waits = client()
    assert http.get(URL, body_bytes) == b"ok"
    assert waits[0] >= 2.0 and waits[1] == 3.0


@responses.activate
def test_tunnel_headers_and_tls_settings_go_with_every_request(tmp_path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not used by responses")
    headers = {"CF-Access-Client-Id": "id", "CF-Access-Client-Secret": "s"}
    responses.add(responses.GET, URL, body=b"ok", match=[matchers.header_matcher(headers)])
    http, _ = client(headers=headers, tls_verify=str(bundle))
    assert http.get(URL, body_bytes) == b"ok"
    assert http.session.verify == str(bundle)
    assert http.session.adapters["https://"]._pool_maxsize == 8


def test_passwords_in_urls_stay_out_of_messages() -> None:
    assert redact("http://user:secret@host:8332/") == "http://host:8332/"
    assert redact("https://host/api") == "https://host/api"


def test_settings_that_cannot_work_are_refused(tmp_path) -> None:
    with pytest.raises(ConfigError, match="workers must be 1 or more"):
        NodeConfig(workers=0)
    with pytest.raises(ConfigError, match="timeout must be above 0"):
        NodeConfig(timeout=0)
    with pytest.raises(ConfigError, match=r"the CA bundle .*ca\.pem is not a file"):
        NodeConfig(tls_verify=str(tmp_path / "ca.pem"))
    with pytest.raises(ConfigError, match="unknown node kind 'electrum': use one of rpc, rest"):
        open_source("http://127.0.0.1:8332", "electrum")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"must look like http\(s\)://host:port, not 'host:8332'"):
        open_source("host:8332", "rpc")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_closed_port_is_reported_as_unreachable_after_retries() -> None:
    port = free_port()
    http, waits = client(retries=2)
    url = f"http://u:secret@127.0.0.1:{port}/"
    with pytest.raises(UnreachableError) as caught:
        http.get(url, body_bytes)
    message = str(caught.value)
    assert message == f"cannot reach the node at http://127.0.0.1:{port}/: Connection refused"
    assert len(waits) == 2 and http.stats.requests == 3


class ScriptedServer:
    """A loopback TCP server answering each connection with the next scripted raw reply.

    ``None`` as a reply means: read the request and never answer.
    """

    def __init__(self, replies: list[bytes | None]) -> None:
        self.replies = replies
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/block"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        held = []
        for reply in self.replies:
            conn, _ = self.sock.accept()
            conn.recv(65536)
            if reply is None:
                held.append(conn)
                continue
            conn.sendall(reply)
            conn.close()
        self.stop.wait(5)
        for conn in held:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def scripted() -> Iterator[type[ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def make(replies: list[bytes | None]) -> ScriptedServer:
        servers.append(ScriptedServer(replies))
        return servers[-1]

    yield make  # type: ignore[misc]
    for server in servers:
        server.close()


def reply(body: bytes, length: int | None = None) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body) if length is None else length}\r\n"
    return head.encode() + b"Connection: close\r\n\r\n" + body


def test_cut_short_and_dropped_answers_over_a_real_socket_are_retried(scripted) -> None:
    server = scripted([reply(b"0123456789", length=100), b"", reply(b"whole block")])
    http, waits = client()
    assert http.get(server.url, body_bytes) == b"whole block"
    assert http.stats.snapshot()["retries"] == 2 and len(waits) == 2


def test_every_answer_cut_short_is_reported_as_such(scripted) -> None:
    server = scripted([reply(b"0123456789", length=100)] * 2)
    http, _ = client(retries=1)
    with pytest.raises(BadResponseError, match=r"the answer from the node at .* was cut short"):
        http.get(server.url, body_bytes)


def test_a_silent_server_times_out_with_a_clear_message(scripted) -> None:
    server = scripted([None, None])
    http, _ = client(retries=1, timeout=0.2)
    with pytest.raises(RequestTimeoutError, match=r"did not answer within 0.2 s"):
        http.get(server.url, body_bytes)
    assert http.stats.requests == 2
    assert (http.stats.timeouts, http.stats.retries) == (2, 1)  # timeouts count in the figures


def test_a_server_that_never_accepts_costs_the_connect_timeout_not_the_request_timeout() -> None:
    import socket
    import time

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)  # never accepted: the queue fills and later handshakes are dropped
        fillers = [socket.socket() for _ in range(8)]
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(server.getsockname())
        http, _ = client(retries=1, timeout=30, connect_timeout=0.5)
        began = time.monotonic()
        with pytest.raises(RequestTimeoutError):
            http.get(f"http://127.0.0.1:{server.getsockname()[1]}/", body_bytes)
        for sock in fillers:
            sock.close()
    assert time.monotonic() - began < 10
    assert http.stats.timeouts == 2 and http.stats.retries == 1
