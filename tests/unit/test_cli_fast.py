"""The quick path reads `up` and `config -q` exactly as typer does, or declines."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from typer.testing import CliRunner

import composer.cli.reconcile_cmds as reconcile_cmds
import composer.cli.up_flow as up_flow
from composer.cli import import_commands
from composer.cli.app import app
from composer.cli.fast import fast_call
from composer.plan.images import BuildMode

ACCEPTED = [
    ["up"],
    ["up", "-d"],
    ["-p", "shop", "up", "-d", "web", "db"],
    ["--project-name=shop", "--progress", "quiet", "up", "--detach"],
    ["-f", "a.yml", "--file", "b.yml", "--file=c.yml", "up", "web"],
    ["--env-file", "x.env", "--profile", "dev", "--profile=ops", "up"],
    ["--project-directory", "/srv", "--parallel", "3", "--parallel=7", "up"],
    ["-f", "-", "-p", "a", "-p", "b", "up", "-d", "-d"],
]
DECLINED = [
    [],
    ["--help"],
    ["-v", "up"],
    ["diff"],
    ["up", "--wait"],
    ["up", "-t", "0"],
    ["up", "--", "web"],
    ["-fa.yml", "up"],
    ["-p=shop", "up"],
    ["--parallel", "x", "up"],
    ["--parallel", "²", "up"],
    ["--parallel", "0", "up"],
    ["--progress", "fancy", "up"],
    ["-p"],
    ["-p", "shop"],
    ["--nope", "up"],
    ["up", "-p", "shop"],
    ["config"],
    ["config", "--format", "json", "-q"],
    ["config", "-q", "--services"],
    ["config", "-d"],
    ["up", "-q"],
]
CONFIG = [
    ["config", "-q"],
    ["-p", "shop", "config", "--quiet", "web", "-q"],
    ["-f", "a.yml", "--env-file=x.env", "--profile", "dev", "config", "-q", "db"],
]


def _recorded(monkeypatch: pytest.MonkeyPatch, module: Any) -> list[Any]:
    calls: list[Any] = []

    def record(opts: Any, request: Any) -> bool:
        calls.append((opts, request))
        return False

    monkeypatch.setattr(module, "run_up", record)
    return calls


@pytest.mark.parametrize("argv", ACCEPTED)
def test_the_quick_path_reads_what_typer_reads(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    quick = _recorded(monkeypatch, up_flow)
    run = fast_call(argv)
    assert run is not None
    run()
    import_commands("up")
    typed = _recorded(monkeypatch, reconcile_cmds)
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    (quick_opts, quick_request), (typed_opts, typed_request) = quick[0], typed[0]
    assert quick_opts == typed_opts
    images = typed_request.images
    assert (images.build, images.pull) == (BuildMode.AUTO, None)
    assert quick_request == dataclasses.replace(typed_request, images=None)


@pytest.mark.parametrize("argv", DECLINED)
def test_anything_else_is_left_to_typer(argv: list[str]) -> None:
    assert fast_call(argv) is None


class _Loaded:
    warnings = ()


@pytest.mark.parametrize("argv", CONFIG)
def test_config_quiet_loads_what_typer_loads(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import composer.cli.config_cmd as config_cmd
    import composer.spec

    loaded: list[Any] = []

    def load(options: Any) -> _Loaded:
        loaded.append(options)
        return _Loaded()

    monkeypatch.setattr(composer.spec, "load_project", load)
    monkeypatch.setattr(config_cmd, "load_project", load)
    run = fast_call(argv)
    assert run is not None
    run()
    import_commands("config")
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert len(loaded) == 2
    assert loaded[0] == loaded[1]
