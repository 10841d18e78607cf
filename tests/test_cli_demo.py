"""``chainprice demo`` twice into one lake: the second ingests nothing and says what it reads."""

from __future__ import annotations

import re

from chainprice.cli.main import main


def test_second_demo_ingests_no_block_and_says_what_the_comparison_fetches(
    capsys, tmp_path
) -> None:
    lake = str(tmp_path / "lake")
    assert main(["demo", "--lake", lake]) == 0
    first = capsys.readouterr().out
    assert main(["demo", "--lake", lake]) == 0
    second = capsys.readouterr().out
    assert re.search(r"ingested [1-9]\d* blocks", first)
    assert "ingested 0 blocks" in second
    line = next(x for x in second.splitlines() if "from node" in x)
    assert "the same as the lake's: True" in line
    assert re.search(r"fetched again for this comparison only, [1-9]\d* requests", line)
