"""The GitOps recipes parse as YAML and every composer command in them exists
with the options they use (checked through ``composer CMD --help``)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from composer.cli import import_commands
from composer.cli.app import app

import_commands()  # every command on app, as the CLI has them

ROOT = Path(__file__).resolve().parents[2]
#: Every YAML file of the recipes (a new one is checked too) and the hook.
_FOUND = {
    p
    for suffix in ("yml", "yaml")
    for p in (ROOT / "examples" / "gitops").rglob(f"*.{suffix}")
}
RECIPES = [*sorted(_FOUND), ROOT / ".pre-commit-hooks.yaml"]
_SHELL_END = {"|", "||", "&&", ";", ">", ">>", "2>", "<"}


#: Keys whose values are shell commands (GitHub, GitLab, pre-commit).
_SHELL_KEYS = {"run", "script", "before_script", "after_script", "entry"}


def _strings(node: Any, shell: bool = False) -> Iterator[str]:
    if isinstance(node, str) and shell:
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, key in _SHELL_KEYS)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, shell)


def commands(path: Path) -> list[list[str]]:
    """Every ``composer ...`` command line in a YAML file, as words."""
    found: list[list[str]] = []
    for text in _strings(yaml.safe_load(path.read_text())):
        for line in text.splitlines():
            for match in re.finditer(r"(?:^|[;&|(])\s*composer\s+[^|;&>\n]*", line):
                words = shlex.split(match.group(0).strip(" ;&|("))
                cut = next(
                    (i for i, w in enumerate(words) if w in _SHELL_END), len(words)
                )
                found.append(words[:cut])
    return found


def test_both_ci_recipes_are_found() -> None:
    names = {p.name for p in RECIPES}
    assert {"composer.yml", ".gitlab-ci.yml", ".pre-commit-hooks.yaml"} <= names


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_recipe_parses_and_uses_composer(path: Path) -> None:
    assert yaml.safe_load(path.read_text())
    assert commands(path), f"no composer command in {path}"


def _help(command: str) -> str:
    result = CliRunner().invoke(app, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0, f"composer {command} does not exist"
    return result.output


@pytest.mark.parametrize(
    "words",
    [w for p in RECIPES for w in commands(p)],
    ids=lambda w: " ".join(w),
)
def test_every_command_and_option_exists(words: list[str]) -> None:
    assert words[0] == "composer"
    command = words[1]
    text = _help(command)
    for word in words[2:]:
        if word.startswith("-"):
            option = word.split("=", 1)[0]
            assert re.search(rf"(^|[\s,]){re.escape(option)}\b", text), (
                f"composer {command} has no option {option}"
            )


def test_the_check_finds_a_missing_option() -> None:
    assert "--no-such-option" not in _help("plan")
    with pytest.raises(AssertionError):
        test_every_command_and_option_exists(["composer", "plan", "--no-such-option"])
