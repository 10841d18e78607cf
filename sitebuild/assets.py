"""The site folder: ``static_site/src`` plus the vendor files the page loads, copied from
``static_site/node_modules`` (installed with ``npm ci`` from the pinned lockfile), each
large text or wasm file also stored gzip-compressed for servers that can send it so.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path

from core.errors import ChainPriceError

SITE_SOURCE = Path(__file__).resolve().parent.parent / "static_site"
NODE_MODULES = SITE_SOURCE / "node_modules"
VENDOR_FILES = {
    "duckdb/duckdb-browser.mjs": "@duckdb/duckdb-wasm/dist/duckdb-browser.mjs",
    "duckdb/duckdb-eh.wasm": "@duckdb/duckdb-wasm/dist/duckdb-eh.wasm",
    "duckdb/duckdb-browser-eh.worker.js": "@duckdb/duckdb-wasm/dist/duckdb-browser-eh.worker.js",
    "duckdb/duckdb-mvp.wasm": "@duckdb/duckdb-wasm/dist/duckdb-mvp.wasm",
    "duckdb/duckdb-browser-mvp.worker.js": "@duckdb/duckdb-wasm/dist/duckdb-browser-mvp.worker.js",
    "tslib/tslib.es6.mjs": "tslib/tslib.es6.mjs",
    "plotly/plotly.min.js": "plotly.js-gl2d-dist-min/plotly-gl2d.min.js",
}
VENDOR_TREES = {
    "apache-arrow": ("apache-arrow", "*.mjs"),
    "flatbuffers/mjs": ("flatbuffers/mjs", "*.js"),
}
"""Module trees the import map points into: their ES modules import each other by path."""
SKIPPED_PARTS = {"bin"}
"""Node-only command-line tools inside the arrow package, never imported by a page."""
COMPRESSED_SUFFIXES = {".html", ".css", ".js", ".mjs", ".wasm", ".svg"}
MIN_COMPRESSED = 1024
CONFIG = "config.json"
PRELOAD = "vendor/modules.json"
"""ES modules the page imports through the import map, listed so it can fetch them all at
once (``modulepreload``) instead of discovering the arrow package's graph level by level."""


class SiteBuildError(ChainPriceError):
    """The site cannot be built: assets missing and not installable, or a bad lake URL."""


def ensure_node_modules() -> None:
    """Install the pinned assets with ``npm ci`` when ``node_modules`` lacks any of them."""
    wanted = [NODE_MODULES / src for src in VENDOR_FILES.values()]
    wanted += [NODE_MODULES / src for src, _ in VENDOR_TREES.values()]
    if all(p.exists() for p in wanted):
        return
    if shutil.which("npm") is None:
        raise SiteBuildError("the site's assets are not installed and npm is not on the PATH")
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=SITE_SOURCE,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SiteBuildError(f"npm ci in {SITE_SOURCE} failed: {last}")


def _vendor_files() -> dict[str, Path]:
    files = {dst: NODE_MODULES / src for dst, src in VENDOR_FILES.items()}
    for dst, (src, pattern) in VENDOR_TREES.items():
        root = NODE_MODULES / src
        for path in sorted(root.rglob(pattern)):
            relative = path.relative_to(root)
            if not SKIPPED_PARTS & set(relative.parts):
                files[f"{dst}/{relative.as_posix()}"] = path
    return files


def _compress(path: Path) -> None:
    if path.suffix in COMPRESSED_SUFFIXES and path.stat().st_size >= MIN_COMPRESSED:
        data = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        path.with_name(path.name + ".gz").write_bytes(data)


def build_site(out: Path, lake_url: str) -> list[Path]:
    """Write the site into ``out`` (replacing an earlier build); returns the files written."""
    ensure_node_modules()
    if out.exists() and not (out / CONFIG).exists() and any(out.iterdir()):
        raise SiteBuildError(f"{out} is not empty and holds no earlier site build: refusing it")
    shutil.rmtree(out, ignore_errors=True)
    sources = {
        p.relative_to(SITE_SOURCE / "src").as_posix(): p for p in (SITE_SOURCE / "src").iterdir()
    }
    sources |= {f"vendor/{dst}": src for dst, src in _vendor_files().items()}
    written = []
    for name, src in sorted(sources.items()):
        dst = out / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        _compress(dst)
        written.append(dst)
    modules = sorted(n for n in sources if n.startswith("vendor/") and n.endswith((".mjs", ".js")))
    modules = [n for n in modules if "worker" not in n and not n.endswith(".min.js")]
    (out / PRELOAD).write_text(json.dumps(modules) + "\n")
    (out / CONFIG).write_text(json.dumps({"lake": lake_url}, indent=1) + "\n")
    written += [out / PRELOAD, out / CONFIG]
    return written
