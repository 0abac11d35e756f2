"""A click group that turns each typer command into a click command on demand.

Typer converts every registered command up front, evaluating the annotations
of each parameter; with thirty commands that was most of the time a quick
command such as ``composer config -q`` spent before doing its work.  This group
converts only the command that runs (all of them for ``composer --help``).
"""

from __future__ import annotations

from typing import Any

import click
import typer
import typer.main
from typer.core import TyperGroup
from typer.models import CommandInfo


class LazyGroup(TyperGroup):
    """A typer group whose commands are converted when first looked up."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pending: dict[str, tuple[CommandInfo, typer.Typer]] = {}
        self.order: list[str] = []

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, converted or not, in typer's order."""
        return list(self.order) if self.order else super().list_commands(ctx)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Find the command; an unknown name is checked against all of them."""
        if args and args[0] not in self.commands and args[0] not in self.pending:
            # click suggests close matches from the converted commands only.
            for name in list(self.pending):
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The named command, converting it on its first use."""
        found = self.pending.pop(cmd_name, None)
        if found is not None:
            info, app = found
            self.commands[cmd_name] = typer.main.get_command_from_info(
                info,
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
            )
        return self.commands.get(cmd_name)


def lazy_group(app: typer.Typer) -> LazyGroup:
    """The click group of ``app`` (made with ``cls=LazyGroup``), commands pending."""
    registered = app.registered_commands
    app.registered_commands = []
    try:
        group = typer.main.get_group(app)
    finally:
        app.registered_commands = registered
    assert isinstance(group, LazyGroup), "the app must be made with cls=LazyGroup"
    for info in registered:
        assert info.callback is not None, "a command needs a callback"
        name = info.name or typer.main.get_command_name(info.callback.__name__)
        group.pending[name] = (info, app)
    # Typer lists commands before sub-groups, each in registration order.
    group.order = [*group.pending, *group.commands]
    return group
