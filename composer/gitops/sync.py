"""Follow a git ref: check out each new commit and reconcile the project in it.

One iteration fetches, checks out the ref's commit, loads the project from the
checkout, plans and applies under the project's lease, labelling what it
creates with the commit.  A commit that does not load changes nothing (the
previous good commit is checked out again); a commit that would remove every
service is refused unless allowed.  Between commits, ``heal`` converges the
deployed commit again without fetching (``composer.gitops.follow`` calls it
on the engine's drift events), narrowed by the watch loop's restart policies
and crash-loop back-off.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from composer.engine.apply import ApplyOptions
from composer.engine.client import Engine
from composer.engine.labels import GIT_COMMIT
from composer.engine.observe import Actual, observe
from composer.engine.report import NullReporter, Reporter
from composer.errors import ApplyError, ConfigError
from composer.gitops.git import Checkout
from composer.gitops.masking import Secrets, mask_plan, masked_reporter, secrets_of
from composer.graph import Desired, GraphOptions, build_desired
from composer.plan import Action, Kind, Plan, PlanOptions, plan
from composer.spec.project import Project
from composer.watch.converge import PlanFilter, up_locked
from composer.watch.policy import LoopPolicy

log = logging.getLogger(__name__)

#: Loads the project found in a directory.
DirLoader = Callable[[str], Project]


class SyncReporter(Protocol):
    """What a person following ``sync`` is shown."""

    def planned(self, commit: str, plan: Plan, trigger: str = "commit") -> None:
        """The (masked) plan about to be applied, and what triggered the pass."""
        ...

    def result(self, result: SyncResult) -> None:
        """The outcome of one iteration."""
        ...


@dataclass(frozen=True)
class SyncOptions:
    """How ``sync`` deploys."""

    path: str = "."
    allow_empty: bool = False
    show_values: bool = False
    lock_timeout: float | None = 60.0
    plan_options: PlanOptions = field(
        default_factory=lambda: PlanOptions(remove_orphans=True, start_completed=False)
    )
    apply_options: ApplyOptions = field(default_factory=ApplyOptions)


@dataclass(frozen=True)
class SyncResult:
    """What one iteration did; its JSON form goes to ``--on-change``."""

    status: str  # applied, unchanged, invalid, refused, failed
    commit: str
    project: str | None = None
    deployed: str | None = None
    error: str | None = None
    plan: Plan | None = None
    #: What started the pass: ``commit`` (a new commit was fetched), ``check``
    #: (the periodic fetch found no new commit; the deployed one is converged
    #: again) or ``drift`` (engine events between fetches).
    trigger: str = "commit"

    @property
    def changed(self) -> bool:
        """Whether the engine was changed."""
        return self.status == "applied"

    def to_json(self) -> dict[str, Any]:
        """As plain JSON data; the plan is masked."""
        return {
            "status": self.status,
            "commit": self.commit,
            "project": self.project,
            "deployed_commit": self.deployed,
            "error": self.error,
            "plan": None if self.plan is None else self.plan.to_json(),
            "trigger": self.trigger,
        }


@dataclass
class Syncer:
    """Follows one ref; remembers the last good commit and the last rejected one."""

    engine: Engine
    checkout: Checkout
    loader: DirLoader
    reporter: SyncReporter
    options: SyncOptions = field(default_factory=SyncOptions)
    good: str | None = None
    rejected: str | None = None
    #: The desired state of the good commit, for telling drift events apart.
    desired: Desired | None = None
    policy: LoopPolicy = field(default_factory=LoopPolicy)
    said: set[str] = field(default_factory=set)
    #: The status and commit of the last result shown, to say "unchanged" once.
    last: tuple[str, str] | None = None

    def iterate(self) -> SyncResult:
        """Fetch, check out, load, plan and apply once.

        When the newest commit is rejected (it does not load, or it would
        remove everything), the last good commit is checked out again and kept
        converged; the rejection is reported once per commit.
        """
        commit = self.checkout.update()
        # The same commit again is a safety pass: drift is healed as between
        # commits, respecting restart policies; a new commit is applied whole.
        trigger = "check" if commit == self.good else "commit"
        result = self._deploy(commit, quiet=False, trigger=trigger)
        if result.status not in ("invalid", "refused"):
            self.rejected = None
            return result
        good = self.good
        if good is not None and good != commit:
            # The good commit stays deployed: healed as a check pass would.
            self.checkout.switch(good)
            self._deploy(good, quiet=True, trigger="check")
        self.rejected = commit
        return result

    def heal(self) -> SyncResult | None:
        """Converge the deployed commit again, without fetching (engine drift).

        Returns None when nothing is deployed yet.  The working tree holds the
        good commit: ``iterate`` checks it out again after a rejection.
        """
        if self.good is None:
            return None
        return self._deploy(self.good, quiet=True, trigger="drift")

    def _deploy(self, commit: str, quiet: bool, trigger: str = "commit") -> SyncResult:
        drift = trigger != "commit"
        directory = os.path.join(self.checkout.directory, self.options.path)
        try:
            project = self.loader(directory)
            desired = build_desired(project, GraphOptions())
        except ConfigError as exc:
            # Paths in the repository, not in the cache, name the file.
            text = exc.render().replace(self.checkout.directory + os.sep, "")
            return self._report(
                SyncResult("invalid", commit, None, self.good, text),
                quiet or commit == self.rejected,
            )
        secrets = secrets_of(project)
        actual = observe(self.engine, project.name)
        draft = plan(desired, actual, self.options.plan_options)
        narrow = self._narrow(desired) if drift else None
        kept = draft.notes
        if drift:
            narrowed = self.policy.narrow(desired, draft, actual)
            for note in narrowed.notes:
                log.warning("%s", note)
            draft = narrowed.plan
            kept += narrowed.kept
        # What the pass leaves stopped on purpose (`diff` would start it),
        # said once while it stays so.
        for note in kept:
            if note not in self.said:
                log.warning("%s", note)
        self.said = set(kept)
        shown = mask_plan(draft, secrets, self.options.show_values)
        if _removes_everything(draft, actual) and not self.options.allow_empty:
            message = (
                f"commit {commit[:12]} would remove every service of project "
                f"{project.name}; refused (use --allow-empty to allow it)"
            )
            return self._report(
                SyncResult("refused", commit, project.name, self.good, message, shown),
                quiet or commit == self.rejected,
            )
        self.good, self.desired = commit, desired
        unchanged = SyncResult("unchanged", commit, project.name, commit)
        unchanged = dataclasses.replace(unchanged, trigger=trigger)
        if draft.empty:
            return self._report(unchanged, quiet or self._repeated(unchanged))
        self.reporter.planned(commit, shown, trigger)
        try:
            outcome = self._apply(commit, desired, draft, secrets, narrow)
        except ApplyError as exc:
            error = secrets.scrub(exc.render())
            if self.options.show_values:
                error = exc.render()
            failed = SyncResult("failed", commit, project.name, commit, error, shown)
            return self._report(dataclasses.replace(failed, trigger=trigger))
        if outcome.empty:
            # Planned again under the lease, nothing was left to do (another
            # writer converged it first): say so, not "applied".
            return self._report(unchanged, quiet or self._repeated(unchanged))
        applied = mask_plan(outcome, secrets, self.options.show_values)
        result = SyncResult("applied", commit, project.name, commit, None, applied)
        return self._report(dataclasses.replace(result, trigger=trigger))

    def _apply(
        self,
        commit: str,
        desired: Desired,
        draft: Plan,
        secrets: Secrets,
        narrow: PlanFilter | None,
    ) -> Plan:
        """Apply under the lease, labelling what is created with the commit."""
        labels = {**self.options.apply_options.extra_labels, GIT_COMMIT: commit}
        apply_options = dataclasses.replace(
            self.options.apply_options, extra_labels=labels
        )
        reporter = masked_reporter(
            _apply_reporter(self.reporter), secrets, self.options.show_values
        )
        outcome = up_locked(
            self.engine,
            desired,
            draft,
            self.options.plan_options,
            apply_options,
            reporter,
            self.options.lock_timeout,
            narrow,
        )
        return outcome.plan

    def _narrow(self, desired: Desired) -> PlanFilter:
        # Planned again under the lease; its restarts were counted already.
        def narrow(fresh: Plan, actual: Actual) -> Plan:
            return self.policy.narrow(desired, fresh, actual, count=False).plan

        return narrow

    def _repeated(self, result: SyncResult) -> bool:
        """Whether an unchanged pass only repeats what was last said."""
        return self.last == (result.status, result.commit) or result.trigger == "drift"

    def _report(self, result: SyncResult, quiet: bool = False) -> SyncResult:
        if not quiet:
            self.reporter.result(result)
            self.last = (result.status, result.commit)
        return result


def notify(command: str, result: SyncResult) -> None:
    """Run ``--on-change`` with the JSON result on stdin, or POST it to a URL."""
    if command.startswith(("http://", "https://")):
        _post(command, result)
        return
    try:
        done = subprocess.run(
            command,
            shell=True,
            input=json.dumps(result.to_json()),
            text=True,
            check=False,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("--on-change command failed: %s", exc)
        return
    if done.returncode != 0:
        log.warning("--on-change command exited %s", done.returncode)


def _post(url: str, result: SyncResult) -> None:
    body = json.dumps(result.to_json()).encode()
    request = urllib.request.Request(
        url, body, {"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
    except (OSError, ValueError) as exc:
        log.warning("--on-change webhook %s failed: %s", url, exc)


def _removes_everything(draft: Plan, actual: Actual) -> bool:
    """Whether the plan removes every container of the project and adds none."""
    live = {c.id for c in actual.containers if not c.oneoff}
    containers = [s for s in draft.steps if s.kind is Kind.CONTAINER]
    removed = {s.container_id for s in containers if s.action is Action.REMOVE}
    adds = any(s.action in (Action.CREATE, Action.RECREATE) for s in containers)
    return bool(live) and live <= removed and not adds


def _apply_reporter(reporter: SyncReporter) -> Reporter:
    found = getattr(reporter, "apply_reporter", None)
    return found if found is not None else NullReporter()
