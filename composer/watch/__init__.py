"""Watch stage: file and engine events mark a project dirty; one loop converges.

What this stage promises: every file the project was loaded from is watched
(through its directory, so files created later count); an event only marks
the project dirty; one loop debounces, reloads, plans with the shared planner
and applies under the project's lease; an invalid save changes nothing and
keeps the last good state; drift seen on the engine is repaired within the
limits of each service's restart policy, and a crash loop is backed off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from composer.watch.loop import Loop, LoopOptions, PassResult
    from composer.watch.report import PassReporter

__all__ = ["Loop", "LoopOptions", "PassReporter", "PassResult"]


def __getattr__(name: str) -> Any:
    """The loop's names, imported on first use.

    ``composer up`` needs only ``composer.watch.converge``; importing the loop
    eagerly would load watchdog for it too.
    """
    if name in __all__:
        from composer.watch import loop

        return getattr(loop, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
