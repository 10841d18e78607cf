"""Give numba a writable cache before it is imported, so kernels compile once.

A cold start cannot afford to recompile: a cloud function's source package
ships its compiled kernels next to the code (``core/__pycache__``, built by
``chainprice.deploy.function_source``), which numba finds by itself when the
folder is writable; anywhere else the cache goes to a per-user folder. An
explicit ``NUMBA_CACHE_DIR`` always wins.
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


SHIPPED_MARK = Path(__file__).resolve().parent / "KERNELS_SHIPPED"
"""Present in a function package: its kernels are cached beside the code, numba's own default
place (``__pycache__``), which numba uses when the folder is writable."""


def ships_its_cache() -> bool:
    return SHIPPED_MARK.is_file() and os.access(SHIPPED_MARK.parent, os.W_OK)


def use_writable_cache() -> None:
    """Point numba at a writable cache folder unless the environment already names one or the
    package ships its kernels."""
    if "NUMBA_CACHE_DIR" not in os.environ and not ships_its_cache():
        os.environ["NUMBA_CACHE_DIR"] = str(_default_cache_dir())
