"""``python -m chainprice.nodesim``: see ``nodesim.cli``."""

from chainprice.nodesim.cli import main

main()
