"""The public API's signatures, checked against tests/data/public_api.txt, so that changing them
is a deliberate, visible change: regenerate the list with

    uv run --no-sync python tests/test_public_api.py --write

and commit it with the change (and say so in the README's Python API section)."""

from __future__ import annotations

import dataclasses
import inspect
import json
import sys
from pathlib import Path

import chainprice

LISTING = Path(__file__).parent / "data" / "public_api.txt"
REGENERATE = "uv run --no-sync python tests/test_public_api.py --write"


def _members(cls: type) -> list[str]:
    lines = []
    if dataclasses.is_dataclass(cls):
        lines += [f"    field {f.name}: {f.type}" for f in dataclasses.fields(cls)]
    for name, member in sorted(vars(cls).items()):
        if name.startswith("_") and name != "__init__":
            continue
        if isinstance(member, property):
            hint = inspect.signature(member.fget).return_annotation
            lines.append(f"    property {name} -> {hint}")
        elif isinstance(member, classmethod | staticmethod):
            lines.append(f"    {type(member).__name__} {name}{inspect.signature(member.__func__)}")
        elif inspect.isfunction(member):
            lines.append(f"    def {name}{inspect.signature(member)}")
    return lines


def listing() -> str:
    """One line per public name (and per field, method and property of a public class)."""
    lines = []
    for name in sorted(chainprice.__all__):
        value = getattr(chainprice, name)
        if inspect.isclass(value):
            bases = ", ".join(b.__name__ for b in value.__bases__)
            lines.append(f"class {name}({bases})")
            lines += _members(value)
        else:
            lines.append(f"def {name}{inspect.signature(value)}")
    return "\n".join(lines) + "\n"


def test_the_public_api_is_the_committed_one() -> None:
    assert listing() == LISTING.read_text(), (
        f"the public API of `import chainprice` changed. If that is deliberate, regenerate "
        f"{LISTING.relative_to(Path.cwd()) if LISTING.is_relative_to(Path.cwd()) else LISTING} "
        f"with `{REGENERATE}` and commit it with the change; otherwise put the signatures back."
    )


def test_the_committed_result_fields_are_the_keys_of_price_json(capsys) -> None:
    from conftest import GOLDEN, expected

    from chainprice.cli.main import main

    name, chain = next(iter(expected()["chains"].items()))
    day = chain["days"][0]["date"]
    assert main(["price", "--chain", str(GOLDEN / name), "--date", day, "--json"]) == 0
    keys = list(json.loads(capsys.readouterr().out))
    block = LISTING.read_text().split("class Price(", 1)[1].split("\nclass ", 1)[0]
    fields = [line.split()[1].rstrip(":") for line in block.splitlines() if " field " in line]
    assert fields == keys == [f.name for f in dataclasses.fields(chainprice.Price)]


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(f"usage: {REGENERATE}")
    LISTING.write_text(listing())
    print(f"wrote {LISTING} ({len(listing().splitlines())} lines)")
