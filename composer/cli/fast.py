"""A quick path for the commonest command lines: ``up`` and ``config -q``.

Importing typer and click and converting a command takes about a third of a
no-op ``up``.  A command line made only of the global options (``-f``,
``-p``, ``--project-directory``, ``--env-file``, ``--profile``,
``--progress``, ``--parallel``, each with its value after a space or an
``=``), then either ``up`` with ``-d``/``--detach`` and service names, or
``config`` with ``-q``/``--quiet`` and service names, is read here.  ``up``
runs through the same ``run_up`` as the typer command; ``config -q`` loads
the project and prints its warnings, as the typer command does.  Anything else
(another option, a short option with its value attached, help, a bad number)
returns None and typer reads the command line as always, errors included.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from composer.cli.context import PROGRESS_MODES

if TYPE_CHECKING:
    from composer.cli.context import GlobalOptions

#: Global options with a value: the keyword of GlobalOptions each fills,
#: repeatable ones collected in order.
_GLOBALS = {
    "-f": "files",
    "--file": "files",
    "-p": "project_name",
    "--project-name": "project_name",
    "--project-directory": "project_directory",
    "--env-file": "env_files",
    "--profile": "profiles",
    "--progress": "progress",
    "--parallel": "parallel",
}
_REPEATED = frozenset(("files", "env_files", "profiles"))
#: Each command's flags that the quick path accepts (all are on/off flags).
_FLAGS = {"up": ("-d", "--detach"), "config": ("-q", "--quiet")}


def fast_call(argv: Sequence[str]) -> Callable[[], object] | None:
    """The ``up`` or ``config -q`` to run for ``argv``; None: typer reads it."""
    values: dict[str, object] = {}
    repeated: dict[str, list[str]] = {name: [] for name in _REPEATED}
    args = list(argv)
    at = 0
    while at < len(args) and args[at].startswith("-"):
        name, sep, value = args[at].partition("=")
        key = _GLOBALS.get(name)
        if key is None or (sep and not name.startswith("--")):
            return None
        if not sep:
            at += 1
            if at == len(args):
                return None
            value = args[at]
        if key == "parallel":
            if not (value.isascii() and value.isdigit()) or int(value) < 1:
                return None  # typer refuses it with a usage error
            values[key] = int(value)
        elif key == "progress" and value not in PROGRESS_MODES:
            return None  # typer refuses it with a usage error
        elif key in _REPEATED:
            repeated[key].append(value)
        else:
            values[key] = value
        at += 1
    command = args[at] if at < len(args) else None
    if command not in _FLAGS:
        return None
    services: list[str] = []
    flags: set[str] = set()
    for arg in args[at + 1 :]:
        if arg in _FLAGS[command]:
            flags.add(arg)
        elif arg.startswith("-"):
            return None
        else:
            services.append(arg)
    if command == "config" and not flags:
        return None  # printing the project needs the renderer; typer's path

    from composer.cli.context import GlobalOptions

    opts = GlobalOptions(
        **{key: tuple(found) for key, found in repeated.items()},  # type: ignore[arg-type]
        **values,  # type: ignore[arg-type]
    )
    if command == "config":
        return lambda: _validate(opts, tuple(services))
    from composer.cli.up_flow import UpRequest, run_up

    request = UpRequest(services=tuple(services))
    return lambda: run_up(opts, request)


def _validate(opts: GlobalOptions, services: tuple[str, ...]) -> None:
    """``config -q``: load the project, print its warnings."""
    from composer.spec import load_project

    project = load_project(opts.load_options(services))
    for diag in project.warnings:
        sys.stderr.write(diag.render() + "\n")
