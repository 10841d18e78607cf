"""Does the node's chain continue the lake's? Unwind only on evidence, refuse what looks wrong.

A node that is behind the lake (re-syncing, restored from a backup) is not a
reorg: there is nothing to do until it catches up. A fork is the node's hash
differing from the lake's at the same height while the node is not behind;
one deeper than ``max_depth`` blocks, reaching below the lake's first block,
or a node of another network (its chain name or genesis hash differ from
the ones the lake recorded) is refused with nothing changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from chainprice.core.errors import SourceError
from chainprice.lake.manifest import Manifest
from chainprice.lake.reader import LakeBlocks

MAX_REORG_DEPTH = 12


class ChainRefused(SourceError):
    """The node's chain is not one the lake can follow (other network, deep or old fork)."""


class HashSource(Protocol):
    def block_count(self) -> int: ...
    def block_hash(self, height: int) -> str: ...


@dataclass(frozen=True)
class ChainVerdict:
    node_tip: int
    behind: bool = False
    """The node's tip is below the lake's: nothing to do yet."""
    fork: int | None = None
    """First lake height the node's best chain replaced (unwind from there)."""


def network_of(node: object) -> dict[str, Any]:
    """The node's chain name and genesis hash, where its client can tell them."""
    network = getattr(node, "network", None)
    return network() if callable(network) else {}


def check_network(manifest: Manifest, network: dict[str, Any], url: str) -> None:
    for key, what in (("chain", "network"), ("genesis_hash", "genesis block")):
        ours, theirs = manifest.network.get(key), network.get(key)
        if ours and theirs and ours != theirs:
            raise ChainRefused(
                f"the node is on another {what} ({theirs}) than the lake at {url} ({ours}); "
                "point it at a node of the lake's network, or use another lake"
            )


def judge(lake: LakeBlocks, node: HashSource, max_depth: int = MAX_REORG_DEPTH) -> ChainVerdict:
    """What the node's chain means for the lake (raises ``ChainRefused`` when it must not move)."""
    manifest = lake.manifest
    node_tip = node.block_count()
    tip, first = manifest.tip_height, manifest.first_height
    if tip is None or first is None:
        return ChainVerdict(node_tip)
    check_network(manifest, network_of(node), lake.store.url)
    if node_tip < tip:
        return ChainVerdict(node_tip, behind=True)
    if node.block_hash(tip) == manifest.tip_hash:
        return ChainVerdict(node_tip)
    floor = max(first, tip - max_depth)
    height = tip - 1
    while height >= floor and node.block_hash(height) != lake.block_hash(height):
        height -= 1
    if height < first:
        raise ChainRefused(
            f"the node's chain shares no block with the lake at {lake.store.url} from its first "
            f"block {first} to its tip {tip} (another chain?); nothing was changed"
        )
    if height < floor:
        raise ChainRefused(
            f"the node's chain forks from the lake's below height {floor + 1}, more than "
            f"{max_depth} blocks under the lake's tip {tip}; nothing was changed (if the node is "
            "right, raise --max-reorg-depth)"
        )
    return ChainVerdict(node_tip, fork=height + 1)
