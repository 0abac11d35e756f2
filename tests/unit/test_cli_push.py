"""`push` prints one line per pushed service image, as `pull` does."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from composer.cli import main
from composer.engine import client, images
from composer.errors import ApplyError

COMPOSE = """\
services:
  web:
    image: registry.example:5000/shop/web:1
  worker:
    image: registry.example:5000/shop/web:1
  api:
    image: registry.example:5000/shop/api:1
  local:
    build: .
"""


@pytest.fixture
def pushed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    monkeypatch.chdir(tmp_path)
    done: list[str] = []

    class FakeEngine:
        pass

    def push_image(_: Any, image: str, reporter: Any = None) -> None:
        if image.endswith("/api:1"):
            raise ApplyError(f"push of {image} failed: denied")
        done.append(image)

    monkeypatch.setattr(client, "Engine", FakeEngine)
    monkeypatch.setattr(images, "push_image", push_image)
    return done


def push(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["composer", "--progress", "plain", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    return code if isinstance(code, int) else 1


def test_each_pushed_service_image_gets_one_line(
    pushed: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert push(monkeypatch, "push", "--ignore-push-failures") == 0
    err = capsys.readouterr().err
    assert pushed == ["registry.example:5000/shop/web:1"]
    lines = [line for line in err.splitlines() if line.endswith("Pushed")]
    assert lines == ["Service web  Pushed"]
    assert "warning: push of registry.example:5000/shop/api:1 failed" in err


def test_quiet_prints_no_line(
    pushed: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert push(monkeypatch, "push", "-q", "web") == 0
    assert pushed == ["registry.example:5000/shop/web:1"]
    assert "Pushed" not in capsys.readouterr().err
