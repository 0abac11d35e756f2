"""Command-line interface: typer commands and rich rendering; the only layer
that prints.  Every command module registers itself on ``app``.

Start-up time matters (``composer config`` should feel instant), so command
modules import the engine, gitops, watch and target packages and rich's
displays inside the functions that use them, never at module level: only
typer, the loader and light modules load before a command runs.
"""

from __future__ import annotations

import logging
import os
import sys

import click

from composer.cli import (  # noqa: F401
    config_cmd,
    exec_cmds,
    gitops_cmds,
    image_cmds,
    inspect_cmds,
    lifecycle_cmds,
    reconcile_cmds,
    render_cmds,
    watch_cmds,
)
from composer.cli.app import app
from composer.cli.lazy import lazy_group
from composer.errors import ComposerError, ExitCode

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``composer`` script; maps outcomes to exit codes."""
    level = os.environ.get("COMPOSER_LOG", "WARNING").upper()
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        # Without standalone mode click returns a typer.Exit's code instead.
        result = lazy_group(app)(standalone_mode=False)
        if isinstance(result, int) and result:
            sys.exit(result)
    except ComposerError as exc:
        # Diagnostics say "error C123" themselves; a plain message needs a word.
        text = exc.render() if exc.diagnostics else f"error: {exc.render()}"
        sys.stderr.write(text + "\n")
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.stderr.write("interrupted\n")
        sys.exit(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(ExitCode.INTERRUPTED)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(0)
