"""`up --wait`: a service that is not running fails the wait, unless it may complete."""

from __future__ import annotations

from typing import Any

import pytest

from composer.engine.operations import wait_running
from composer.errors import ApplyError


class _Engine:
    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state

    def inspect_container(self, ident: str) -> dict[str, Any]:
        return {"State": self.state}


EXITED_0 = {"Status": "exited", "ExitCode": 0, "Running": False}


def test_a_service_that_exited_0_fails_the_wait() -> None:
    with pytest.raises(ApplyError, match="service app exited with code 0 instead"):
        wait_running(_Engine(EXITED_0), "app", "c1", None)  # type: ignore[arg-type]


def test_a_dependency_that_may_complete_passes_the_wait() -> None:
    wait_running(_Engine(EXITED_0), "job", "c1", None, may_complete=True)  # type: ignore[arg-type]


def test_a_running_service_passes_and_a_failed_one_fails() -> None:
    running = {"Status": "running", "Running": True}
    wait_running(_Engine(running), "app", "c1", None)  # type: ignore[arg-type]
    failed = {"Status": "exited", "ExitCode": 3, "Running": False}
    with pytest.raises(ApplyError, match="exited with 3"):
        wait_running(_Engine(failed), "app", "c1", None, may_complete=True)  # type: ignore[arg-type]
