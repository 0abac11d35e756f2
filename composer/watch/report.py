"""What the watch loop shows of each pass: the reporter protocol and a silent one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from composer.engine.report import NullReporter, Reporter

if TYPE_CHECKING:
    from composer.errors import ComposerError
    from composer.plan import Plan


class PassReporter(Protocol):
    """What a person watching the loop is shown, one pass at a time."""

    apply_reporter: Reporter

    def started(self, number: int, reasons: Sequence[str]) -> None:
        """A pass begins, for these reasons."""
        ...

    def invalid(self, error: ComposerError) -> None:
        """The files do not load; the last good state stays."""
        ...

    def planned(self, plan: Plan) -> None:
        """The plan the pass is about to apply."""
        ...

    def note(self, text: str) -> None:
        """Something worth saying: back-off, a rule's result, a skipped rebuild."""
        ...

    def finished(self, plan: Plan, elapsed: float, error: ComposerError | None) -> None:
        """The pass ended (``error`` when applying failed)."""
        ...


class NullPassReporter:
    """Shows nothing: for benchmarks, tests and embedding callers."""

    def __init__(self) -> None:
        self.apply_reporter: Reporter = NullReporter()

    def started(self, number: int, reasons: Sequence[str]) -> None:
        """Nothing."""

    def invalid(self, error: ComposerError) -> None:
        """Nothing."""

    def planned(self, plan: Plan) -> None:
        """Nothing."""

    def note(self, text: str) -> None:
        """Nothing."""

    def finished(self, plan: Plan, elapsed: float, error: ComposerError | None) -> None:
        """Nothing."""
