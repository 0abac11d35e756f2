"""The plain lines a no-op `up` prints without loading rich."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from composer.cli.text import container_lines, plain_stream, write_lines
from composer.engine.observe import ObservedContainer

CONTAINERS = [
    ObservedContainer("2", "p-web-1", "web", 1, "running", "i", health="healthy"),
    ObservedContainer("1", "p-database-1", "database", 1, "exited", "i"),
]
LINES = [
    "  container p-database-1  service database  Exited",
    "  container p-web-1       service web       Running (healthy)",
]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_containers_are_sorted_and_aligned() -> None:
    assert container_lines(CONTAINERS) == LINES
    assert container_lines([]) == []


def test_only_an_unforced_non_terminal_is_written_plainly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    assert plain_stream(io.StringIO())
    assert not plain_stream(_Tty())
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert not plain_stream(io.StringIO())


def test_rich_prints_the_same_text_where_it_is_used(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Markup-like text stays literal whichever way the lines are printed."""
    lines = ["project p: no changes", "  [red]not markup[/]"]
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    write_lines(lines)
    plain = capsys.readouterr().out
    monkeypatch.setenv("TTY_COMPATIBLE", "0")  # rich prints, without colour
    write_lines(lines)
    assert capsys.readouterr().out == plain == "".join(f"{x}\n" for x in lines)


def test_the_plain_path_does_not_import_rich() -> None:
    code = (
        "import sys, io; sys.stdout = io.StringIO()\n"
        "from composer.cli.text import write_lines\n"
        "write_lines(['x'])\n"
        "sys.__stdout__.write(str('rich' in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout == "False"
