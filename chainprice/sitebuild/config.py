"""Where the page finds the lake: a URL relative to the page when both are published on
the same host (a bucket holding the lake and the site), an absolute one otherwise."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path
from urllib.parse import urlsplit

from chainprice.core.errors import ChainPriceError

_USAGE = "use a lake folder, http(s)://…, gs://bucket[/prefix] or s3://bucket[/prefix]"


def _public_http(url: str) -> str:
    """The public HTTP URL of a folder given as http(s)://, gs:// or s3://, ending in '/'."""
    parts = urlsplit(url)
    path = parts.path.strip("/")
    if parts.scheme in ("http", "https") and parts.netloc:
        base = f"{parts.scheme}://{parts.netloc}/"
    elif parts.scheme == "gs" and parts.netloc:
        base = f"https://storage.googleapis.com/{parts.netloc}/"
    elif parts.scheme == "s3" and parts.netloc:
        base = f"https://{parts.netloc}.s3.amazonaws.com/"
    else:
        raise ChainPriceError(f"lake URL {url!r} cannot be read by a browser ({_USAGE})")
    return base + (path + "/" if path else "")


def page_lake_url(lake: str, out: Path, public_url: str | None = None) -> str:
    """The lake's location as the page at ``out`` (published at ``public_url``) should fetch it."""
    if "://" not in lake:
        folder = Path(lake)
        if not (folder / "manifest.json").is_file():
            raise ChainPriceError(f"{lake} holds no manifest.json: not a lake (run ingest first)")
        relative = os.path.relpath(folder.resolve(), out.resolve())
        return Path(relative).as_posix().rstrip("/") + "/"
    lake_http = _public_http(lake)
    if public_url is None:
        return lake_http
    site_http = _public_http(public_url)
    lake_parts, site_parts = urlsplit(lake_http), urlsplit(site_http)
    if (lake_parts.scheme, lake_parts.netloc) != (site_parts.scheme, site_parts.netloc):
        return lake_http
    relative = posixpath.relpath(lake_parts.path, site_parts.path)
    return relative.rstrip("/") + "/"
