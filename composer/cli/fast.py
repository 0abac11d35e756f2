"""A quick path for the commonest command line: ``composer [globals] up``.

Importing typer and click and converting the ``up`` command takes about a
third of a no-op ``up``.  A command line made only of the global options
(``-f``, ``-p``, ``--project-directory``, ``--env-file``, ``--profile``,
``--progress``, ``--parallel``, each with its value after a space or an
``=``), then ``up``, then ``-d``/``--detach`` and service names, is read here
and run by the same ``run_up`` as the typer command.  Anything else (another
option, a short option with its value attached, help, a bad number) returns
None and typer reads the command line as always, errors included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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


def fast_up(argv: Sequence[str]) -> Callable[[], object] | None:
    """The ``up`` to run for ``argv``, or None when typer must read it."""
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
            if not (value.isascii() and value.isdigit()):
                return None
            values[key] = int(value)
        elif key in _REPEATED:
            repeated[key].append(value)
        else:
            values[key] = value
        at += 1
    if args[at : at + 1] != ["up"]:
        return None
    services: list[str] = []
    for arg in args[at + 1 :]:
        if arg in ("-d", "--detach"):
            continue
        if arg.startswith("-"):
            return None
        services.append(arg)

    from composer.cli.context import GlobalOptions
    from composer.cli.up_flow import UpRequest, run_up

    opts = GlobalOptions(
        **{key: tuple(found) for key, found in repeated.items()},  # type: ignore[arg-type]
        **values,  # type: ignore[arg-type]
    )
    request = UpRequest(services=tuple(services))
    return lambda: run_up(opts, request)
