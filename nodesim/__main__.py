"""``python -m nodesim``: see ``nodesim.cli``."""

from nodesim.cli import main

main()
