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


def _options(command: click.Command, path: str) -> list[tuple[str, click.Option]]:
    found = [
        (path, p)
        for p in command.params
        if isinstance(p, click.Option) and not p.hidden
    ]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None
            found += _options(sub, f"{path} {name}".strip())
    return found


def test_every_option_has_help_text() -> None:
    import_commands()
    bare = [
        f"{path} {option.opts[-1]}"
        for path, option in _options(lazy_group(app), "")
        if not (option.help or "").strip()
    ]
    assert not bare


def test_down_volumes_help_agrees_with_the_readme() -> None:
    import_commands()
    group = lazy_group(app)
    down = group.get_command(click.Context(group), "down")
    assert down is not None
    (option,) = [p for p in down.params if "--volumes" in p.opts]
    assert isinstance(option, click.Option)
    assert "named and anonymous volumes" in (option.help or "")
    row = next(r for r in README.read_text().splitlines() if "| `composer down`" in r)
    assert "named and anonymous volumes" in row


ROOT = README.parents[0]


def test_the_readme_lists_every_image_build_images_makes() -> None:
    script = (ROOT / "scripts" / "build-images").read_text()
    built = set(re.findall(r'"(composer-test/[a-z0-9.-]+:[a-z0-9.$_{}-]+)"', script))
    built = {b for b in built if "$" not in b}
    assert "composer-test/postgres-dotnet-app:local" in built
    section = README.read_text().split("### Local images", 1)[1].split("\n### ")[0]
    missing = sorted(b for b in built if f"`{b}`" not in section)
    assert not missing


def test_the_user_docs_show_no_internal_todo() -> None:
    for doc in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        assert "TODO(" not in doc.read_text(), doc.name


def test_prune_examples_use_the_project_name_as_the_label_value() -> None:
    checked = 0
    for doc in [README, ROOT / "docs" / "kubernetes.md"]:
        text = doc.read_text().replace("\\\n", " ")
        for line in text.splitlines():
            label = re.search(r"app\.kubernetes\.io/part-of=([\w-]+)", line)
            if not label or "composer " not in line:
                continue
            project = re.search(r"composer (?:-p|--project-name) ([\w-]+)", line)
            assert project, line
            assert project.group(1) == label.group(1), line
            checked += 1
    assert checked >= 2
