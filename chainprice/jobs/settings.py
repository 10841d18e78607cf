"""The jobs' configuration, read from the environment (and a local ``.env`` file).

The cloud functions and the CLI read the same ``CHAINPRICE_*`` variables.
Every value is checked when an instance starts, so a bad deployment stops
at once with one line naming the variable, instead of failing on the first
scheduled run. Secret values (RPC password, cookie, tunnel headers) are
never echoed: the error names the variable only, and the values reach the
node client and nothing else.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from chainprice.adapters.node.config import NodeConfig
from chainprice.adapters.node.errors import ConfigError
from chainprice.adapters.node.options import (
    MAX_RETRIES,
    MAX_TIMEOUT,
    MAX_WORKERS,
    SOURCES,
    node_config,
)
from chainprice.jobs.logs import LOG_FORMATS

PREFIX = "CHAINPRICE_"
SECRET_VARIABLES = (
    "CHAINPRICE_RPC_PASSWORD",
    "CHAINPRICE_NODE_HEADERS",
    "CHAINPRICE_ALERT_WEBHOOK_URL",
)
NODE_FILE_VARIABLES = {
    "rpc_password": "CHAINPRICE_RPC_PASSWORD",
    "rpc_password_file": "CHAINPRICE_RPC_PASSWORD_FILE",
    "rpc_cookie": "CHAINPRICE_RPC_COOKIE_FILE",
    "ca_bundle": "CHAINPRICE_NODE_CA_BUNDLE",
}
"""The variables ``node_config``'s messages name (it checks the files they point to)."""
T = TypeVar("T")


class SettingsError(ConfigError):
    """A configuration variable that is missing or cannot work; the message names it."""


def environment(env_file: str | os.PathLike[str] | None = ".env") -> dict[str, str]:
    """The process environment over the ``.env`` file (when present): the environment wins."""
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        from dotenv import dotenv_values

        values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    return {**values, **os.environ}


@dataclass(frozen=True)
class NodeSettings:
    """Where the node is and how to reach it; ``config`` carries the secrets."""

    url: str
    source: str
    config: NodeConfig = field(repr=False)

    def secrets(self) -> list[str]:
        """Every secret value, so that logs can be scrubbed of them as a second line of defence."""
        config = self.config
        found = [config.rpc_password or "", *config.headers.values()]
        if config.rpc_cookie is not None:
            with contextlib.suppress(OSError):
                found += config.rpc_cookie.read_text().strip().partition(":")[::2]
        return [s for s in found if len(s) >= 4]


@dataclass(frozen=True)
class HealthLimits:
    """When ``health`` answers 503: the lake this many blocks behind, or a job silent this long."""

    max_lag_blocks: int = 6
    max_silence_seconds: float = 1800.0
    jobs: tuple[str, ...] = ("ingest", "mempool")


@dataclass(frozen=True)
class AlertSettings:
    """When jobs post to the webhook (``jobs.alerts``); no URL, no alerts."""

    webhook_url: str | None = field(default=None, repr=False)
    """A secret: whoever holds it can post to the channel."""
    max_lag_blocks: int = 6
    max_divergence_pct: float = 5.0
    max_silence_seconds: float = 3600.0


@dataclass(frozen=True)
class JobSettings:
    """Everything a job needs; entry points build it and pass it on."""

    lake_url: str | None
    """None: a CLI run that stores nothing (``mempool`` without ``--lake``)."""
    node: NodeSettings | None = None
    prices_url: str | None = None
    start_height: int | None = None
    min_price: float = 1_000.0
    max_price: float = 10_000_000.0
    min_confidence: float = 0.5
    max_reorg_depth: int = 12
    grace_seconds: float = 3600.0
    mempool_window_hours: float = 3.0
    mempool_points_retention_days: int = 7
    backfill_topic: str | None = None
    backfill_chunk_days: int = 3
    health: HealthLimits = field(default_factory=HealthLimits)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    log_format: str | None = None
    """json or text; None: chosen from where the job runs (``jobs.logs.pick_format``)."""

    def secrets(self) -> list[str]:
        found = self.node.secrets() if self.node else []
        return found + ([self.alerts.webhook_url] if self.alerts.webhook_url else [])


class _Reader:
    """Reads variables one by one; each refusal names the variable (never a secret's value)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def text(self, name: str) -> str | None:
        value = self.env.get(PREFIX + name)
        if value is None or value == "":
            return None
        if value != value.strip():
            raise SettingsError(f"{PREFIX}{name} has spaces around its value")
        return value

    def required(self, name: str, why: str) -> str:
        value = self.text(name)
        if value is None:
            raise SettingsError(f"{PREFIX}{name} is not set: {why}")
        return value

    def parsed(self, name: str, default: T, parse: Callable[[str], T], rule: str) -> T:
        value = self.text(name)
        if value is None:
            return default
        try:
            result = parse(value)
        except (ValueError, OverflowError):
            result = None
        if result is None:
            shown = "" if PREFIX + name in SECRET_VARIABLES else f", not {value!r}"
            raise SettingsError(f"{PREFIX}{name} must be {rule}{shown}")
        return result


def _int_in(low: int, high: float) -> Callable[[str], int | None]:
    def parse(text: str) -> int | None:
        number = int(text)
        return number if low <= number <= high else None

    return parse


def _float_in(low: float, high: float, *, open_low: bool = False) -> Callable[[str], float | None]:
    def parse(text: str) -> float | None:
        number = float(text)
        above = number > low if open_low else number >= low
        return number if math.isfinite(number) and above and number <= high else None

    return parse


def _headers(text: str) -> dict[str, str] | None:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(value, dict):
        return None
    names_ok = all(
        isinstance(k, str) and k and k.isprintable() and not any(c.isspace() for c in k)
        for k in value
    )
    values_ok = all(isinstance(v, str) and v.isprintable() for v in value.values())
    return dict(value) if names_ok and values_ok else None


HEADERS_RULE = 'a JSON object of header names to strings, e.g. {"X-Token": "..."}'


def load_node_headers(text: str) -> dict[str, str]:
    """``CHAINPRICE_NODE_HEADERS``'s value as headers; the error never shows the value."""
    headers = _headers(text)
    if headers is None:
        raise SettingsError(f"CHAINPRICE_NODE_HEADERS must be {HEADERS_RULE}")
    return headers


def _one_of(choices: tuple[str, ...]) -> Callable[[str], str | None]:
    return lambda text: text if text in choices else None


def _node(read: _Reader) -> NodeSettings:
    url = read.required("NODE_URL", "the node's URL, e.g. http://127.0.0.1:8332")
    from chainprice.adapters.node.source import check_url

    try:
        check_url(url, "CHAINPRICE_NODE_URL")
    except ConfigError as exc:
        raise SettingsError(str(exc)) from None
    try:
        config = node_config(
            rpc_user=read.text("RPC_USER"),
            rpc_password=read.text("RPC_PASSWORD"),
            rpc_password_file=read.text("RPC_PASSWORD_FILE"),
            rpc_cookie=read.text("RPC_COOKIE_FILE"),
            headers=read.parsed("NODE_HEADERS", {}, _headers, HEADERS_RULE),
            timeout=read.parsed(
                "NODE_TIMEOUT",
                60.0,
                _float_in(0, MAX_TIMEOUT, open_low=True),
                f"seconds in (0, {MAX_TIMEOUT:g}]",
            ),
            retries=read.parsed(
                "NODE_RETRIES", 5, _int_in(0, MAX_RETRIES), f"a whole number 0..{MAX_RETRIES}"
            ),
            workers=read.parsed(
                "NODE_WORKERS", 8, _int_in(1, MAX_WORKERS), f"a whole number 1..{MAX_WORKERS}"
            ),
            ca_bundle=read.text("NODE_CA_BUNDLE"),
            insecure=read.parsed("NODE_INSECURE", False, _boolean, "true or false"),
            names=NODE_FILE_VARIABLES,
        )
    except ConfigError as exc:
        raise SettingsError(str(exc)) from None
    source = read.parsed("NODE_SOURCE", "rpc", _one_of(SOURCES), " or ".join(SOURCES))
    return NodeSettings(url=url, source=source, config=config)


def _boolean(text: str) -> bool | None:
    return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(
        text.lower()
    )


def _topic(text: str) -> str | None:
    parts = text.split("/")
    ok = len(parts) == 4 and parts[0] == "projects" and parts[2] == "topics"
    return text if ok and all(parts) else None


def _webhook(text: str) -> str | None:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return None
    return text if parts.scheme in ("http", "https") and parts.hostname else None


def _alerts(read: _Reader) -> AlertSettings:
    return AlertSettings(
        webhook_url=read.parsed(
            "ALERT_WEBHOOK_URL", None, _webhook, "an http:// or https:// URL taking a JSON POST"
        ),
        max_lag_blocks=read.parsed(
            "ALERT_MAX_LAG_BLOCKS", 6, _int_in(0, 10**6), "a whole number of blocks"
        ),
        max_divergence_pct=read.parsed(
            "ALERT_MAX_DIVERGENCE_PCT",
            5.0,
            _float_in(0, 1000, open_low=True),
            "a percentage in (0, 1000]",
        ),
        max_silence_seconds=read.parsed(
            "ALERT_MAX_SILENCE_SECONDS",
            3600.0,
            _float_in(0, 10**8, open_low=True),
            "a positive number of seconds",
        ),
    )


def _lake_url(read: _Reader) -> str:
    url = read.required("LAKE_URL", "the lake, e.g. gs://bucket/lake, s3://bucket or a folder")
    from chainprice.adapters.storage import open_store
    from chainprice.adapters.storage.errors import StorageError

    try:
        open_store(url)  # checks the URL's form only; no request is made
    except StorageError as exc:
        raise SettingsError(f"CHAINPRICE_LAKE_URL: {exc}") from None
    return url


def load_settings(
    env: Mapping[str, str], *, needs_node: bool = True, needs_lake: bool = True
) -> JobSettings:
    """Settings from ``env`` (see ``environment``); raises ``SettingsError`` naming the variable."""
    read = _Reader(env)
    lake_url = _lake_url(read) if needs_lake or read.text("LAKE_URL") else None
    node = _node(read) if needs_node or read.text("NODE_URL") else None
    prices_url = read.text("PRICES_URL")
    if prices_url is not None:
        from chainprice.adapters.node.source import check_url

        try:
            check_url(prices_url, "CHAINPRICE_PRICES_URL")
        except ConfigError as exc:
            raise SettingsError(str(exc)) from None
    min_price = read.parsed(
        "MIN_PRICE", 1_000.0, _float_in(0, 1e12, open_low=True), "a positive USD price"
    )
    max_price = read.parsed(
        "MAX_PRICE", 10_000_000.0, _float_in(0, 1e12, open_low=True), "a positive USD price"
    )
    if max_price <= min_price:
        raise SettingsError(
            f"CHAINPRICE_MAX_PRICE ({max_price:g}) must be above "
            f"CHAINPRICE_MIN_PRICE ({min_price:g})"
        )
    jobs = read.parsed(
        "HEALTH_JOBS",
        HealthLimits.jobs,
        lambda t: (
            tuple(t.split(",")) if set(t.split(",")) <= {"ingest", "mempool", "backfill"} else None
        ),
        "a comma-separated list of ingest, mempool, backfill",
    )
    return JobSettings(
        lake_url=lake_url,
        node=node,
        prices_url=prices_url,
        start_height=read.parsed(
            "START_HEIGHT", None, _int_in(0, 10**8), "a block height 0 or more"
        ),
        min_price=min_price,
        max_price=max_price,
        min_confidence=read.parsed("MIN_CONFIDENCE", 0.5, _float_in(0, 1), "a number from 0 to 1"),
        max_reorg_depth=read.parsed(
            "MAX_REORG_DEPTH", 12, _int_in(1, 1000), "a whole number 1..1000"
        ),
        grace_seconds=read.parsed(
            "GRACE_SECONDS", 3600.0, _float_in(0, 30 * 86400), "seconds 0..2592000"
        ),
        mempool_window_hours=read.parsed(
            "MEMPOOL_WINDOW_HOURS", 3.0, _float_in(0, 14 * 24, open_low=True), "hours in (0, 336]"
        ),
        mempool_points_retention_days=read.parsed(
            "MEMPOOL_POINTS_RETENTION_DAYS", 7, _int_in(1, 3650), "a whole number of days 1..3650"
        ),
        backfill_topic=read.parsed(
            "BACKFILL_TOPIC", None, _topic, "a Pub/Sub topic, projects/PROJECT/topics/TOPIC"
        ),
        backfill_chunk_days=read.parsed(
            "BACKFILL_CHUNK_DAYS", 3, _int_in(1, 366), "a whole number of days 1..366"
        ),
        health=HealthLimits(
            max_lag_blocks=read.parsed(
                "HEALTH_MAX_LAG_BLOCKS", 6, _int_in(0, 10**6), "a whole number of blocks"
            ),
            max_silence_seconds=read.parsed(
                "HEALTH_MAX_SILENCE_SECONDS",
                1800.0,
                _float_in(0, 10**8, open_low=True),
                "a positive number of seconds",
            ),
            jobs=jobs,
        ),
        alerts=_alerts(read),
        log_format=read.parsed(
            "LOG_FORMAT", None, _one_of(("auto", *LOG_FORMATS)), "auto, json or text"
        ),
    )
