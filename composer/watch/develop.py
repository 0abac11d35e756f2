"""``develop.watch`` rules: which changed files a rule takes, and what it does.

``rebuild`` needs nothing here: a file it takes makes the loop reload, and the
planner rebuilds the image whose build inputs changed and recreates only the
containers of that service.

Matching is pure; carrying a rule out talks to the engine through
``composer.engine.sync`` (files and exec) and the engine client (restart).
"""

from __future__ import annotations

import fnmatch
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from composer.engine.client import Engine
from composer.engine.observe import Actual
from composer.engine.sync import copy_into, exists, remove_in, run_in
from composer.spec.project import Project

log = logging.getLogger(__name__)


class RuleAction(StrEnum):
    """The actions of the Compose Specification's ``develop.watch``."""

    SYNC = "sync"
    REBUILD = "rebuild"
    RESTART = "restart"
    SYNC_RESTART = "sync+restart"
    SYNC_EXEC = "sync+exec"


@dataclass(frozen=True)
class Rule:
    """One ``develop.watch`` entry of one service."""

    service: str
    action: RuleAction
    path: str
    target: str | None = None
    ignore: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    user: str | None = None
    workdir: str | None = None
    initial_sync: bool = False

    @property
    def syncs(self) -> bool:
        """Whether the rule copies files into the container."""
        return self.action in (
            RuleAction.SYNC,
            RuleAction.SYNC_RESTART,
            RuleAction.SYNC_EXEC,
        )

    def takes(self, path: str) -> bool:
        """Whether a changed host path belongs to this rule."""
        rel = _relative(path, self.path)
        if rel is None:
            return False
        if rel != "." and any(_match(rel, p) for p in self.ignore):
            return False
        return (
            not self.include or rel == "." or any(_match(rel, p) for p in self.include)
        )

    def container_path(self, path: str) -> str:
        """Where a host path of this rule lives inside the container."""
        rel = _relative(path, self.path) or "."
        base = self.target or "/"
        return base if rel == "." else f"{base.rstrip('/')}/{rel}"


def _relative(path: str, root: str) -> str | None:
    path, root = os.path.abspath(path), os.path.abspath(root)
    if path == root:
        return "."
    if path.startswith(root.rstrip(os.sep) + os.sep):
        return os.path.relpath(path, root).replace(os.sep, "/")
    return None


def _match(rel: str, pattern: str) -> bool:
    """A ``.dockerignore``-like match: the path, a parent, or the base name."""
    pattern = pattern.strip().rstrip("/")
    anchored = pattern.startswith("/")
    pattern = pattern.lstrip("/")
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    if any(fnmatch.fnmatchcase(p, pattern) for p in prefixes):
        return True
    if anchored or "/" in pattern:
        return False
    return any(fnmatch.fnmatchcase(p, pattern) for p in parts)


def rules_of(project: Project) -> tuple[Rule, ...]:
    """Every ``develop.watch`` rule of the project's services."""
    out: list[Rule] = []
    for name, svc in project.services.items():
        develop: Mapping[str, Any] = svc.get("develop") or {}
        for raw in develop.get("watch") or ():
            rule = _rule(name, raw)
            if rule is not None:
                out.append(rule)
    return tuple(out)


def _rule(service: str, raw: Mapping[str, Any]) -> Rule | None:
    try:
        action = RuleAction(str(raw.get("action")))
    except ValueError:
        log.warning("service %s: unknown watch action %r", service, raw.get("action"))
        return None
    run = raw.get("exec") or {}
    command = run.get("command")
    if isinstance(command, str):
        command = ["/bin/sh", "-c", command]
    return Rule(
        service=service,
        action=action,
        path=str(raw.get("path") or ""),
        target=raw.get("target"),
        ignore=tuple(str(p) for p in raw.get("ignore") or ()),
        include=tuple(str(p) for p in raw.get("include") or ()),
        command=tuple(str(c) for c in command or ()),
        user=run.get("user"),
        workdir=run.get("working_dir"),
        initial_sync=bool(raw.get("initial_sync")),
    )


@dataclass(frozen=True)
class RuleResult:
    """What carrying out one rule did, for the pass report."""

    rule: Rule
    paths: tuple[str, ...]
    text: str
    ok: bool = True


def run_rules(
    engine: Engine,
    rules: Sequence[Rule],
    changed: Iterable[str],
    actual: Actual,
    initial: bool = False,
) -> list[RuleResult]:
    """Carry out every rule that takes some of ``changed``."""
    paths = sorted(set(changed))
    results: list[RuleResult] = []
    for rule in rules:
        if rule.action is RuleAction.REBUILD:
            # Rebuilds are the plan's: the reloaded project's build digest of
            # this service changed, so the planner builds and recreates it.
            continue
        mine = tuple(p for p in paths if rule.takes(p))
        if initial:
            mine = (rule.path,) if rule.initial_sync and rule.syncs else ()
        if not mine:
            continue
        targets = [c.id for c in actual.of_service(rule.service) if c.running]
        if not targets:
            results.append(RuleResult(rule, mine, "no running container", False))
            continue
        results.append(_run(engine, rule, mine, targets))
    return results


def _run(
    engine: Engine, rule: Rule, paths: tuple[str, ...], targets: list[str]
) -> RuleResult:
    present = [(p, rule.container_path(p)) for p in paths if exists(p)]
    gone = [rule.container_path(p) for p in paths if not exists(p)]
    notes: list[str] = []
    for ident in targets:
        if rule.syncs:
            copy_into(engine, ident, present)
            remove_in(engine, ident, gone)
        if rule.action in (RuleAction.RESTART, RuleAction.SYNC_RESTART):
            engine.stop(ident, None)
            engine.start(ident)
        if rule.action is RuleAction.SYNC_EXEC and rule.command:
            code, _ = run_in(engine, ident, rule.command, rule.user, rule.workdir)
            if code != 0:
                notes.append(f"exec exited {code}")
    verb = {
        RuleAction.REBUILD: "rebuilt",
        RuleAction.SYNC: "synced",
        RuleAction.RESTART: "restarted",
        RuleAction.SYNC_RESTART: "synced and restarted",
        RuleAction.SYNC_EXEC: "synced and ran the command",
    }[rule.action]
    text = f"{verb} ({len(paths)} path(s), {len(targets)} container(s))"
    if notes:
        text += "; " + ", ".join(notes)
    return RuleResult(rule, paths, text, not notes)
