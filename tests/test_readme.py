"""The README's table docs are the schemas' own: regenerate them when a schema changes."""

from __future__ import annotations

from pathlib import Path

from chainprice import lake_schema


def test_readme_documents_every_table_as_the_schemas_do() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert lake_schema.describe().strip() in readme


ROOT = Path(__file__).resolve().parent.parent


def _readme_commands(contains: str) -> list[str]:
    """The README's example lines (``uv run chainprice ...``) holding ``contains``."""
    lines = (ROOT / "README.md").read_text().splitlines()
    return [
        line.strip().removesuffix("&").strip()  # a server started in the background
        for line in lines
        if line.startswith("uv run chainprice") and contains in line
    ]


def test_readme_offline_price_examples_run_as_written() -> None:
    import shlex
    import subprocess

    commands = _readme_commands("price --chain") + _readme_commands("chainprice --version")
    commands += [c for c in _readme_commands("price") if c == "uv run chainprice price"]
    assert len(commands) >= 2
    for command in commands:
        out = subprocess.run(
            shlex.split(command.split("#")[0]),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, (command, out.stderr)
        assert out.stdout.strip(), command


def test_readme_node_sim_examples_start_as_written() -> None:
    import shlex
    import signal
    import subprocess

    commands = [c for c in _readme_commands("node-sim") if "--preset full" not in c]
    assert commands
    for command in commands:
        process = subprocess.Popen(
            shlex.split(command),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            ready = process.stdout.readline()
            assert ready.startswith("nodesim ready"), process.stderr.read()
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
        assert process.returncode == 0


def _python_api_blocks() -> list[str]:
    """The ```python blocks of the README's Python API section, in order."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    return [part.split("```", 1)[0] for part in section.split("```python\n")[1:]]


def test_readme_python_api_examples_run_offline_and_compile(monkeypatch) -> None:
    offline, *others = _python_api_blocks()
    assert others, "the section shows the node and lake example too"
    monkeypatch.chdir(ROOT)
    exec(compile(offline, "README.md (Python API)", "exec"), {})
    for block in others:  # they need a real node and bucket: checked to be valid Python
        compile(block, "README.md (Python API)", "exec")
