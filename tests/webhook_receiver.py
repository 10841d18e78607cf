"""A local incoming webhook: a real HTTP server on loopback that keeps every JSON body it takes.

``status`` sets its answer (503: a webhook that is down but reachable); ``hold``
makes it read a request and keep the poster waiting, without taking it, until
released (a poster killed mid-post).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "T0KEN-b9c8d7e6f5"
"""The secret part of the webhook's URL, as Slack and Discord put it in the path."""


class WebhookReceiver:
    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.status = 200
        self.hold = False
        self.held = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if receiver.hold:
                    receiver.held.set()
                    receiver.release.wait(30)
                    return
                if receiver.status == 200:
                    receiver.bodies.append(body)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                """Quiet: the receiver's list of posts is the record."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/{TOKEN}"

    def texts(self) -> list[str]:
        return [b["text"] for b in self.bodies]

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
