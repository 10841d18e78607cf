"""Bad input to ``chainprice`` ends in one line naming the problem and exit code 2.

No traceback, no hang, and never a silent exit 0 that prices something else.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import GOLDEN

from chainprice.cli.main import main
from chainprice.cli.render import text

CHAIN = str(GOLDEN / "g2_97k")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``chainprice argv`` in this process: (exit code, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse refusing an option
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("", "--node is empty"),
        ("http://127.0.0.1:notaport", "notaport"),
        ("http://127.0.0.1:99999", "99999"),
        ("http://[::1", "http://[::1"),
        ("http://127.0.0.1:8332 ", "spaces"),
        ("ftp://127.0.0.1:8332", "http(s)://host:port"),
    ],
)
def test_a_node_url_that_cannot_work_is_refused(capsys, url, named) -> None:
    code, out, err = run(capsys, "price", "--node", url)
    assert code == 2 and out == ""
    assert named in one_error_line(err)


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--timeout", "inf", "at most 86400"),
        ("--timeout", "nan", "at most 86400"),
        ("--timeout", "-1", "above 0"),
        ("--timeout", "soon", "not a number"),
        ("--workers", "1e20", "from 1 to 64"),
        ("--workers", "100000", "from 1 to 64"),
        ("--workers", "0", "from 1 to 64"),
        ("--retries", "-1", "from 0 to 100"),
        ("--recent", "100000", "from 1 to 289"),
        ("--recent", "0", "from 1 to 289"),
    ],
)
def test_out_of_bound_numbers_name_the_bound(capsys, option, value, named) -> None:
    code, out, err = run(capsys, "price", "--node", "http://127.0.0.1:1", option, value)
    assert code == 2 and out == ""
    line = one_error_line(err)
    assert option in line and named in line


@pytest.mark.parametrize("option", ["--rpc-cookie", "--ca-bundle", "--rpc-password-file"])
def test_a_file_option_naming_no_file_is_refused_naming_it(capsys, option) -> None:
    code, out, err = run(capsys, "price", "--node", "http://127.0.0.1:1", option, "/nonexistent/f")
    assert code == 2 and out == ""
    line = one_error_line(err)
    assert option in line and "/nonexistent/f" in line


def test_a_malformed_header_does_not_echo_its_value(capsys) -> None:
    code, _, err = run(capsys, "price", "--node", "http://127.0.0.1:1", "--header", "token s3cr3t")
    assert code == 2
    line = one_error_line(err)
    assert "--header" in line and "s3cr3t" not in err


def test_a_url_with_credentials_is_shown_without_them(capsys) -> None:
    code, _, err = run(capsys, "price", "--node", "http://user:pw99@127.0.0.1:notaport")
    assert code == 2
    assert "pw99" not in err and "user" not in err and "notaport" in one_error_line(err)


def test_a_file_given_as_block_folder_is_not_a_folder(capsys, tmp_path) -> None:
    not_folder = tmp_path / "passwd"
    not_folder.write_text("root:x:0:0")
    code, _, err = run(capsys, "price", "--chain", str(not_folder))
    assert code == 2 and f"{not_folder} is not a folder" in one_error_line(err)
    code, _, err = run(capsys, "price", "--chain", str(tmp_path / "none"))
    assert code == 2 and "does not exist" in one_error_line(err)


@pytest.mark.parametrize("n", [1, 200])
def test_recent_windows_are_labelled_with_their_size(capsys, n) -> None:
    code, out, err = run(capsys, "price", "--chain", CHAIN, "--recent", str(n))
    if code == 0:
        assert f"latest {n} block" in out and "latest 144 blocks" not in out
    else:  # one block may hold too few amounts for a price: still one clear line
        assert code == 2 and "Traceback" not in err
        one_error_line(err)


def test_version_flag(capsys) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and re.fullmatch(r"chainprice \S+\n", out)


def test_canonical_window_with_the_same_price_is_not_said_to_differ() -> None:
    from dataclasses import replace

    from chainprice.adapters.block_files import BlockFiles
    from chainprice.core import price_day

    chain = BlockFiles(CHAIN)
    day = price_day(chain, chain.fetch, __import__("datetime").date(2024, 12, 5))
    assert day.canonical is not None  # the golden day's windows differ by two blocks
    same = replace(day, canonical=replace(day.canonical, price=day.price))
    assert "same price" in text(same) and "another price" not in text(same)
    assert "differ" not in text(same)
    assert "another price" in text(day) or day.canonical.price == day.price


def test_price_json_on_the_built_in_simulated_chain() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "chainprice.cli.main", "price", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert isinstance(result["price"], float) and isinstance(result["rough_price"], int)
