"""Credentials and tunnel headers go to the node and nowhere else.

Two real HTTP servers on loopback: a header-recording proxy in front of the
simulated node, and a header-recording price API. ``chainprice ingest`` is
given both; only the node's server may ever see the secrets.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from chainprice.cli.main import main
from chainprice.nodesim import NodeSim, ServedChain
from chainprice.simchain import compact_day, generate_chain

TOKEN = "tunnel-token-7f3a"
PASSWORD = "rpc-pass-91c2"


class Recorder(ThreadingHTTPServer):
    """Records every request's headers; answers by forwarding to ``upstream`` or from ``fixed``."""

    daemon_threads = True

    def __init__(self, upstream: str | None = None, fixed: bytes | None = None) -> None:
        self.upstream, self.fixed = upstream, fixed
        self.seen: list[dict[str, str]] = []
        super().__init__(("127.0.0.1", 0), _RecordingHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _RecordingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Recorder

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def _serve(self) -> None:
        self.server.seen.append(dict(self.headers.items()))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.server.upstream is None:
            status, content = 200, self._prices()
        else:
            forwarded = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            answer = requests.request(
                self.command, self.server.upstream + self.path, headers=forwarded, data=body
            )
            status, content = answer.status_code, answer.content
        self.send_response(status)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def _prices(self) -> bytes:
        if self.server.fixed is not None:
            return self.server.fixed
        if "historical-price" in self.path:
            return json.dumps({"prices": [], "exchangeRates": {}}).encode()
        return json.dumps({"time": 1717200000, "USD": 67000}).encode()

    do_GET = do_POST = _serve


@pytest.fixture(scope="module")
def sim():
    return generate_chain(compact_day())


@pytest.fixture(scope="module")
def node(sim):
    with NodeSim(ServedChain.from_simulated(sim), rpc_user="u", rpc_password=PASSWORD) as n:
        yield n


@pytest.fixture
def servers(node) -> Iterator[tuple[Recorder, Recorder]]:
    node_side, api_side = Recorder(node.url), Recorder()
    try:
        yield node_side, api_side
    finally:
        node_side.close()
        api_side.close()


def _secrets_in(headers: dict[str, str]) -> list[str]:
    values = " ".join(headers.values())
    decoded = " ".join(
        base64.b64decode(v.split()[-1]).decode("latin-1")
        for k, v in headers.items()
        if k.lower() == "authorization"
    )
    return [s for s in (TOKEN, PASSWORD) if s in values or s in decoded]


def test_node_secrets_never_reach_the_price_api(capsys, servers, sim, tmp_path) -> None:
    node_side, api_side = servers
    argv = [
        "ingest",
        "--lake",
        str(tmp_path / "lake"),
        "--node",
        node_side.url,
        "--rpc-user",
        "u",
        "--rpc-password",
        PASSWORD,
        "--header",
        f"X-Tunnel-Token: {TOKEN}",
        "--start-height",
        str(sim.start_height),
        "--prices-url",
        api_side.url + "/api",
    ]
    assert main(argv) == 0, capsys.readouterr().err
    assert node_side.seen and api_side.seen
    assert all(h.get("X-Tunnel-Token") == TOKEN for h in node_side.seen)
    assert all(PASSWORD in _secrets_in(h) for h in node_side.seen)
    for headers in api_side.seen:
        assert _secrets_in(headers) == [], headers
        assert "Authorization" not in headers and "X-Tunnel-Token" not in headers


def test_password_from_the_environment_and_from_a_file(
    capsys, servers, monkeypatch, tmp_path
) -> None:
    node_side, _ = servers
    base = ["price", "--recent", "--json", "--node", node_side.url, "--rpc-user", "u"]
    monkeypatch.setenv("CHAINPRICE_RPC_PASSWORD", PASSWORD)
    assert main(base) == 0, capsys.readouterr().err
    monkeypatch.delenv("CHAINPRICE_RPC_PASSWORD")
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    assert main([*base, "--rpc-password-file", str(secret)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main([*base, "--rpc-password-file", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "--rpc-password-file" in err and PASSWORD not in err


def test_price_api_credentials_are_redacted_in_warnings(capsys, node, sim, tmp_path) -> None:
    port = closed_port()
    argv = [
        "ingest",
        "--lake",
        str(tmp_path / "lake"),
        "--node",
        node.url,
        "--rpc-user",
        "u",
        "--rpc-password",
        PASSWORD,
        "--retries",
        "0",
        "--start-height",
        str(sim.start_height),
        "--prices-url",
        f"http://apiuser:apipw55@127.0.0.1:{port}/api",
    ]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "exchange price" in err and f"127.0.0.1:{port}" in err
    assert "apipw55" not in err and "apiuser" not in err and PASSWORD not in err


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_price_api_messages_never_show_its_credentials() -> None:
    from chainprice.adapters.exchange import ExchangePrices
    from chainprice.core.errors import SourceError

    api = Recorder(fixed=b"{}")
    try:
        client = ExchangePrices(api.url.replace("//", "//apiuser:apipw55@") + "/api")
        with pytest.raises(SourceError) as caught:
            client.history(0, 2**40)
    finally:
        api.close()
    assert "sent no list of prices" in str(caught.value)
    assert "apipw55" not in str(caught.value) and "apiuser" not in str(caught.value)
