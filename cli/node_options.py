"""Command-line options that say how to reach a node, and the ``NodeChain`` they open."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from adapters.node import NodeChain, NodeConfig, open_source
from adapters.node.errors import ConfigError
from cli.progress import block_bar
from core import ParsedBlock, parse_block

SOURCES = ("rpc", "rest", "esplora")


def _header(value: str) -> tuple[str, str]:
    name, sep, content = value.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"an HTTP header looks like 'Name: value', not {value!r}")
    return name.strip(), content.strip()


def add_node_arguments(parser: argparse.ArgumentParser) -> None:
    node = parser.add_argument_group("node")
    node.add_argument("--node", metavar="URL", help="node URL, e.g. http://127.0.0.1:8332")
    node.add_argument("--source", choices=SOURCES, default="rpc", help="protocol (default rpc)")
    node.add_argument("--rpc-user")
    node.add_argument("--rpc-password")
    node.add_argument("--rpc-cookie", type=Path, metavar="FILE", help="Bitcoin Core .cookie file")
    node.add_argument(
        "--header",
        type=_header,
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="extra HTTP header for every request (tunnel tokens); repeatable",
    )
    node.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    node.add_argument("--retries", type=int, default=5, help="retries per request or block")
    node.add_argument("--workers", type=int, default=8, help="parallel connections")
    node.add_argument("--ca-bundle", metavar="FILE", help="CA bundle to verify the node's TLS")
    node.add_argument(
        "--insecure", action="store_true", help="do not verify the node's TLS certificate"
    )


def node_config(args: argparse.Namespace) -> NodeConfig:
    if args.rpc_cookie is not None and not args.rpc_cookie.is_file():
        raise ConfigError(f"--rpc-cookie {args.rpc_cookie}: no such file")
    return NodeConfig(
        rpc_user=args.rpc_user,
        rpc_password=args.rpc_password,
        rpc_cookie=args.rpc_cookie,
        headers=dict(args.header),
        timeout=args.timeout,
        retries=args.retries,
        workers=args.workers,
        tls_verify=False if args.insecure else (args.ca_bundle or True),
    )


def open_node(args: argparse.Namespace) -> NodeChain:
    config = node_config(args)
    source = open_source(args.node, args.source, config=config)
    return NodeChain(source, workers=config.workers, retries=config.retries, verify=parse_block)


def parsed_blocks(chain: NodeChain, start: int, end: int) -> Iterator[ParsedBlock]:
    """Blocks parsed as they arrive, with a progress bar on stderr."""
    with block_bar(end - start) as bar:
        for block in chain.iter_blocks(start, end, parse_block):
            bar.update(1)
            yield block
