"""A new commit leaves a completed one-shot alone under the lease (check)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from planstates import actual, container, desired, project

from composer.gitops import sync
from composer.gitops.sync import Syncer
from composer.plan import Plan
from composer.watch import converge

V1 = {"job": {"command": ["true"]}, "web": {"command": ["sleep", "1"]}}
V2 = {"job": {"command": ["true"]}, "web": {"command": ["sleep", "2"]}}


def test_new_commit_does_not_rerun_completed_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = desired(V1)
    now = actual(
        old,
        (
            container(old, "job", status="exited", exit_code=0),
            container(old, "web"),
        ),
    )
    applied: list[Plan] = []

    class _Lease:
        check = None

    monkeypatch.setattr(sync, "observe", lambda *_: now)
    monkeypatch.setattr(converge, "observe", lambda *_: now)
    monkeypatch.setattr(
        converge, "hold", lambda *_a, **_k: contextlib.nullcontext(_Lease())
    )
    monkeypatch.setattr(converge, "apply", lambda _e, _d, _a, p, *_: applied.append(p))

    class _Checkout:
        directory = "/srv/c"

        def update(self) -> str:
            return "b" * 40

        def switch(self, commit: str) -> None:
            pass

    class _Rep:
        def planned(self, *_: Any) -> None:
            pass

        def result(self, *_: Any) -> None:
            pass

    syncer = Syncer(None, _Checkout(), lambda _d: project(V2), _Rep())  # type: ignore[arg-type]
    result = syncer.iterate()
    assert result.status == "applied", result
    names = {(s.action.value, s.service) for p in applied for s in p.steps}
    assert all(service != "job" for _a, service in names), names
    assert any(service == "web" for _a, service in names), names
