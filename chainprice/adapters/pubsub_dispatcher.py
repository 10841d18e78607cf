"""A local stand-in for Pub/Sub push delivery, for running the backfill fan-out on one machine.

It answers Pub/Sub's ``topics.publish`` REST call (point ``PUBSUB_EMULATOR_HOST``
at it) and pushes each message to a worker URL as Eventarc delivers it to a
CloudEvent function: binary content mode, ``ce-*`` headers, the message
envelope as the body. Messages go out in parallel (one at a time per worker
URL, each taking the next waiting message), and a delivery that is not answered with 2xx is retried
with a growing delay, as a subscription's retry policy does, up to
``max_attempts``; then it is set aside as dead-lettered.
"""

from __future__ import annotations

import json
import queue
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

PUBLISH = re.compile(r"^/v1/(projects/[^/]+/topics/[^/:]+):publish$")
EVENT_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"


@dataclass
class Delivery:
    topic: str
    message: dict
    attempts: int = 0


@dataclass
class DispatchLog:
    """What happened to each message (for the caller, and for tests)."""

    delivered: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    dead_lettered: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class Dispatcher:
    """Receives publishes on ``host:port`` and pushes them to ``push_urls``."""

    def __init__(
        self,
        push_urls: list[str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_attempts: int = 5,
        backoff: float = 1.0,
        timeout: float = 600.0,
    ) -> None:
        self.push_urls, self.max_attempts = push_urls, max_attempts
        self.backoff, self.timeout = backoff, timeout
        self.log = DispatchLog()
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition()
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._threads = [
            threading.Thread(target=self._serve, daemon=True),
            *(threading.Thread(target=self._push, args=(url,), daemon=True) for url in push_urls),
        ]

    @property
    def host(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def start(self) -> Dispatcher:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        for _ in self.push_urls:
            self._queue.put(None)
        self._server.shutdown()
        self._server.server_close()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every message published so far is delivered or dead-lettered."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def accept(self, topic: str, messages: list[dict]) -> list[str]:
        ids = []
        for message in messages:
            message_id = uuid.uuid4().hex
            ids.append(message_id)
            envelope = {**message, "messageId": message_id, "publishTime": _now()}
            with self._idle:
                self._pending += 1
            self._queue.put(Delivery(topic, envelope))
        return ids

    def _serve(self) -> None:
        self._server.serve_forever(0.1)

    def _push(self, url: str) -> None:
        for delivery in iter(self._queue.get, None):
            delivery.attempts += 1
            ok = self._deliver(url, delivery)
            message_id = delivery.message["messageId"]
            with self.log.lock:
                if ok:
                    self.log.delivered.append(message_id)
                elif delivery.attempts < self.max_attempts:
                    self.log.retried.append(message_id)
                else:
                    self.log.dead_lettered.append(message_id)
            if not ok and delivery.attempts < self.max_attempts:
                time.sleep(self.backoff * delivery.attempts)
                self._queue.put(delivery)
                continue
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def _deliver(self, url: str, delivery: Delivery) -> bool:
        message_id = delivery.message["messageId"]
        headers = {
            "ce-id": message_id,
            "ce-specversion": "1.0",
            "ce-source": f"//pubsub.googleapis.com/{delivery.topic}",
            "ce-type": EVENT_TYPE,
            "ce-time": delivery.message["publishTime"],
            "Content-Type": "application/json",
        }
        body = {"message": delivery.message, "subscription": f"{delivery.topic}-push"}
        try:
            answer = requests.post(url, json=body, headers=headers, timeout=self.timeout)
        except requests.RequestException:
            return False
        return 200 <= answer.status_code < 300


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _handler(dispatcher: Dispatcher) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Silent: the dispatch log is the record."""

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            match = PUBLISH.match(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            try:
                messages = json.loads(self.rfile.read(length))["messages"]
                assert isinstance(messages, list) and all("data" in m for m in messages)
            except (ValueError, KeyError, TypeError, AssertionError):
                messages = None
            if match is None or messages is None:
                self._answer(400, {"error": {"message": "expected topics.publish"}})
                return
            self._answer(200, {"messageIds": dispatcher.accept(match.group(1), messages)})

    return Handler
