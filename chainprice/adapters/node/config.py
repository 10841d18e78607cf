"""How to reach a node: credentials, tunnel headers, patience and parallelism."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from chainprice.adapters.node.errors import ConfigError


@dataclass(frozen=True)
class NodeConfig:
    """Settings shared by every node client and the price API client.

    ``rpc_cookie`` (Bitcoin Core's ``.cookie`` file) wins over ``rpc_user`` /
    ``rpc_password`` because the node rewrites it at each start. ``headers``
    are sent with every request (a tunnel's service token, for example).
    ``tls_verify`` is ``True``, ``False`` or the path of a CA bundle (the
    environment's ``REQUESTS_CA_BUNDLE`` is not read; proxies from the
    environment are honoured).
    ``retries`` is how many times a failed request is repeated, waiting a random
    time up to ``min(backoff_max, backoff_base * 2**attempt)`` seconds (full jitter).
    ``workers`` is the number of parallel connections; ``batch_size`` the number
    of calls in one JSON-RPC batch.
    """

    rpc_user: str | None = None
    rpc_password: str | None = None
    rpc_cookie: Path | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 60.0
    connect_timeout: float = 10.0
    """Seconds to wait for a connection (at most ``timeout``). A server whose accept
    queue is full drops the handshake silently and the kernel resends it only after
    1, 3, 7, 15 and 31 s: a fresh attempt beats waiting out the whole ``timeout``."""
    retries: int = 5
    backoff_base: float = 0.25
    backoff_max: float = 10.0
    tls_verify: bool | str = True
    workers: int = 8
    batch_size: int = 1000

    def __post_init__(self) -> None:
        checks = {
            "timeout must be above 0 seconds": self.timeout > 0,
            "connect_timeout must be above 0 seconds": self.connect_timeout > 0,
            "retries must be 0 or more": self.retries >= 0,
            "backoff_base and backoff_max must be 0 or more": min(
                self.backoff_base, self.backoff_max
            )
            >= 0,
            "workers must be 1 or more": self.workers >= 1,
            "batch_size must be 1 or more": self.batch_size >= 1,
        }
        for message, ok in checks.items():
            if not ok:
                raise ConfigError(f"node settings: {message}")
        if isinstance(self.tls_verify, str) and not Path(self.tls_verify).is_file():
            raise ConfigError(f"node settings: the CA bundle {self.tls_verify} is not a file")
