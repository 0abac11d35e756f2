"""`rm` without -f asks first; the end of input is a no, not an interruption."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest

from composer.cli import lifecycle_cmds, main


class FakeEngine:
    def __init__(self) -> None:
        self.removed: list[str] = []

    def remove_container(self, ident: str, volumes: bool = False) -> None:
        self.removed.append(ident)


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine()
    target = lifecycle_cmds.Target("c1", "p-a-1", "a", 1, "exited", False)

    def find(*_: Any, **__: Any) -> lifecycle_cmds.Found:
        return lifecycle_cmds.Found(fake, "p", (target,))  # type: ignore[arg-type]

    monkeypatch.setattr(lifecycle_cmds, "find", find)
    return fake


def rm(monkeypatch: pytest.MonkeyPatch, stdin: str) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    monkeypatch.setattr(sys, "argv", ["composer", "--progress", "plain", "rm"])
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    return code if isinstance(code, int) else 1


def test_end_of_input_at_the_prompt_removes_nothing_and_exits_0(
    engine: FakeEngine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert rm(monkeypatch, "") == 0
    err = capsys.readouterr().err
    assert engine.removed == []
    assert "end of input" in err and "Nothing removed" in err
    assert "interrupted" not in err


@pytest.mark.parametrize(("answer", "removed"), [("y\n", ["c1"]), ("n\n", [])])
def test_an_answer_is_followed(
    engine: FakeEngine, monkeypatch: pytest.MonkeyPatch, answer: str, removed: list[str]
) -> None:
    assert rm(monkeypatch, answer) == 0
    assert engine.removed == removed


def test_a_bad_answer_asks_again(
    engine: FakeEngine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert rm(monkeypatch, "maybe\nyes\n") == 0
    assert engine.removed == ["c1"]
    assert "Please answer y or n." in capsys.readouterr().err
