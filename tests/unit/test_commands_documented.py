"""Every command is listed by `composer --help` and in the README (issue 9)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click

from composer.cli import import_commands
from composer.cli.app import app
from composer.cli.lazy import lazy_group

README = Path(__file__).resolve().parents[2] / "README.md"


def _commands() -> list[str]:
    import_commands()
    group = lazy_group(app)
    return group.list_commands(click.Context(group))


def _readme_commands() -> set[str]:
    """The command words in the first column of the README's tables."""
    found: set[str] = set()
    for line in README.read_text().splitlines():
        if not line.startswith("| `composer "):
            continue
        cell = line.split("|")[1]
        for code in re.findall(r"`([^`]+)`", cell):
            words = code.removeprefix("composer ").split()
            if words and re.fullmatch(r"[a-z]+", words[0]):
                found.add(words[0])
    return found


def test_every_command_is_in_help_and_readme() -> None:
    names = _commands()
    assert {"build", "pull", "push", "images", "exec", "run", "cp"} <= set(names)
    # The help a user sees: the real entry point, which imports modules lazily.
    shown = subprocess.run(
        [sys.executable, "-m", "composer", "--help"],
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    missing_help = [n for n in names if not re.search(rf"│ {n}\s", shown.stdout)]
    assert not missing_help, shown.stdout
    missing_readme = sorted(set(names) - _readme_commands())
    assert not missing_readme, f"not in the README's command tables: {missing_readme}"
