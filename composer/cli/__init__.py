"""Command-line interface: typer commands and rich rendering; the only layer
that prints.  Every command module registers itself on ``composer.cli.app``'s
``app`` when imported (``import_commands``); ``main`` imports only the module
of the command that runs, and runs a plain ``up`` or ``config -q`` without
typer at all (``composer.cli.fast``).

Start-up time matters (``composer config`` should feel instant), so command
modules import the engine, gitops, watch and target packages and rich's
displays inside the functions that use them, never at module level: only
typer, the loader and light modules load before a command runs.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Sequence

from composer.errors import ComposerError, ExitCode

__all__ = ["COMMANDS", "command_name", "import_commands", "main"]

#: The module defining each command, in the order ``--help`` lists them.
COMMANDS: dict[str, str] = {
    "config": "config_cmd",
    "exec": "exec_cmds",
    "run": "exec_cmds",
    "top": "exec_cmds",
    "port": "exec_cmds",
    "events": "exec_cmds",
    "cp": "exec_cmds",
    "plan": "gitops_cmds",
    "apply": "gitops_cmds",
    "sync": "gitops_cmds",
    "build": "image_cmds",
    "pull": "image_cmds",
    "push": "image_cmds",
    "images": "image_cmds",
    "ps": "inspect_cmds",
    "logs": "inspect_cmds",
    "start": "lifecycle_cmds",
    "stop": "lifecycle_cmds",
    "restart": "lifecycle_cmds",
    "pause": "lifecycle_cmds",
    "unpause": "lifecycle_cmds",
    "kill": "lifecycle_cmds",
    "rm": "lifecycle_cmds",
    "up": "reconcile_cmds",
    "diff": "reconcile_cmds",
    "down": "reconcile_cmds",
    "render": "render_cmds",
    "watch": "watch_cmds",
    "reconcile": "watch_cmds",
    "lock": "watch_cmds",
}

#: Global options followed by a value (``--name=value`` carries its own).
_VALUED = frozenset(
    (
        "-f",
        "--file",
        "-p",
        "--project-name",
        "--project-directory",
        "--env-file",
        "--profile",
        "--progress",
        "--parallel",
    )
)


def command_name(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs, or None when that is not plain to see."""
    args = iter(argv)
    for arg in args:
        if arg in _VALUED:
            next(args, None)
        elif arg.startswith("--") and "=" in arg and arg.split("=")[0] in _VALUED:
            continue
        elif arg.startswith("-"):
            return None  # help, version, or something typer will explain
        else:
            return arg if arg in COMMANDS else None
    return None


def import_commands(name: str | None = None) -> None:
    """Register the named command's module on ``app``, or every module.

    Importing all command modules costs more than a quick command's work, so
    ``main`` imports only the one that runs when the command line names it.
    """
    modules = [COMMANDS[name]] if name in COMMANDS else dict.fromkeys(COMMANDS.values())
    for module in modules:
        importlib.import_module(f"composer.cli.{module}")


def main() -> None:
    """Entry point of the ``composer`` script; maps outcomes to exit codes."""
    from composer.cli.fast import fast_call

    level = os.environ.get("COMPOSER_LOG", "WARNING").upper()
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        quick = fast_call(sys.argv[1:])
        if quick is not None:
            quick()
        else:
            _typer_main()
    except ComposerError as exc:
        # Diagnostics say "error C123" themselves; a plain message needs a word.
        text = exc.render() if exc.diagnostics else f"error: {exc.render()}"
        sys.stderr.write(text + "\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(ExitCode.INTERRUPTED)
    sys.exit(0)


def _typer_main() -> None:
    """Let typer read the command line and run the command."""
    import click

    from composer.cli.app import app
    from composer.cli.lazy import lazy_group

    try:
        # Without standalone mode click returns a typer.Exit's code instead.
        import_commands(command_name(sys.argv[1:]))
        result = lazy_group(app)(standalone_mode=False)
        if isinstance(result, int) and result:
            sys.exit(result)
    except click.exceptions.Abort:
        sys.stderr.write("interrupted\n")
        sys.exit(ExitCode.INTERRUPTED)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        # click says 2, which `diff --exit-code` uses for "changes pending".
        exc.show()
        sys.exit(ExitCode.USAGE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
