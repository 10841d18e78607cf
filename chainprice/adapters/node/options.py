"""The node options a user gives (CLI flags, the Python API's keywords) as one checked config.

One place reads credentials and checks bounds, so the command line and the
Python API refuse the same values with the same line. Messages name the
options by their command-line spelling; a secret's value is never shown.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from pathlib import Path

from chainprice.adapters.node.config import NodeConfig
from chainprice.adapters.node.errors import ConfigError

SOURCES = ("rpc", "rest", "esplora")
MAX_WORKERS = 64
"""More parallel connections than this only queue at the node."""
MAX_RETRIES = 100
MAX_TIMEOUT = 86_400.0


CLI_NAMES = {
    "rpc_password": "--rpc-password",
    "rpc_password_file": "--rpc-password-file",
    "rpc_cookie": "--rpc-cookie",
    "ca_bundle": "--ca-bundle",
}
"""How messages name the options that ``node_config`` reads from files (the command line's
spelling; the jobs' settings pass their variables' names)."""


def _password(
    password: str | None, password_file: Path | None, names: Mapping[str, str]
) -> str | None:
    """``password``, else the first line of ``password_file``; both at once are refused."""
    if password is not None and password_file is not None:
        raise ConfigError(f"give {names['rpc_password']} or {names['rpc_password_file']}, not both")
    if password_file is None:
        return password
    try:
        lines = Path(password_file).read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or "not a text file"
        raise ConfigError(f"{names['rpc_password_file']} {password_file}: {why}") from None
    if not lines or not lines[0]:
        raise ConfigError(f"{names['rpc_password_file']} {password_file}: empty first line")
    return lines[0]


def _existing(path: str | Path | None, option: str) -> Path | None:
    if path is not None and not Path(path).is_file():
        raise ConfigError(f"{option} {path}: no such file")
    return Path(path) if path is not None else None


def _number(value: object, option: str, whole: bool) -> float:
    """``value`` as a number (a whole one for counts); anything else refused naming ``option``."""
    try:
        return operator.index(value) if whole else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        kind = "a whole number" if whole else "a number of seconds"
        raise ConfigError(f"{option} must be {kind}, not {value!r}") from None


def _check_bounds(timeout: float, retries: int, workers: int) -> None:
    timeout = _number(timeout, "--timeout", whole=False)
    retries = int(_number(retries, "--retries", whole=True))
    workers = int(_number(workers, "--workers", whole=True))
    if not (math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT):
        raise ConfigError(f"--timeout must be above 0 and at most {MAX_TIMEOUT:g} seconds")
    if not 0 <= retries <= MAX_RETRIES:
        raise ConfigError(f"--retries must be a whole number from 0 to {MAX_RETRIES}")
    if not 1 <= workers <= MAX_WORKERS:
        raise ConfigError(f"--workers must be a whole number from 1 to {MAX_WORKERS}")


def node_config(
    *,
    rpc_user: str | None = None,
    rpc_password: str | None = None,
    rpc_password_file: str | Path | None = None,
    rpc_cookie: str | Path | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    retries: int = 5,
    workers: int = 8,
    ca_bundle: str | None = None,
    insecure: bool = False,
    names: Mapping[str, str] = CLI_NAMES,
) -> NodeConfig:
    """The node's settings: credentials and tunnel headers go here and nowhere else."""
    cookie = _existing(rpc_cookie, names["rpc_cookie"])
    _existing(ca_bundle, names["ca_bundle"])
    _check_bounds(timeout, retries, workers)
    password_file = Path(rpc_password_file) if rpc_password_file is not None else None
    return NodeConfig(
        rpc_user=rpc_user,
        rpc_password=_password(rpc_password, password_file, names),
        rpc_cookie=cookie,
        headers=dict(headers or {}),
        timeout=float(timeout),
        retries=retries,
        workers=workers,
        tls_verify=False if insecure else (ca_bundle or True),
    )


def check_node_url(url: str | None) -> str:
    """The node URL as given; an empty one, or one with spaces around it, is refused."""
    if not url or url != url.strip():
        raise ConfigError(
            "--node is empty or has spaces around it: give the node URL, e.g. "
            "http://127.0.0.1:8332 (without --node the built-in simulated chain is priced)"
        )
    return url
