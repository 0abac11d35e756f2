"""The quick `up` path reads a command line exactly as typer does, or declines."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from typer.testing import CliRunner

import composer.cli.reconcile_cmds as reconcile_cmds
import composer.cli.up_flow as up_flow
from composer.cli import import_commands
from composer.cli.app import app
from composer.cli.fast import fast_up
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
    ["-p"],
    ["-p", "shop"],
    ["--nope", "up"],
    ["up", "-p", "shop"],
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
    run = fast_up(argv)
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
    assert fast_up(argv) is None
