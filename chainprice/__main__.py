"""``python -m chainprice``: the ``chainprice`` command, for environments without its script on
the PATH (a notebook's kernel, a virtual environment that is not activated)."""

from chainprice.cli.main import entry

entry()
