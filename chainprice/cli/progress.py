"""Progress on stderr for long work (silent when stderr is not a terminal)."""

from __future__ import annotations

import sys

from tqdm import tqdm


def block_bar(total: int | None, what: str = "blocks") -> tqdm:
    return tqdm(
        total=total,
        unit=" blocks" if what == "blocks" else f" {what}",
        desc=what,
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        leave=False,
    )
