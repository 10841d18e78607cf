"""``chainprice site build`` and ``chainprice site serve``: the static page over the lake."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from chainprice.core.errors import ChainPriceError

if TYPE_CHECKING:
    from chainprice.adapters.file_server import FileServer


def add_site_parser(commands: argparse._SubParsersAction) -> None:
    site = commands.add_parser("site", help="build or serve the static page over the lake")
    actions = site.add_subparsers(dest="site_command", required=True)
    build = actions.add_parser("build", help="write the page, its pinned assets and its config")
    build.add_argument(
        "--lake",
        required=True,
        metavar="URL",
        help="the lake as the page reads it: a local lake folder, http(s)://…, gs://… or s3://…",
    )
    build.add_argument("--out", required=True, type=Path, metavar="DIR", help="site folder")
    build.add_argument(
        "--public-url",
        metavar="URL",
        help="where DIR will be published (http(s)://, gs://, s3://); on the lake's host the "
        "page finds the lake by a relative path",
    )
    build.set_defaults(run=run_build)
    serve = actions.add_parser(
        "serve", help="serve a built site and its local lake (HTTP ranges, gzip, application/wasm)"
    )
    serve.add_argument("--site", type=Path, default=Path("site"), metavar="DIR")
    serve.add_argument(
        "--root",
        type=Path,
        metavar="DIR",
        help="folder to serve (default: the one holding both the site and its local lake)",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=run_serve)


def run_build(args: argparse.Namespace) -> None:
    from chainprice.sitebuild import build_site, page_lake_url

    lake_url = page_lake_url(args.lake, args.out, args.public_url)
    files = build_site(args.out, lake_url)
    print(f"site written to {args.out} ({len(files)} files), reading the lake at {lake_url}")


def serve_root(site: Path) -> Path:
    """The folder holding the site and, for a relative lake URL, the lake as well."""
    config = site / "config.json"
    if not config.is_file():
        raise ChainPriceError(f"{site} holds no config.json: build it with `chainprice site build`")
    lake = json.loads(config.read_text())["lake"]
    if "://" in lake:
        return site.resolve()
    return Path(os.path.commonpath([site.resolve(), (site / lake).resolve()]))


def bind_server(root: Path, host: str, port: int) -> FileServer:
    """The file server on ``host:port``; a port in use is one line naming it."""
    from chainprice.adapters.file_server import make_server

    try:
        return make_server(root, host, port)
    except OSError as exc:
        raise ChainPriceError(f"cannot serve on {host}:{port}: {exc.strerror}") from None


def run_serve(args: argparse.Namespace) -> None:
    site = args.site.resolve()
    root = (args.root or serve_root(args.site)).resolve()
    if not site.is_relative_to(root):
        raise ChainPriceError(f"--root {args.root} does not hold the site {args.site}")
    server = bind_server(root, args.host, args.port)
    host, port = server.server_address[:2]
    page = site.relative_to(root).as_posix()
    print(
        f"serving {root}; the page is at http://{host}:{port}/"
        + ("" if page == "." else page + "/")
        + " (Ctrl-C stops)",
        flush=True,
    )
    with server:
        server.serve_forever()
