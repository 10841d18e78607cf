"""Give numba a writable cache before it is imported, so kernels compile once.

A cloud function's source folder is read-only and a cold start cannot afford
to recompile; an explicit ``NUMBA_CACHE_DIR`` always wins.
"""

import os
import tempfile
from pathlib import Path


def _default_cache_dir() -> Path:
    home_cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    for root in (home_cache, Path(tempfile.gettempdir())):
        candidate = root / "chainprice" / "numba"
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            return candidate
    return Path(tempfile.mkdtemp(prefix="chainprice-numba-"))


def use_writable_cache() -> None:
    """Point numba at a writable cache folder unless the environment already names one."""
    if "NUMBA_CACHE_DIR" not in os.environ:
        os.environ["NUMBA_CACHE_DIR"] = str(_default_cache_dir())
