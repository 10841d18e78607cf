"""``NodeSim``: one HTTP/1.1 server on one port speaking Core RPC, Core REST, Esplora and prices.

Like a Bitcoin Core node started with ``-rest=1``: JSON-RPC at ``/`` (and
``/wallet/<name>``) behind HTTP basic auth (user/password and/or the
``<datadir>/.cookie`` written at start and removed at stop), REST under
``/rest/`` without auth, plus Esplora's API under ``/api`` and
mempool.space's price API under ``/api/v1``. Each connection is served by
its own thread with keep-alive; an answer's parts (head, cached block
bodies) go out in gathered ``sendmsg`` writes, never copied into one buffer.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import logging
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from email.message import Message
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from chainprice.nodesim.esplora import EsploraEndpoint
from chainprice.nodesim.faults import (
    Decision,
    Fault,
    FaultInjector,
    FaultPlan,
    RequestLog,
    RequestRecord,
)
from chainprice.nodesim.reply import LIBEVENT_DEFAULT_TYPE, Exchange, Reply
from chainprice.nodesim.rest import RestEndpoint
from chainprice.nodesim.rpc_methods import RpcMethods
from chainprice.nodesim.rpc_protocol import RpcEndpoint
from chainprice.nodesim.served_chain import ServedChain

log = logging.getLogger(__name__)

COOKIE_USER = "__cookie__"
COOKIE_NAME = ".cookie"
AUTH_FAILURE_DELAY = 0.25
"""Core sleeps this long before refusing a wrong password (a brute-force brake)."""
WWW_AUTHENTICATE = 'Basic realm="jsonrpc"'
NO_FAULT = Decision(None, 0.0)
SEND_VIEWS = 512
"""Buffers per ``sendmsg`` call, well under the system's IOV_MAX."""
TRUNCATE_KEEP = (0.1, 0.9)
"""A truncated block keeps between 10% and 90% of its bytes."""


@dataclass(frozen=True)
class Outcome:
    reply: Reply | None
    """``None``: close the connection without answering."""
    cut_at: int | None = None
    """Send only this many body bytes, then close (a block cut mid-body)."""


IDLE_TIMEOUT = 30.0
"""Seconds a connection may sit without sending a whole request (Core's -rpcservertimeout)."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    """Listen backlog: a full queue drops handshakes silently and stalls clients for seconds."""

    def __init__(self, address: tuple[str, int], node: NodeSim) -> None:
        self.node = node
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT  # a request that never completes frees its thread
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the request log is the record."""

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        try:
            body = self._body()
        except ValueError:
            self.close_connection = True
            self._write(Reply.text(400, "bad request body"))
            return
        path, _, query = self.path.partition("?")
        outcome = self.server.node.answer(self.command, path, query, self.headers, body)
        if outcome.reply is None:
            self.close_connection = True
            return
        self._write(outcome.reply, cut_at=outcome.cut_at)
        if outcome.cut_at is not None:
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def _write(self, reply: Reply, *, cut_at: int | None = None) -> None:
        """Status line, headers and body in one write; ``cut_at`` sends only that much body."""
        lines = [
            f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}",
            f"Date: {formatdate(usegmt=True)}",
        ]
        if reply.content_type is not None:
            lines.append(f"Content-Type: {reply.content_type}")
        if reply.status != 204:
            lines.append(f"Content-Length: {reply.length}")
        lines += [f"{name}: {value}" for name, value in reply.headers]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        views = [memoryview(head)] + [memoryview(p) for p in reply.parts if p]
        if cut_at is not None:
            views = _first_bytes(views, len(head) + cut_at)
        try:
            _send_all(self.connection, views)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class NodeSim:
    """A simulated Bitcoin node serving ``chain`` on ``host:port`` (0: any free port)."""

    def __init__(
        self,
        chain: ServedChain,
        faults: FaultPlan | None = None,
        rpc_user: str | None = None,
        rpc_password: str | None = None,
        datadir: str | Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        legacy_jsonrpc: bool = False,
        prune_below: int | None = None,
    ) -> None:
        if datadir is None and not rpc_password:
            raise ValueError("give rpc_password or a datadir for the cookie: RPC needs some auth")
        self.chain = chain
        self.prune_below = prune_below
        self.faults = faults or FaultPlan()
        self.rpc_user = rpc_user or ""
        self.rpc_password = rpc_password
        self.datadir = Path(datadir) if datadir is not None else None
        self.host = host
        self.requested_port = port
        methods = RpcMethods(chain, prune_below)
        self._rpc = RpcEndpoint(methods, legacy_jsonrpc)
        self._rest = RestEndpoint(methods)
        self._esplora = EsploraEndpoint(methods)
        self._log = RequestLog()
        self._injector = FaultInjector(self.faults)
        self._credentials: list[str] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the node is not running")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def esplora_url(self) -> str:
        return self.url + "/api"

    @property
    def cookie_path(self) -> Path | None:
        return self.datadir / COOKIE_NAME if self.datadir is not None else None

    @property
    def request_log(self) -> list[RequestRecord]:
        return self._log.snapshot()

    def clear_log(self) -> None:
        self._log.clear()

    def start(self) -> NodeSim:
        if self._server is not None:
            raise RuntimeError("the node is already running")
        self._credentials = []
        if self.rpc_password:
            self._credentials.append(f"{self.rpc_user}:{self.rpc_password}")
        if self.cookie_path is not None:
            self._credentials.append(self._write_cookie(self.cookie_path))
        self._rpc.methods.raw_mempool(True, False)  # entry texts ready, as a real node's are
        self._server = _Server((self.host, self.requested_port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close every open connection, remove the cookie."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with server.connections_lock:
            for conn in list(server.connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join()
        cookie = self.cookie_path
        if cookie is not None and cookie.exists():
            cookie.unlink()

    def __enter__(self) -> NodeSim:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @staticmethod
    def _write_cookie(path: Path) -> str:
        """A fresh ``__cookie__:<64 hex>`` credential, written the way Core writes it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        credential = f"{COOKIE_USER}:{secrets.token_hex(32)}"
        temp = path.with_name(COOKIE_NAME + ".tmp")
        temp.write_text(credential)
        temp.chmod(0o600)
        temp.replace(path)
        return credential

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user_pass = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return any(hmac.compare_digest(user_pass, ok) for ok in self._credentials)

    def _route(
        self, command: str, path: str, query: str, headers: Message, body: bytes
    ) -> Exchange:
        if path == "/" or path.startswith("/wallet/"):
            if command != "POST":
                reply = Reply.text(
                    405, "JSONRPC server handles only POST requests", LIBEVENT_DEFAULT_TYPE
                )
                return _fixed("rpc", path, reply)
            auth = headers.get("Authorization")
            if not self._authorized(auth):
                if auth:
                    time.sleep(AUTH_FAILURE_DELAY)
                reply = Reply(401, headers=[("WWW-Authenticate", WWW_AUTHENTICATE)])
                return _fixed("rpc", path, reply)
            return self._rpc.exchange(body)
        if path.startswith("/rest/"):
            return self._rest.exchange(path[len("/rest/") :], query)
        if path == "/api" or path.startswith("/api/"):
            return self._esplora.exchange(path[len("/api") :] or "/", query)
        return _fixed("http", path, Reply(404))

    def answer(self, command: str, path: str, query: str, headers: Message, body: bytes) -> Outcome:
        """Answer one request, applying the fault drawn for it, and log it."""
        exchange = self._route(command, path, query, headers, body)
        decision = NO_FAULT
        if exchange.fault_key is not None:
            decision = self._injector.decide(exchange.fault_key, exchange.carries_block)
            if self.faults.latency_ms:
                time.sleep(self.faults.latency_ms / 1000)
        fault = decision.fault
        if fault is Fault.DROP:
            self._record(exchange, 0, fault)
            return Outcome(None)
        cut_at = None
        if fault in (Fault.ERROR_503, Fault.ERROR_500):
            reply = exchange.fail(fault)
        else:
            reply = _answer(exchange)
            if fault is not None and not reply.block_parts:
                fault = None
            elif fault is Fault.TRUNCATE_SHORT:
                _cut_block(reply, decision.draw)
            elif fault is Fault.TRUNCATE_CLOSE:
                cut_at = min(int(reply.length * _keep(decision.draw)), reply.length - 1)
        self._record(exchange, reply.status, fault)
        return Outcome(reply, cut_at)

    def _record(self, exchange: Exchange, status: int, fault: Fault | None) -> None:
        value = None if fault is None else fault.value
        self._log.add(
            [RequestRecord(exchange.protocol, t, p, status, value) for t, p in exchange.calls]
        )


def _send_all(sock: socket.socket, views: list[memoryview]) -> None:
    """Gathered writes straight from the parts (no joined copy of a large body)."""
    while views:
        sent = sock.sendmsg(views[:SEND_VIEWS])
        while views and sent >= len(views[0]):
            sent -= len(views.pop(0))
        if views and sent:
            views[0] = views[0][sent:]


def _first_bytes(views: list[memoryview], n: int) -> list[memoryview]:
    out = []
    for view in views:
        if n <= 0:
            break
        out.append(view[:n])
        n -= len(view)
    return out


def _fixed(protocol: str, path: str, reply: Reply) -> Exchange:
    return Exchange(protocol, [(path, None)], lambda: reply, lambda _: reply)


def _answer(exchange: Exchange) -> Reply:
    try:
        return exchange.answer()
    except Exception:
        log.exception("nodesim failed to answer %s", exchange.calls[:1])
        return Reply.text(500, "Internal error")


def _keep(draw: float) -> float:
    low, high = TRUNCATE_KEEP
    return low + (high - low) * draw


def _cut_block(reply: Reply, draw: float) -> None:
    """Cut one block part short (hex to an even length, so it still decodes)."""
    index = reply.block_parts[int(draw * len(reply.block_parts))]
    part = reply.parts[index]
    keep = int(len(part) * _keep(draw))
    if reply.hex_blocks:
        keep -= keep % 2
    reply.parts[index] = part[:keep]
