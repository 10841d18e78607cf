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

from chainprice.core.errors import ChainPriceError

SITE_SOURCE = Path(__file__).resolve().parents[2] / "static_site"
NODE_MODULES = SITE_SOURCE / "node_modules"
VENDOR_FILES = {
    "duckdb/duckdb-browser.mjs": "@duckdb/duckdb-wasm/dist/duckdb-browser.mjs",
    "duckdb/duckdb-eh.wasm": "@duckdb/duckdb-wasm/dist/duckdb-eh.wasm",
    "duckdb/duckdb-browser-eh.worker.js": "@duckdb/duckdb-wasm/dist/duckdb-browser-eh.worker.js",
    "duckdb/duckdb-mvp.wasm": "@duckdb/duckdb-wasm/dist/duckdb-mvp.wasm",
    "duckdb/duckdb-browser-mvp.worker.js": "@duckdb/duckdb-wasm/dist/duckdb-browser-mvp.worker.js",
    "apache-arrow/Arrow.esnext.min.js": "apache-arrow/Arrow.esnext.min.js",
    "plotly/plotly.min.js": "plotly.js-gl2d-dist-min/plotly-gl2d.min.js",
}
ARROW_SHIM = "vendor/apache-arrow/arrow.mjs"
"""What the import map gives DuckDB-WASM as ``apache-arrow``: the package's single-file UMD
build wrapped as an ES module (one request, instead of its module graph of ~140 files that
a browser discovers level by level)."""
COMPRESSED_SUFFIXES = {".html", ".css", ".js", ".mjs", ".wasm", ".svg"}
MIN_COMPRESSED = 1024
CONFIG = "config.json"


class SiteBuildError(ChainPriceError):
    """The site cannot be built: assets missing and not installable, or a bad lake URL."""


def ensure_node_modules() -> None:
    """Install the pinned assets with ``npm ci`` when ``node_modules`` lacks any of them."""
    wanted = [NODE_MODULES / src for src in VENDOR_FILES.values()]
    if all(p.exists() for p in wanted):
        return
    if not (SITE_SOURCE / "package-lock.json").is_file():
        raise SiteBuildError(
            f"the site's sources are not here ({SITE_SOURCE}): the installed package does not "
            "ship them; build the site from a checkout of the project"
        )
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


def _arrow_shim() -> str:
    """The ES module over Arrow's UMD build, exporting every name the build defines."""
    umd = NODE_MODULES / VENDOR_FILES["apache-arrow/Arrow.esnext.min.js"]
    if shutil.which("node") is None:
        raise SiteBuildError("node is not on the PATH (it lists apache-arrow's exports)")
    listed = subprocess.run(
        ["node", "-e", "console.log(JSON.stringify(Object.keys(require(process.argv[1]))))", umd],
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:
        raise SiteBuildError(f"node could not load {umd}: {listed.stderr.strip()[-200:]}")
    names = ", ".join(json.loads(listed.stdout))
    return (
        "// Written by `chainprice site build`: apache-arrow's UMD build as an ES module.\n"
        "await new Promise((resolve, reject) => {\n"
        "  const script = document.createElement('script');\n"
        "  script.src = new URL('./Arrow.esnext.min.js', import.meta.url).href;\n"
        "  script.onload = resolve;\n"
        "  script.onerror = () => reject(new Error('apache-arrow did not load'));\n"
        "  document.head.append(script);\n"
        "});\n"
        f"export const {{ {names} }} = globalThis.Arrow;\n"
    )


def _compress(path: Path) -> None:
    if path.suffix in COMPRESSED_SUFFIXES and path.stat().st_size >= MIN_COMPRESSED:
        data = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        path.with_name(path.name + ".gz").write_bytes(data)


def build_site(out: Path, lake_url: str, notice: str | None = None) -> list[Path]:
    """Write the site into ``out`` (replacing an earlier build); returns the files written.

    ``notice``: a line the page shows above everything (the demo's "simulated data")."""
    ensure_node_modules()
    if out.exists() and not (out / CONFIG).exists() and any(out.iterdir()):
        raise SiteBuildError(f"{out} is not empty and holds no earlier site build: refusing it")
    shutil.rmtree(out, ignore_errors=True)
    sources = {
        p.relative_to(SITE_SOURCE / "src").as_posix(): p for p in (SITE_SOURCE / "src").iterdir()
    }
    sources |= {f"vendor/{dst}": NODE_MODULES / src for dst, src in VENDOR_FILES.items()}
    written = []
    for name, src in sorted(sources.items()):
        dst = out / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        _compress(dst)
        written.append(dst)
    (out / ARROW_SHIM).write_text(_arrow_shim())
    config = {"lake": lake_url} | ({"notice": notice} if notice else {})
    (out / CONFIG).write_text(json.dumps(config, indent=1) + "\n")
    written += [out / ARROW_SHIM, out / CONFIG]
    return written
