"""A static file server for the site and a local lake: HTTP Range requests (DuckDB-WASM
reads Parquet footers and column chunks by range), ``.wasm`` as ``application/wasm``, and
the gzip copy of a file when the client accepts it. Python's own ``http.server`` does
neither ranges nor encodings; this keeps its path handling and adds both.
"""

from __future__ import annotations

import email.utils
import io
import os
import re
import threading
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".parquet": "application/vnd.apache.parquet",
    ".svg": "image/svg+xml",
    ".csv": "text/csv",
}


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """``(first, last)`` of a single-range ``Range`` header; ``None`` when unsatisfiable.

    Raises ``ValueError`` for a header this server does not honour (several ranges,
    other units): the whole file is then sent, as HTTP allows.
    """
    match = _RANGE.fullmatch(header.strip())
    if not match or match.groups() == ("", ""):
        raise ValueError(header)
    first, last = match.groups()
    if first == "":
        length = int(last)
        return (max(0, size - length), size - 1) if length and size else None
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    return (start, end) if start < size and start <= end else None


class RangeRequestHandler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: DuckDB-WASM makes hundreds of small reads
    extensions_map: ClassVar[dict[str, str]] = {**SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def log_message(self, format: str, *args) -> None:
        """Quiet: a page load is hundreds of requests."""

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?", 1)[0].endswith("/"):
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", self.path.split("?", 1)[0] + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            path = path / "index.html"
        if not path.is_file():
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        ctype = self.guess_type(str(path))
        wanted = self.headers.get("Range")
        encoding = None
        packed = path.with_name(path.name + ".gz")
        if (
            wanted is None
            and "gzip" in self.headers.get("Accept-Encoding", "")
            and packed.is_file()
        ):
            path, encoding = packed, "gzip"
        stat = path.stat()
        if self._unchanged_since(stat.st_mtime):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        size = stat.st_size
        span = None
        if wanted is not None:
            try:
                span = byte_range(wanted, size)
            except ValueError:
                wanted = None
            else:
                if span is None:
                    self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
        body = path.open("rb")
        if span is None:
            self.send_response(HTTPStatus.OK)
            length = size
        else:
            self.send_response(HTTPStatus.PARTIAL_CONTENT)
            first, last = span
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            length = last - first + 1
            with body:
                body.seek(first)
                body = io.BytesIO(body.read(length))
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return body

    def _unchanged_since(self, mtime: float) -> bool:
        since = self.headers.get("If-Modified-Since")
        if since is None or "If-None-Match" in self.headers:
            return False
        try:
            return int(mtime) <= email.utils.parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False

    def list_directory(self, path):
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")
        return None


class FileServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A browser closing a connection mid-file is normal, not worth a traceback."""


def make_server(root: Path, host: str = "127.0.0.1", port: int = 0) -> FileServer:
    """A server of ``root``, bound (``server_address`` has the port) but not yet serving."""
    return FileServer((host, port), partial(RangeRequestHandler, directory=os.fspath(root)))


def start_server(root: Path, host: str = "127.0.0.1", port: int = 0) -> FileServer:
    """Serve ``root`` from a background thread; ``shutdown()`` stops it."""
    server = make_server(root, host, port)
    threading.Thread(target=server.serve_forever, name="file-server", daemon=True).start()
    return server
