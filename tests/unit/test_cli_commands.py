"""`main` imports only the module of the command that runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from composer.cli import COMMANDS, command_name, import_commands
from composer.cli.app import app


def test_the_table_names_every_command_and_its_module() -> None:
    import_commands()
    found = {
        info.name: info.callback.__module__
        for info in app.registered_commands
        if info.callback is not None and info.name
    }
    for group in app.registered_groups:
        sub = group.typer_instance
        assert sub is not None and sub.registered_commands[0].callback is not None
        found[str(sub.info.name)] = sub.registered_commands[0].callback.__module__
    assert found == {name: f"composer.cli.{m}" for name, m in COMMANDS.items()}


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["up", "-d"], "up"),
        (["-p", "up", "config", "-q"], "config"),
        (["--project-name=x", "-f", "a.yml", "--file", "b.yml", "diff"], "diff"),
        (["--progress", "quiet", "--parallel", "3", "down"], "down"),
        (["--help"], None),
        (["-v"], None),
        (["--nope", "up"], None),
        (["upp"], None),
        ([], None),
        (["-f"], None),
    ],
)
def test_the_command_is_read_past_the_global_options(
    argv: list[str], name: str | None
) -> None:
    assert command_name(argv) == name


def test_up_imports_neither_the_other_commands_nor_rich() -> None:
    code = (
        "import sys\n"
        "from composer.cli import command_name, import_commands\n"
        "import_commands(command_name(['-p', 'x', 'up']))\n"
        "print(sorted(m for m in sys.modules if m.endswith(('_cmds', '_cmd'))),"
        " 'rich' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    modules = "['composer.cli.image_cmds', 'composer.cli.reconcile_cmds', "
    assert out.stdout == modules + "'composer.cli.watch_cmds'] False\n"


def test_help_lists_every_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "composer", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    for name in COMMANDS:
        assert f" {name} " in out.stdout
