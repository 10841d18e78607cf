"""Command-line options that say how to reach a node, and the ``NodeChain`` they open."""

from __future__ import annotations

import argparse
import functools
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from chainprice.adapters.node.config import NodeConfig
from chainprice.adapters.node.errors import ConfigError
from chainprice.adapters.node.options import MAX_RETRIES, MAX_TIMEOUT, MAX_WORKERS, SOURCES

if TYPE_CHECKING:
    from chainprice.adapters.node import NodeChain
    from chainprice.core import ParsedBlock

PASSWORD_ENV = "CHAINPRICE_RPC_PASSWORD"
HEADERS_ENV = "CHAINPRICE_NODE_HEADERS"


def _header(value: str) -> tuple[str, str]:
    """``Name: value``; a malformed one is refused without echoing it (it may hold a token)."""
    name, sep, content = value.partition(":")
    name = name.strip()
    if not sep or not name or any(c.isspace() for c in name) or not name.isprintable():
        raise argparse.ArgumentTypeError(
            "an HTTP header looks like 'Name: value' (the value given is not shown)"
        )
    return name, content.strip()


def _bounded_int(low: int, high: int):
    """An argparse type for a whole number in ``[low, high]`` that says the bound when refused."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = low - 1
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(
                f"must be a whole number from {low} to {high}, not {value!r}"
            )
        return number

    return parse


def _timeout(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_TIMEOUT):
        raise argparse.ArgumentTypeError(
            f"must be above 0 and at most {MAX_TIMEOUT:g} seconds, not {value}"
        )
    return seconds


@functools.cache
def _environment() -> dict[str, str]:
    from chainprice.jobs.settings import environment

    return environment()


def env_default(name: str) -> str | None:
    """A ``CHAINPRICE_*`` variable (environment, then ``.env``) as an option's default."""
    return _environment().get(name) or None


def add_node_arguments(parser: argparse.ArgumentParser) -> None:
    """The node options; each defaults to the variable the cloud functions read."""
    node = parser.add_argument_group("node (defaults from CHAINPRICE_* variables)")
    node.add_argument(
        "--node",
        metavar="URL",
        default=env_default("CHAINPRICE_NODE_URL"),
        help="node URL, e.g. http://127.0.0.1:8332 ($CHAINPRICE_NODE_URL)",
    )
    node.add_argument(
        "--source",
        choices=SOURCES,
        default=env_default("CHAINPRICE_NODE_SOURCE") or "rpc",
        help="protocol (default rpc; $CHAINPRICE_NODE_SOURCE)",
    )
    node.add_argument("--rpc-user", default=env_default("CHAINPRICE_RPC_USER"))
    node.add_argument(
        "--rpc-password",
        help=f"visible to other users in ps: prefer --rpc-cookie, --rpc-password-file "
        f"or ${PASSWORD_ENV}",
    )
    node.add_argument(
        "--rpc-password-file",
        type=Path,
        metavar="FILE",
        default=env_default("CHAINPRICE_RPC_PASSWORD_FILE"),
        help="read the RPC password from the first line of FILE",
    )
    node.add_argument(
        "--rpc-cookie",
        type=Path,
        metavar="FILE",
        default=env_default("CHAINPRICE_RPC_COOKIE_FILE"),
        help="Bitcoin Core .cookie file ($CHAINPRICE_RPC_COOKIE_FILE)",
    )
    node.add_argument(
        "--header",
        type=_header,
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help=f"extra HTTP header for every request (tunnel tokens); repeatable; also "
        f"${HEADERS_ENV} as a JSON object",
    )
    node.add_argument(
        "--timeout",
        type=_timeout,
        default=env_default("CHAINPRICE_NODE_TIMEOUT") or 60.0,
        help="seconds per request (default 60)",
    )
    node.add_argument(
        "--retries",
        type=_bounded_int(0, MAX_RETRIES),
        default=env_default("CHAINPRICE_NODE_RETRIES") or 5,
        help=f"retries per request or block, 0..{MAX_RETRIES} (default 5)",
    )
    node.add_argument(
        "--workers",
        type=_bounded_int(1, MAX_WORKERS),
        default=env_default("CHAINPRICE_NODE_WORKERS") or 8,
        help=f"parallel connections, 1..{MAX_WORKERS} (default 8)",
    )
    node.add_argument(
        "--ca-bundle",
        metavar="FILE",
        default=env_default("CHAINPRICE_NODE_CA_BUNDLE"),
        help="CA bundle to verify the node's TLS",
    )
    node.add_argument(
        "--insecure", action="store_true", help="do not verify the node's TLS certificate"
    )


def _env_headers() -> dict[str, str]:
    """``CHAINPRICE_NODE_HEADERS``: refused without echoing it (it holds tokens)."""
    text = env_default(HEADERS_ENV)
    if text is None:
        return {}
    from chainprice.jobs.settings import SettingsError, load_node_headers

    try:
        return load_node_headers(text)
    except SettingsError as exc:
        raise ConfigError(str(exc)) from None


def node_config(args: argparse.Namespace) -> NodeConfig:
    """The node's settings from the options; the password falls back to the environment."""
    from chainprice.adapters.node.options import node_config as checked_config

    given = args.rpc_password is not None or args.rpc_password_file is not None
    return checked_config(
        rpc_user=args.rpc_user,
        rpc_password=args.rpc_password if given else os.environ.get(PASSWORD_ENV) or None,
        rpc_password_file=args.rpc_password_file,
        rpc_cookie=args.rpc_cookie,
        headers=_env_headers() | dict(args.header),
        timeout=args.timeout,
        retries=args.retries,
        workers=args.workers,
        ca_bundle=args.ca_bundle,
        insecure=args.insecure,
    )


def api_config(args: argparse.Namespace) -> NodeConfig:
    """Settings for a price API: the node's patience, none of its credentials, headers or CA."""
    return NodeConfig(timeout=args.timeout, retries=args.retries)


def open_node(args: argparse.Namespace) -> NodeChain:
    from chainprice.adapters.node.options import check_node_url
    from chainprice.jobs.settings import NodeSettings
    from chainprice.jobs.wiring import open_chain

    url = check_node_url(args.node)
    return open_chain(NodeSettings(url=url, source=args.source, config=node_config(args)))


def parsed_blocks(chain: NodeChain, start: int, end: int) -> Iterator[ParsedBlock]:
    """Blocks parsed as they arrive, with a progress bar on stderr."""
    from chainprice.cli.progress import block_bar
    from chainprice.core import parse_block

    with block_bar(end - start) as bar:
        for block in chain.iter_blocks(start, end, parse_block):
            bar.update(1)
            yield block
