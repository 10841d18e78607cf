"""The home deployment's systemd units: ``systemd-analyze verify`` accepts them, every command
and flag they run is the real CLI's, every variable they set is one the jobs read, each service
is hardened, and the install step leaves the environment file at mode 0600."""

from __future__ import annotations

import configparser
import datetime as dt
import inspect
import itertools
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chainprice.cli.main import _parser

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "deploy" / "systemd"
INSTALLED = "/opt/chainprice/.venv/bin/chainprice"
SERVICES = sorted(UNITS.glob("*.service"))
LAKE = "/var/lib/chainprice/lake"


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read(path)
    return parser


def env_template() -> dict[str, str]:
    """Every variable the template names, set or commented out (``#NAME=``)."""
    found = {}
    for line in (UNITS / "chainprice.env").read_text().splitlines():
        match = re.fullmatch(r"#?([A-Z][A-Z0-9_]*)=(.*)", line)
        if match:
            found[match[1]] = match[2]
    return found


def test_systemd_analyze_verify_accepts_every_unit(tmp_path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: apt-get install systemd (as .ci/run does)"
    chainprice = Path(sys.executable).with_name("chainprice")
    for path in UNITS.glob("chainprice-*.*"):
        text = path.read_text().replace(INSTALLED, str(chainprice))  # installed elsewhere here
        (tmp_path / path.name).write_text(text)
    units = sorted(str(p) for p in tmp_path.iterdir())
    done = subprocess.run([analyze, "verify", *units], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert len(units) == 6


def _subcommand(argv: list[str]):
    """The CLI's (sub)parser ``argv`` names, and the options after the command words."""
    parser, words = _parser(), list(argv)
    while words and not words[0].startswith("-"):
        choices = {
            name: sub
            for action in parser._actions
            if action.__class__.__name__ == "_SubParsersAction"
            for name, sub in action.choices.items()
        }
        assert words[0] in choices, f"chainprice has no command {words[0]!r}: {argv}"
        parser = choices[words.pop(0)]
    return parser, words


def exec_lines() -> list[tuple[str, list[str]]]:
    found = []
    for path in SERVICES:
        for key, value in unit(path)["Service"].items():
            if key.startswith("Exec"):
                found.append((path.name, shlex.split(value)))
    return found


@pytest.mark.parametrize(("name", "argv"), exec_lines())
def test_every_command_and_flag_is_the_real_clis(name, argv) -> None:
    assert argv[0] == INSTALLED, name
    parser, options = _subcommand(argv[1:])
    given = set()
    while options:
        flag = options.pop(0)
        assert flag in parser._option_string_actions, f"{name}: no option {flag} in {argv}"
        action = parser._option_string_actions[flag]
        given.add(action.dest)
        if action.nargs != 0:
            value = options.pop(0)
            if action.choices is not None:
                assert value in action.choices, f"{name}: {flag} {value}"
            if action.type is not None and flag not in ("--site", "--textfile"):
                action.type(value)  # refuses a bad number or log format
    variables = env_template()
    for action in parser._actions:
        if action.required and action.dest not in given:  # e.g. --lake: $CHAINPRICE_LAKE_URL
            named = re.search(r"\$(CHAINPRICE_[A-Z_]+)", action.help or "")
            assert named and named[1] in variables, f"{name}: {action.dest} is never given"


def _read_by_the_jobs() -> set[str]:
    source = (ROOT / "chainprice" / "jobs" / "settings.py").read_text()
    names = re.findall(r'read\.(?:text|required|parsed)\(\s*"([A-Z_]+)"', source)
    return {"CHAINPRICE_" + n for n in names}


def test_every_variable_they_set_is_read() -> None:
    import numba.core.config

    read = _read_by_the_jobs()
    assert {"CHAINPRICE_LAKE_URL", "CHAINPRICE_ALERT_WEBHOOK_URL", "CHAINPRICE_LOG_FORMAT"} <= read
    variables = set(env_template())
    for path in SERVICES:
        for line in unit(path)["Service"].get("Environment", "").split():
            variables.add(line.partition("=")[0])
    for variable in sorted(variables):
        if variable.startswith("NUMBA_"):
            assert variable in inspect.getsource(numba.core.config), variable
        else:
            assert variable in read, f"{variable} is read by nothing"
    assert env_template()["CHAINPRICE_LAKE_URL"] == LAKE


HARDENING = {
    "User": "chainprice",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "CapabilityBoundingSet": "",
    "RestrictSUIDSGID": "yes",
    "EnvironmentFile": "/etc/chainprice/chainprice.env",
}
WRITABLE = {
    "chainprice-ingest.service": LAKE,
    "chainprice-mempool.service": LAKE,
    "chainprice-metrics.service": "/var/lib/chainprice/metrics",
    "chainprice-site.service": None,
}


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_each_service_is_hardened_and_writes_one_folder(path) -> None:
    service = unit(path)["Service"]
    assert {k: service.get(k) for k in HARDENING} == HARDENING
    assert service.get("ReadWritePaths") == WRITABLE[path.name]


def test_the_schedules() -> None:
    timer = unit(UNITS / "chainprice-ingest.timer")["Timer"]
    assert timer["RandomizedDelaySec"] and timer["Persistent"] == "true"
    done = subprocess.run(
        ["systemd-analyze", "calendar", "--iterations=3", timer["OnCalendar"]],
        capture_output=True,
        text=True,
        check=True,
        env={"TZ": "UTC"},
    )
    stamps = re.findall(r"(?:Next elapse|Iter\. #\d): \w{3} (\S+ \S+) UTC", done.stdout)
    times = [dt.datetime.fromisoformat(s) for s in stamps]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps == [dt.timedelta(minutes=10)] * 2, done.stdout
    ingest = unit(UNITS / "chainprice-ingest.service")["Unit"]
    assert ingest["OnSuccess"] == ingest["OnFailure"] == "chainprice-metrics.service"
    mempool = unit(UNITS / "chainprice-mempool.service")["Service"]
    assert "--watch" in mempool["ExecStart"] and mempool["Restart"] == "on-failure"


def test_the_install_step_leaves_the_environment_file_private(tmp_path) -> None:
    subprocess.run(["sh", str(UNITS / "install.sh")], env={"DESTDIR": str(tmp_path)}, check=True)
    env_file = tmp_path / "etc" / "chainprice" / "chainprice.env"
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert env_file.parent.stat().st_mode & 0o777 == 0o700
    units = sorted(p.name for p in (tmp_path / "etc" / "systemd" / "system").iterdir())
    assert units == sorted(p.name for p in UNITS.glob("chainprice-*.*"))
    env_file.write_text("CHAINPRICE_LAKE_URL=/srv/lake\n")  # the operator's own settings
    env_file.chmod(0o644)
    subprocess.run(["sh", str(UNITS / "install.sh")], env={"DESTDIR": str(tmp_path)}, check=True)
    assert env_file.read_text() == "CHAINPRICE_LAKE_URL=/srv/lake\n"  # kept, made private again
    assert env_file.stat().st_mode & 0o777 == 0o600
