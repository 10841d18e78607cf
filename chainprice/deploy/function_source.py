"""The cloud functions' source folder: ``main.py``, the package, pinned requirements, and the
compiled kernels, so that no instance compiles on a cold start.

``python -m chainprice.deploy.function_source OUT --zip OUT.zip`` writes it and
its zip, which Terraform uploads under a name holding the zip's hash. The zip is
written here, not by Terraform's ``archive_file``: that one sets every entry's
time to zero, which would void the kernels' cache on the first cold start.

The kernels are compiled in the folder itself, into numba's in-tree cache
beside the code (``chainprice/core/__pycache__``), for a generic x86-64 CPU
(``NUMBA_CPU_NAME=generic``, which ``main.py`` also sets), since the platform's
CPU model is not known in advance. Numba accepts a cached kernel when the
source file's modification time and size match, so every file gets one fixed
time: the cache stays valid wherever the folder is unpacked, as long as times
are kept (zip keeps them to two seconds; the fixed time is even).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import time
import zipfile
from importlib.metadata import distribution, version
from pathlib import Path

from chainprice.core.numba_setup import SHIPPED_MARK

PACKAGE = Path(__file__).resolve().parents[1]
ENTRY = PACKAGE.parent / "functions" / "main.py"
FIXED_TIME = 1_700_000_000
"""2023-11-14T22:13:20Z: any fixed, even number of seconds."""
LEFT_OUT = ("nodesim", "sitebuild", "cli", "deploy")
"""Parts the functions never import (the chain generator stays: the warm-up prices its day)."""
WARM_UP = """
from chainprice.simchain import compact_day, generate_chain
from chainprice.adapters.memory_chain import MemoryChain
from chainprice.core import price_day
from chainprice.core.windows import latest_day

sim = generate_chain(compact_day())
chain = MemoryChain(dict(zip(sim.heights, sim.blocks, strict=True)))
price_day(chain, chain.fetch, latest_day(chain))

from chainprice.core.hex_decode import hex_to_bytes  # JSON-RPC blocks, as hexjson calls it

hex_to_bytes(memoryview(b'"' + sim.blocks[0].hex().encode() + b'"')[1:-1])
"""


def requirements() -> list[str]:
    """The package's runtime requirements, pinned to the versions installed here."""
    pinned = []
    for text in distribution("chainprice").requires or []:
        if "extra ==" in text:
            continue
        name = re.match(r"[A-Za-z0-9._-]+", text).group()
        pinned.append(f"{name}=={version(name)}")
    return sorted(pinned)


def _copy_package(out: Path) -> None:
    shutil.copytree(
        PACKAGE,
        out / "chainprice",
        ignore=lambda folder, names: [
            n for n in names if n == "__pycache__" or (Path(folder) == PACKAGE and n in LEFT_OUT)
        ],
    )


def _fix_times(out: Path) -> None:
    for path in out.rglob("*"):
        os.utime(path, (FIXED_TIME, FIXED_TIME))


def _compile_kernels(out: Path) -> None:
    """Run a day's price once inside ``out``, so numba writes the kernels beside the code."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env |= {"NUMBA_CPU_NAME": "generic", "PYTHONPATH": str(out)}
    subprocess.run([sys.executable, "-c", WARM_UP], cwd=out, env=env, check=True)


def build(out: Path) -> Path:
    """Write the function source folder at ``out`` (replacing it); returns ``out``."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copy2(ENTRY, out / "main.py")
    _copy_package(out)
    (out / "requirements.txt").write_text("\n".join(requirements()) + "\n")
    (out / "chainprice" / "core" / SHIPPED_MARK.name).write_text("kernels in __pycache__\n")
    _fix_times(out)
    _compile_kernels(out)
    _fix_times(out)
    return out


def _entry(path: Path, folder: Path) -> zipfile.ZipInfo:
    """A zip entry stamped ``FIXED_TIME`` in UTC, twice: the DOS time (which unzip reads as
    local time) and the extended timestamp field (UTC, which unzip prefers)."""
    info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), time.gmtime(FIXED_TIME)[:6])
    info.extra = struct.pack("<HHBl", 0x5455, 5, 1, FIXED_TIME)
    info.external_attr = (path.stat().st_mode & 0o777 | 0o100000) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def write_zip(folder: Path, target: Path) -> Path:
    """``folder`` as a zip with every file's time kept, entries in name order (the same
    folder gives the same bytes, so the same object name and no redeploy)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            archive.writestr(_entry(path, folder), path.read_bytes())
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write (replaced if present)")
    parser.add_argument("--zip", type=Path, help="also write the folder as this zip file")
    args = parser.parse_args()
    out = build(args.out)
    kernels = len(list((out / "chainprice" / "core" / "__pycache__").glob("*.nbi")))
    print(f"function source written to {out}: {kernels} compiled kernels")
    if args.zip:
        print(f"zipped to {write_zip(out, args.zip)}")


if __name__ == "__main__":
    main()
