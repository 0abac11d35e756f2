"""A wrong command line is a usage error (exit 64), found before any engine call."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from composer.cli import main
from composer.cli.options import check_signal, check_tail
from composer.engine import client
from composer.errors import ConfigError, ExitCode
from composer.graph import GraphOptions, build_desired
from composer.spec import load_project
from composer.spec.project import LoadOptions

COMPOSE = """\
services:
  a:
    image: busybox:local
  b:
    image: busybox:local
    container_name: fixed
"""


class EngineTouched(Exception):
    """Raised when a command under test connects to the engine."""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    monkeypatch.chdir(tmp_path)

    def refuse(*_: object, **__: object) -> None:
        raise EngineTouched

    monkeypatch.setattr(client.Engine, "__init__", refuse)
    return tmp_path


def run(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.setattr(sys, "argv", ["composer", *argv])
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    return code if isinstance(code, int) else 1


@pytest.mark.parametrize(
    "argv",
    [
        ("down", "--rmi", "bogus"),
        ("kill", "-s", "NOPE"),
        ("kill", "--signal", "99999"),
        ("--progress", "fancy", "up"),
        ("--progress", "fancy", "up", "-d"),
        ("--progress", "fancy", "ps"),
        ("logs", "--tail", "abc"),
        ("restart", "-t", "-3"),
        ("stop", "-t", "-3"),
        ("up", "--pull", "sometimes"),
        ("up", "--scale", "b=x"),
        ("up", "--scale", "=2"),
        ("build", "--build-arg", "=x"),
        ("ps", "--format", "bogus"),
        ("images", "--format", "bogus"),
        ("diff", "--format", "bogus"),
        ("up", "--wait-timeout", "-1"),
        ("--parallel", "0", "up"),
        ("--parallel", "-1", "ps"),
        ("exec", "--index", "0", "a", "sh"),
        ("up", "--target", "bogus"),
    ],
)
def test_a_bad_option_value_is_refused_before_the_engine_is_used(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
) -> None:
    assert run(monkeypatch, *argv) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "C1" not in err and "compose.yaml" not in err
    assert err.strip()


@pytest.mark.parametrize(
    "argv",
    [
        ("exec", "nosuch", "sh"),
        ("run", "nosuch"),
        ("logs", "nosuch"),
        ("kill", "nosuch"),
        ("build", "nosuch"),
        ("up", "nosuch"),
        ("up", "-d", "nosuch"),
        ("start", "a", "nosuch"),
        ("config", "nosuch"),
        ("up", "--scale", "nosuch=2"),
        ("diff", "--scale", "nosuch=2"),
    ],
)
def test_an_unknown_service_is_a_usage_error_not_a_file_error(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
) -> None:
    assert run(monkeypatch, *argv) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "no such service: nosuch (known services: a, b)" in err
    assert "compose.yaml" not in err and "C180" not in err


def test_a_good_option_value_reaches_the_engine(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The checks above pass because of validation, not because nothing runs.
    with pytest.raises(EngineTouched):
        run(monkeypatch, "down", "--rmi", "local")
    with pytest.raises(EngineTouched):
        run(monkeypatch, "kill", "-s", "TERM", "a")


@pytest.mark.parametrize("value", ["SIGKILL", "KILL", "term", "SIGUSR1", "9", "15"])
def test_signal_names_and_numbers_are_accepted(value: str) -> None:
    assert check_signal(value) == value


@pytest.mark.parametrize("value", ["all", "0", "25"])
def test_tail_accepts_all_and_numbers(value: str) -> None:
    assert check_tail(value) == value


def test_scaling_a_service_with_container_name_points_at_that_key(
    project: Path,
) -> None:
    loaded = load_project(LoadOptions(cwd=str(project)))
    with pytest.raises(ConfigError) as raised:
        build_desired(loaded, GraphOptions(scale={"b": 2}))
    assert f"{project / 'compose.yaml'}:6:5:" in raised.value.render()
    assert "<input>" not in raised.value.render()


@pytest.mark.parametrize(
    "argv", [("diff", "--exit-code", "--bogus"), ("up", "-d", "--nope"), ("nosuch",)]
)
def test_a_usage_error_is_never_read_as_changes_pending(
    project: Path, monkeypatch: pytest.MonkeyPatch, argv: tuple[str, ...]
) -> None:
    """click's own usage errors exit 64 too, never 2 (``diff --exit-code``)."""
    assert run(monkeypatch, *argv) == ExitCode.USAGE != ExitCode.CHANGES
