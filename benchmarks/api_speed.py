"""The Python API timed from process start: what ``import chainprice`` costs a program, and what
its first use costs (a new process each time, as a script or a notebook kernel starts).

Prints best and median wall times of: the bare interpreter; ``import chainprice`` (names only,
nothing heavy loaded); ``chainprice --version``; ``import chainprice`` then touching
``chainprice.price_day`` (the pricing module and numpy load); and a golden day priced from its
block files with ``chainprice.price_day(day, blocks=...)`` (numba's cache warm after the first run).

    uv run --no-sync python benchmarks/api_speed.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAINPRICE = str(Path(sys.executable).with_name("chainprice"))
GOLDEN = ROOT / "tests" / "data" / "golden" / "g2_97k"
DAY = "2024-12-05"


def timed(argv: list[str], repeat: int) -> list[float]:
    subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)  # warm the OS and caches
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - began)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    python = sys.executable
    cases = {
        "python -c pass": [python, "-c", "pass"],
        "python -c 'import chainprice'": [python, "-c", "import chainprice"],
        "chainprice --version": [CHAINPRICE, "--version"],
        "import chainprice; chainprice.price_day": [
            python,
            "-c",
            "import chainprice; chainprice.price_day",
        ],
        f"chainprice.price_day({DAY!r}, blocks=golden g2_97k)": [
            python,
            "-c",
            f"import chainprice; chainprice.price_day({DAY!r}, blocks={str(GOLDEN)!r})",
        ],
    }
    for what, argv in cases.items():
        times = timed(argv, repeat)
        print(f"{what}: best {min(times):.3f} s, median {statistics.median(times):.3f} s")


if __name__ == "__main__":
    main()
