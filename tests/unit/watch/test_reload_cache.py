"""The loop reuses the loaded project when a file event left the files as they were."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from composer.graph import Desired
from composer.spec import LoadOptions, load_project
from composer.spec.project import Project
from composer.watch.loop import Loop, PassResult
from composer.watch.report import NullPassReporter
from composer.watch.sources import Sources, project_sources

COMPOSE = """
name: cache
services:
  web:
    image: busybox:local
    environment: {V: "@V@"}
"""


class _Counting(Loop):
    """A loop that records the desired state of each pass instead of applying."""

    def __init__(self, workdir: Path) -> None:
        self.loads = 0
        self.seen: list[Desired] = []
        options = LoadOptions(cwd=str(workdir), environ={})

        def loader() -> tuple[Project, Sources]:
            self.loads += 1
            project = load_project(options)
            return project, project_sources(project, options)

        super().__init__(None, loader, NullPassReporter())  # type: ignore[arg-type]

    def _converge(
        self, desired: Desired, initial: bool, quiet: bool, began: float
    ) -> PassResult:
        self.seen.append(desired)
        return PassResult(None)


def _write(path: Path, value: str, age: float = 60.0) -> None:
    path.write_text(COMPOSE.replace("@V@", value))
    past = time.time() - age
    os.utime(path, (past, past))


def _value(desired: Desired) -> Any:
    return desired.services["web"].definition["environment"]["V"]


def test_an_event_on_unchanged_files_reuses_the_project(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    _write(compose, "1")
    loop = _Counting(tmp_path)
    loop.run_pass(["start"], initial=True)
    loop.run_pass(["touched"], {str(compose)})
    assert loop.loads == 1
    assert loop.seen[1] is loop.seen[0]


def test_an_edit_reloads(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    _write(compose, "1")
    loop = _Counting(tmp_path)
    loop.run_pass(["start"], initial=True)
    _write(compose, "2")
    loop.run_pass(["edited"], {str(compose)})
    assert loop.loads == 2
    assert _value(loop.seen[-1]) == "2"


def test_the_periodic_pass_always_reloads(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    _write(compose, "1")
    loop = _Counting(tmp_path)
    loop.run_pass(["start"], initial=True)
    loop.run_pass(["periodic check"])
    assert loop.loads == 2


def test_a_file_written_just_before_loading_is_not_vouched_for(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    _write(compose, "1", age=0.0)  # may change again while it is read
    loop = _Counting(tmp_path)
    loop.run_pass(["start"], initial=True)
    loop.run_pass(["touched"], {str(compose)})
    assert loop.loads == 2
