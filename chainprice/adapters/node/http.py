"""One thin HTTP layer for every remote: pooled keep-alive connections, retries, clear errors.

Nodes are often reached through tunnels that drop connections, cut answers
short or answer 502 for a moment; all of that is retried with exponential
backoff and full jitter (a random wait up to the cap, so parallel workers do
not retry in lockstep). Answers that cannot improve by asking again (401,
404, other 4xx, a refused TLS certificate) fail at once with an error that
says what to fix.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from chainprice.adapters.node.config import NodeConfig
from chainprice.adapters.node.errors import (
    AuthError,
    BadResponseError,
    NotFoundError,
    RefusedError,
    RemoteError,
    RequestTimeoutError,
    TlsError,
    UnreachableError,
)
from chainprice.adapters.node.headers import is_block_hash
from chainprice.adapters.node.stats import FetchStats

T = TypeVar("T")

_TIMEOUTS = (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError)
_DAMAGED = (
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    urllib3.exceptions.ProtocolError,  # the connection closed before Content-Length bytes came
    urllib3.exceptions.DecodeError,
)


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, its body read whole."""

    status: int
    body: bytes
    headers: Mapping[str, str]


class RetryableResponse(Exception):
    """Raised by a parser when an answer is damaged or says "try again later"."""


class _Retry(Exception):
    """An attempt that may succeed if repeated: the error to raise if none does, a wait hint."""

    def __init__(self, error: RemoteError, hint: float = 0.0) -> None:
        super().__init__(str(error))
        self.error = error
        self.hint = hint


def redact(url: str) -> str:
    """``url`` without a user or password, so it can go into messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1": no netloc can be trusted, so none is shown
        return url.split("@", 1)[-1] if "@" in url else url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def reason(exc: BaseException) -> str:
    """The innermost readable cause of a requests/urllib3 exception ("Connection refused")."""
    text = str(exc)
    current: BaseException | None = exc
    for _ in range(10):  # chains are a few links long; never loop on a cycle
        if current is None:
            break
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        text = str(current) or text
        inner = getattr(current, "reason", None)
        if not isinstance(inner, BaseException):
            inner = current.__cause__ or current.__context__
        if inner is None and current.args and isinstance(current.args[-1], BaseException):
            inner = current.args[-1]
        current = inner
    return text


def snippet(answer: Answer) -> str:
    """The start of an answer's body on one line, for error messages."""
    text = " ".join(answer.body[:200].decode("utf-8", "replace").split())
    return text or "empty body"


def body_bytes(answer: Answer) -> bytes:
    return answer.body


def body_text(answer: Answer) -> str:
    return answer.body.decode("utf-8", "replace").strip()


def body_block_hash(answer: Answer) -> str:
    """A block hash sent as text; anything else is treated as damaged in transit and retried."""
    text = body_text(answer)
    if not is_block_hash(text):
        raise RetryableResponse(f"not a block hash: {text[:80]!r}")
    return text.lower()


def body_json(answer: Answer) -> Any:
    """The body as JSON; an unparseable body is treated as damaged in transit and retried."""
    try:
        return json.loads(answer.body)
    except ValueError as exc:
        raise RetryableResponse(f"not valid JSON ({exc})") from exc


def _session(config: NodeConfig) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # proxies are looked up once per host instead (see _proxies)
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=config.workers, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update(config.headers)
    session.verify = config.tls_verify
    return session


def _retry_after(answer: Answer) -> float:
    value = answer.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else 0.0


def _read(response: requests.Response) -> Answer:
    """The whole body in one read: 2-3x faster than ``response.content``'s 10 kB chunks.

    The connection goes back to the pool once the body is in; if reading
    fails, it is closed instead.
    """
    try:
        body = response.raw.read(decode_content=True)
    except BaseException:
        response.close()
        raise
    response.raw.release_conn()
    return Answer(response.status_code, body, response.headers)


class HttpClient:
    """Requests with retries against one service; counts everything in ``stats``.

    ``service`` names the remote in messages ("the node", "the price API").
    ``sleep`` and ``rng`` are injectable so tests can see the backoff.
    """

    def __init__(
        self,
        config: NodeConfig,
        stats: FetchStats,
        *,
        service: str = "the node",
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.stats = stats
        self.service = service
        self.session = _session(config)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._proxy_cache: dict[tuple[str, str], dict[str, str]] = {}

    def _proxies(self, url: str) -> dict[str, str]:
        """The environment's proxies for ``url``'s host (``HTTPS_PROXY``, ``NO_PROXY``...).

        requests would look them up again for every request (~0.5 ms each,
        a tenth of a block's transfer time over loopback); they do not change.
        """
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if key not in self._proxy_cache:
            self._proxy_cache[key] = requests.utils.get_environ_proxies(url)
        return self._proxy_cache[key]

    def backoff(self, attempt: int, hint: float = 0.0) -> float:
        """Seconds to wait before retry ``attempt`` (1-based): full jitter, or the server's hint."""
        cap = min(self.config.backoff_max, self.config.backoff_base * 2 ** (attempt - 1))
        return max(self._rng.uniform(0.0, cap), min(hint, self.config.backoff_max))

    def get(self, url: str, parse: Callable[[requests.Response], T], **kwargs: Any) -> T:
        return self.request("GET", url, parse, **kwargs)

    def request(
        self,
        method: str,
        url: str,
        parse: Callable[[Answer], T],
        *,
        answers: Collection[int] = (),
        **kwargs: Any,
    ) -> T:
        """``parse(response)`` of the first usable answer.

        2xx answers and those whose status is in ``answers`` go to ``parse``,
        which may raise ``RetryableResponse``. Extra ``kwargs`` go to
        ``requests.Session.request`` (``params``, ``data``, ``auth``...).
        """
        try:
            return self._attempts(method, url, parse, answers, kwargs)
        except RemoteError:
            self.stats.add(failures=1)
            raise

    def _attempts(
        self,
        method: str,
        url: str,
        parse: Callable[[Answer], T],
        answers: Collection[int],
        kwargs: dict[str, Any],
    ) -> T:
        where = f"{self.service} at {redact(url)}"
        last = _Retry(UnreachableError(f"cannot reach {where}: no attempt was made"))
        for attempt in range(self.config.retries + 1):
            if attempt:
                self.stats.add(retries=1)
                self._sleep(self.backoff(attempt, last.hint))
            try:
                answer = self._exchange(method, url, where, kwargs)
                return self._judge(answer, where, parse, answers)
            except _Retry as retry:
                last = retry
        raise last.error

    def _exchange(self, method: str, url: str, where: str, kwargs: dict[str, Any]) -> Answer:
        """One request and its whole answer; transport failures become ``_Retry``."""
        self.stats.add(requests=1)
        connect = min(self.config.timeout, self.config.connect_timeout)
        try:
            response = self.session.request(
                method,
                url,
                timeout=(connect, self.config.timeout),
                stream=True,
                proxies=self._proxies(url),
                **kwargs,
            )
            answer = _read(response)
        except requests.exceptions.SSLError as exc:
            raise TlsError(f"{where} failed the TLS check: {reason(exc)}") from exc
        except _TIMEOUTS as exc:
            self.stats.add(timeouts=1)
            timeout = RequestTimeoutError(
                f"{where} did not answer within {self.config.timeout:g} s"
            )
            raise _Retry(timeout) from exc
        except _DAMAGED as exc:
            cut = BadResponseError(f"the answer from {where} was cut short: {reason(exc)}")
            raise _Retry(cut) from exc
        except requests.exceptions.ConnectionError as exc:
            raise _Retry(UnreachableError(f"cannot reach {where}: {reason(exc)}")) from exc
        self.stats.add(bytes=len(answer.body))
        return answer

    def _judge(
        self,
        answer: Answer,
        where: str,
        parse: Callable[[Answer], T],
        answers: Collection[int],
    ) -> T:
        """``parse(answer)`` for a usable status; an error now, or ``_Retry`` for a passing one."""
        status = answer.status
        if status == 401:
            raise AuthError(
                f"{where} refused the credentials (HTTP 401): check the user and password, "
                "the cookie file or the tunnel's headers"
            )
        if 200 <= status < 300 or status in answers:
            try:
                return parse(answer)
            except RetryableResponse as exc:
                raise _Retry(BadResponseError(f"{where} gave an unusable answer: {exc}")) from exc
        if status == 404:
            raise NotFoundError(f"{where} has no such item (HTTP 404): {snippet(answer)}")
        if status == 429 or status >= 500:
            error = BadResponseError(
                f"{where} answered HTTP {status} to every attempt: {snippet(answer)}"
            )
            raise _Retry(error, _retry_after(answer))
        raise RefusedError(f"{where} refused the request (HTTP {status}): {snippet(answer)}")
