"""develop.watch rule matching, sources and engine event parsing (no engine)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from composer.engine.events import parse_event
from composer.engine.sync import tar_of
from composer.watch.develop import Rule, RuleAction
from composer.watch.sources import Sources

RULE = Rule(
    service="web",
    action=RuleAction.SYNC,
    path="/p/src",
    target="/app",
    ignore=("*.tmp", "node_modules", "/build"),
)


@pytest.mark.parametrize(
    ("path", "taken", "inside"),
    [
        ("/p/src/a.txt", True, "/app/a.txt"),
        ("/p/src/sub/b.py", True, "/app/sub/b.py"),
        ("/p/src/x.tmp", False, None),
        ("/p/src/node_modules/m.js", False, None),
        ("/p/src/deep/node_modules/m.js", False, None),
        ("/p/src/build/out", False, None),
        ("/p/src/sub/build/out", True, "/app/sub/build/out"),
        ("/p/srcx/a.txt", False, None),
        ("/p/other.txt", False, None),
    ],
)
def test_rule_takes_and_maps(path: str, taken: bool, inside: str | None) -> None:
    """Paths under the rule, minus ignored ones, map below the target."""
    assert RULE.takes(path) is taken
    if inside is not None:
        assert RULE.container_path(path) == inside


def test_include_limits_the_rule() -> None:
    """With include, only matching files are taken."""
    rule = Rule("web", RuleAction.SYNC, "/p/src", "/app", include=("*.py",))
    assert rule.takes("/p/src/a.py")
    assert not rule.takes("/p/src/a.txt")


def test_sources_concern_known_files_and_env_like_new_files() -> None:
    """Known files and new env-like files in watched directories matter."""
    sources = Sources(frozenset({"/p/compose.yaml", "/p/.env"}), frozenset({"/p"}))
    assert sources.concerns("/p/compose.yaml")
    assert sources.concerns("/p/new.env")
    assert not sources.concerns("/p/.compose.yaml.swp")
    assert not sources.concerns("/p/main.py")
    assert not sources.concerns("/elsewhere/x.env")


def test_parse_event_keeps_drift_actions_only() -> None:
    """Container die is drift; health-check exec noise is not."""
    die = {
        "Type": "container",
        "Action": "die",
        "Actor": {"ID": "abc", "Attributes": {"name": "p-web-1"}},
        "timeNano": 1_700_000_000_000_000_000,
    }
    event = parse_event(die)
    assert event is not None and event.describe() == "container p-web-1 die"
    assert parse_event({**die, "Action": "exec_start: true"}) is None
    assert parse_event({**die, "Action": "start"}) is None
    assert parse_event({**die, "Type": "network", "Action": "destroy"}) is not None


def test_tar_places_files_at_container_paths(tmp_path: Path) -> None:
    """The archive holds each file under its path in the container."""
    src = tmp_path / "a.txt"
    src.write_text("hello")
    data = tar_of([(str(src), "/app/a.txt")])
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = tar.getmember("app/a.txt")
        extracted = tar.extractfile(member)
        assert extracted is not None and extracted.read() == b"hello"


def test_project_sources_name_every_input(tmp_path: Path) -> None:
    """Compose file, .env, env_file (even one not written yet) and secret files."""
    from composer.spec import LoadOptions, load_project
    from composer.watch.sources import project_sources

    (tmp_path / "compose.yaml").write_text(
        "name: src\n"
        "services:\n"
        "  web:\n"
        "    image: busybox\n"
        "    env_file: [conf/app.env, {path: later.env, required: false}]\n"
        "    secrets: [token]\n"
        "secrets:\n"
        "  token: {file: ./token.txt}\n"
    )
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "app.env").write_text("A=1\n")
    (tmp_path / "token.txt").write_text("t")
    options = LoadOptions(cwd=str(tmp_path), environ={})
    sources = project_sources(load_project(options), options)
    expected = {"compose.yaml", ".env", "conf/app.env", "later.env", "token.txt"}
    assert {str(tmp_path / name) for name in expected} <= sources.files
    assert str(tmp_path / "conf") in sources.directories
    assert sources.concerns(str(tmp_path / "later.env"))
