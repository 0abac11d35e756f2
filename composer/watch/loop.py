"""The reconciliation loop: file and engine events mark the project dirty; one
thread debounces, reloads, plans and applies, one pass at a time.

A pass reloads the files when they changed (or on the periodic safety pass),
reuses the loaded project when an event left every source file's content as
it was, keeps the last good project when they no longer load, observes the engine
(or reuses the last observation while the event stream vouches for it, see
``composer.watch.observed``), plans, narrows the plan by restart policies and
back-off, and applies it under the project's lease.  Changed files that belong
to ``develop.watch`` rules are then synced into the running containers.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from composer.engine.apply import ApplyOptions
from composer.engine.client import Engine
from composer.engine.events import EngineEvent, EventStream
from composer.engine.observe import Actual, observe
from composer.errors import ComposerError, ConfigError
from composer.graph import Desired, GraphOptions, build_desired
from composer.plan import Plan, PlanOptions, plan
from composer.spec.project import Project
from composer.watch.converge import up_locked
from composer.watch.develop import (
    Rule,
    RuleAction,
    RuleResult,
    rules_of,
    run_rules,
)
from composer.watch.files import FileWatcher
from composer.watch.observed import ObservationCache
from composer.watch.policy import LoopPolicy
from composer.watch.report import PassReporter
from composer.watch.sources import Fingerprint, Sources, fingerprint, is_noise

log = logging.getLogger(__name__)

#: Loads the project from its files; raises ConfigError when they are invalid.
Loader = Callable[[], tuple[Project, Sources]]


@dataclass(frozen=True)
class LoopOptions:
    """How the loop runs."""

    debounce: float = 0.2
    interval: float = 60.0
    watch_files: bool = True
    follow_engine: bool = True
    lock_timeout: float | None = 60.0
    plan_options: PlanOptions = field(
        default_factory=lambda: PlanOptions(start_completed=False)
    )
    apply_options: ApplyOptions = field(default_factory=ApplyOptions)


@dataclass
class _Pending:
    files: set[str] = field(default_factory=set)
    events: list[EngineEvent] = field(default_factory=list)
    periodic: bool = False
    retry: bool = False
    since: float | None = None
    last: float = 0.0


@dataclass(frozen=True)
class PassResult:
    """What one pass did."""

    plan: Plan | None
    error: ComposerError | None = None
    rules: tuple[RuleResult, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether the pass changed the engine (or tried to)."""
        return bool(self.plan is not None and not self.plan.empty) or bool(self.rules)


class Loop:
    """One project kept converged against one engine."""

    def __init__(
        self,
        engine: Engine,
        loader: Loader,
        reporter: PassReporter,
        options: LoopOptions | None = None,
    ) -> None:
        self.engine = engine
        self.loader = loader
        self.reporter = reporter
        self.options = options or LoopOptions()
        self.policy = LoopPolicy()
        self.project: Project | None = None
        self.desired: Desired | None = None
        self.sources: Sources | None = None
        self.rules: tuple[Rule, ...] = ()
        self.passes = 0
        self.shown = 0
        self._cond = threading.Condition()
        self._pending = _Pending()
        self._last_error: str | None = None
        self._last_exc: ConfigError | None = None
        self._fingerprint: Fingerprint | None = None
        self._files: FileWatcher | None = None
        self._events: EventStream | None = None
        self._cache: ObservationCache | None = None
        self._fresh_observation = True
        #: Passes that observed the engine, and passes that reused an observation.
        self.observed = 0
        self.reused = 0

    # -- marking dirty (any thread) ---------------------------------------

    def file_changed(self, path: str) -> None:
        """A watched path changed."""
        if is_noise(path) or not self._relevant_file(path):
            return
        self._mark(lambda p: p.files.add(path))

    def engine_event(self, event: EngineEvent) -> None:
        """The engine reported something that may be drift."""
        if event.action in ("stop", "kill"):
            self.policy.saw_stop(event.actor_id)
        self._mark(lambda p: p.events.append(event))

    def _mark(self, change: Callable[[_Pending], None]) -> None:
        with self._cond:
            change(self._pending)
            now = time.monotonic()
            self._pending.since = self._pending.since or now
            self._pending.last = now
            self._cond.notify_all()

    def _relevant_file(self, path: str) -> bool:
        if self.sources is not None and self.sources.concerns(path):
            return True
        return any(r.takes(path) for r in self.rules)

    def _relevant_event(self, event: EngineEvent) -> bool:
        desired = self.desired
        if desired is None:
            return False
        if event.kind == "container":
            return event.project == desired.project
        if event.kind == "network":
            return event.name in {n.name for n in desired.networks.values()}
        return event.name in {v.name for v in desired.volumes.values()}

    # -- running -----------------------------------------------------------

    def run(self, stop: threading.Event, once: bool = False) -> PassResult:
        """Run passes until ``stop`` is set (or a single pass with ``once``)."""
        if not once:
            # Armed before the first load so no edit made meanwhile is missed.
            self._start_watchers()
        try:
            result = self.run_pass(["start"], initial=True)
            if once:
                return result
            while not stop.is_set():
                reasons, files = self._next_batch(stop)
                if reasons:
                    result = self.run_pass(reasons, files)
        finally:
            self.close()
        return result

    def close(self) -> None:
        """Stop the file watcher and the event stream."""
        if self._files is not None:
            self._files.stop()
            self._files = None
        if self._events is not None:
            self._events.close()
            self._events = None

    def start_watchers(self) -> None:
        """Follow the files and the engine's events (``run`` does it first)."""
        self._start_watchers()

    @property
    def following(self) -> bool:
        """Whether the engine's event stream is connected (passes may reuse)."""
        return self._cache is not None and self._cache.following

    def _start_watchers(self) -> None:
        if self.options.watch_files:
            self._files = FileWatcher(self.file_changed)
            self._rearm()
        if self.options.follow_engine:
            # Armed before the first load: the project's name comes with it.
            self._cache = ObservationCache(None)
            self._events = EventStream(
                self.engine, self._relevant_event, self.engine_event, self._cache
            )
            self._events.start()

    def _rearm(self) -> None:
        if self._files is None or self.sources is None:
            return
        self._files.watch(self.sources.directories, [r.path for r in self.rules])

    def _next_batch(self, stop: threading.Event) -> tuple[list[str], set[str]]:
        """Wait for something to do, then for the debounce quiet time."""
        with self._cond:
            deadline = time.monotonic() + self.options.interval
            wake = self.policy.crash.next_wakeup(time.monotonic())
            retry_at = None if wake is None else time.monotonic() + wake + 0.05
            while not stop.is_set():
                now = time.monotonic()
                p = self._pending
                if p.since is not None:
                    quiet = now - p.last >= self.options.debounce
                    capped = now - p.since >= max(10 * self.options.debounce, 2.0)
                    if quiet or capped:
                        break
                    self._cond.wait(self.options.debounce - (now - p.last))
                    continue
                if now >= deadline:
                    p.periodic = True
                    break
                if retry_at is not None and now >= retry_at:
                    p.retry = True
                    break
                self._cond.wait(min(deadline - now, 1.0))
            taken, self._pending = self._pending, _Pending()
        reasons = [f"{_short(f)} changed" for f in sorted(taken.files)]
        reasons += _summarise(taken.events)
        if taken.periodic and not reasons:
            reasons.append("periodic check")
        if taken.retry and not reasons:
            reasons.append("back-off ended")
        return reasons, taken.files

    # -- one pass --------------------------------------------------------

    def run_pass(
        self,
        reasons: Sequence[str],
        files: set[str] | None = None,
        initial: bool = False,
    ) -> PassResult:
        """Reload when needed, plan, apply under the lease, run develop rules."""
        self.passes += 1
        files = files or set()
        began = time.monotonic()
        periodic = list(reasons) == ["periodic check"]
        # The first, periodic and back-off passes always observe for real.
        self._fresh_observation = (
            initial or periodic or list(reasons) == ["back-off ended"]
        )
        reload = (
            initial or self.project is None or periodic or self._concerns_project(files)
        )
        quiet = not reload and not files and not initial
        if not quiet:
            self._started(reasons)
        # A save that left every source file as it was needs no reload.
        fresh = initial or periodic or self._rebuilds(files)
        if reload and not self._reload(reuse=not fresh):
            # An invalid save changes nothing: the last good state stays.
            return PassResult(None, self._error_or_none())
        desired = self.desired
        assert desired is not None
        try:
            result = self._converge(desired, initial, quiet, began)
        except ComposerError as exc:
            self._drop("the pass failed")
            self.reporter.finished(Plan(desired.project), time.monotonic() - began, exc)
            return PassResult(None, exc)
        if files or (initial and self.rules):
            rules = self._run_rules(files, initial)
            result = PassResult(result.plan, result.error, tuple(rules))
        if result.changed or result.error is not None:
            self._drop("the pass changed the engine")
        return result

    def _converge(
        self, desired: Desired, initial: bool, quiet: bool, began: float
    ) -> PassResult:
        actual = self._observe(desired)
        draft = plan(desired, actual, self.options.plan_options)
        kept = draft.notes
        if not initial:
            narrowed = self.policy.narrow(desired, draft, actual)
            for text in narrowed.notes:
                self.reporter.note(text)
            draft = narrowed.plan
            kept += narrowed.kept
        if not quiet:
            # What the pass leaves stopped on purpose: `diff` would start it.
            for text in kept:
                self.reporter.note(text)
        if draft.empty:
            if not quiet:
                self.reporter.finished(draft, time.monotonic() - began, None)
            return PassResult(draft)
        if quiet:
            self._started(["engine drift"])
        self.reporter.planned(draft)
        narrow = None if initial else self._narrow_again(desired)
        outcome = up_locked(
            self.engine,
            desired,
            draft,
            self.options.plan_options,
            self.options.apply_options,
            self.reporter.apply_reporter,
            self.options.lock_timeout,
            narrow,
        )
        self.reporter.finished(outcome.plan, time.monotonic() - began, None)
        return PassResult(outcome.plan)

    def _observe(self, desired: Desired) -> Actual:
        """The engine's state: the kept observation when events vouch for it."""
        cache = self._cache
        if cache is not None:
            cache.name(desired.project)
        if cache is not None and not self._fresh_observation:
            kept = cache.reusable()
            if kept is not None:
                self.reused += 1
                log.debug(
                    "reusing the observation of %s: no engine event since",
                    desired.project,
                )
                return kept
        ticket = None if cache is None else cache.ticket()
        actual = observe(self.engine, desired.project)
        self.observed += 1
        if cache is not None:
            cache.keep(
                ticket,
                actual,
                (n.name for n in desired.networks.values()),
                (v.name for v in desired.volumes.values()),
            )
        return actual

    def _drop(self, why: str) -> None:
        if self._cache is not None:
            self._cache.drop(why)

    def _started(self, reasons: Sequence[str]) -> None:
        self.shown += 1
        self.reporter.started(self.shown, reasons)

    def _narrow_again(self, desired: Desired) -> Callable[[Plan, Actual], Plan]:
        # The plan is made again under the lease; its restarts were already
        # counted for back-off when the draft was narrowed.
        def narrow(fresh: Plan, actual: Actual) -> Plan:
            return self.policy.narrow(desired, fresh, actual, count=False).plan

        return narrow

    def _reload(self, reuse: bool = False) -> bool:
        if reuse and self._unchanged():
            log.debug("source files unchanged; the loaded project stays")
            self._last_error, self._last_exc = None, None
            return True
        began = time.time()
        try:
            project, sources = self.loader()
            desired = build_desired(project, GraphOptions())
        except ConfigError as exc:
            text = exc.render()
            if text != self._last_error:
                self.reporter.invalid(exc)
            self._last_error, self._last_exc = text, exc
            return False
        self._last_error, self._last_exc = None, None
        self.project, self.desired, self.sources = project, desired, sources
        self._drop("the project was loaded again")
        self._fingerprint = fingerprint(sources, settled_before=began)
        self.rules = rules_of(project)
        self._rearm()
        return True

    def _error_or_none(self) -> ComposerError | None:
        return self._last_exc

    def _unchanged(self) -> bool:
        """Whether every source file holds what it held at the last load."""
        known = self._fingerprint
        return (
            known is not None
            and self.sources is not None
            and (fingerprint(self.sources) == known)
        )

    def _rebuilds(self, files: set[str]) -> bool:
        """Whether a changed file lies under a ``rebuild`` rule's path."""
        rebuilds = [r for r in self.rules if r.action is RuleAction.REBUILD]
        return any(r.takes(f) for r in rebuilds for f in files)

    def _concerns_project(self, files: set[str]) -> bool:
        sources = self.sources
        if sources is not None and any(sources.concerns(f) for f in files):
            return True
        return self._rebuilds(files)

    def _run_rules(self, files: set[str], initial: bool) -> list[RuleResult]:
        desired = self.desired
        if desired is None or not self.rules:
            return []
        actual = observe(self.engine, desired.project)
        try:
            results = run_rules(self.engine, self.rules, files, actual, initial)
        except ComposerError as exc:
            self.reporter.note(f"develop.watch failed: {exc.message}")
            return []
        for res in results:
            self.reporter.note(
                f"{res.rule.service}: {res.rule.action.value} {res.text}"
                + ("" if res.ok else " (not done)")
            )
        return results


def _short(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _summarise(events: Sequence[EngineEvent]) -> list[str]:
    seen: dict[str, None] = {}
    for event in events:
        seen[event.describe()] = None
    texts = list(seen)
    if len(texts) > 5:
        return [*texts[:5], f"and {len(texts) - 5} more engine events"]
    return texts
