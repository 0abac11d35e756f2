"""Property tests: any input loads or fails with a ComposerError, never otherwise."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composer.errors import ComposerError, ConfigError
from composer.spec.loader import load_project
from composer.spec.project import LoadOptions, Project
from composer.spec.source import SourceMap
from composer.spec.validate import validate_document

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

NAME = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
VAR = st.from_regex(r"[A-Z_][A-Z0-9_]{0,6}", fullmatch=True)
PLAIN = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12
)


def _load(text: str, environ: dict[str, str] | None = None) -> Project:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "compose.yaml"
        path.write_text(text, encoding="utf-8")
        env = {"PATH": "/usr/bin:/bin", "HOME": tmp, **(environ or {})}
        options = LoadOptions(
            files=(str(path),), project_name="prop", environ=env, cwd=tmp
        )
        return load_project(options)


def _load_or_composer_error(text: str, environ: dict[str, str] | None = None) -> None:
    try:
        _load(text, environ)
    except ComposerError as exc:
        assert exc.render()


@st.composite
def valid_projects(draw: st.DrawFn) -> dict[str, Any]:
    """A project the specification accepts: services with common attributes."""
    names = draw(st.lists(NAME, min_size=1, max_size=5, unique=True))
    services: dict[str, Any] = {}
    for index, name in enumerate(names):
        service: dict[str, Any] = {"image": draw(st.sampled_from(["nginx", "a/b:1"]))}
        if draw(st.booleans()):
            service["ports"] = draw(
                st.lists(
                    st.integers(1, 65535).map(str)
                    | st.tuples(st.integers(1, 65535), st.integers(1, 65535)).map(
                        lambda p: f"{p[0]}:{p[1]}"
                    )
                    | st.builds(
                        lambda t, p: {"target": t, "published": str(p)},
                        st.integers(1, 65535),
                        st.integers(1, 65535),
                    ),
                    max_size=3,
                )
            )
        if draw(st.booleans()):
            pairs = draw(st.dictionaries(VAR, PLAIN, max_size=3))
            if draw(st.booleans()):
                service["environment"] = pairs
            else:
                service["environment"] = [f"{k}={v}" for k, v in pairs.items()]
        earlier = names[:index]
        if earlier and draw(st.booleans()):
            deps = draw(st.lists(st.sampled_from(earlier), unique=True, max_size=2))
            if deps:
                service["depends_on"] = deps
        if draw(st.booleans()):
            service["restart"] = draw(st.sampled_from(["no", "always", "on-failure"]))
        if draw(st.booleans()):
            service["labels"] = draw(st.dictionaries(NAME, PLAIN, max_size=2))
        if draw(st.booleans()):
            service["x-note"] = draw(PLAIN)
        services[name] = service
    return {"services": services}


@SETTINGS
@given(valid_projects())
def test_valid_projects_load(project: dict[str, Any]) -> None:
    loaded = _load(yaml.safe_dump(project))
    assert set(loaded.model["services"]) == set(project["services"])


SCHEMA_WORDS = st.sampled_from(
    [
        *("image", "ports", "build", "depends_on", "environment", "volumes"),
        *("deploy", "replicas", "networks", "healthcheck", "test", "target"),
        *("x-a", "a b"),
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-3, 70000)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["3", "yes", "80:80", "${X}", "a=b", "service_healthy"])
    | PLAIN
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(SCHEMA_WORDS | NAME, inner, max_size=3)
    ),
    max_leaves=10,
)
RANDOM_PROJECTS = st.fixed_dictionaries(
    {"services": st.dictionaries(NAME | st.just("a b"), VALUES, max_size=3)},
    optional={
        "networks": st.dictionaries(NAME, VALUES, max_size=2),
        "volumes": st.dictionaries(NAME, VALUES, max_size=2),
        "version": SCALARS,
        "foo": VALUES,
    },
)


@SETTINGS
@given(RANDOM_PROJECTS)
def test_random_projects_load_or_fail_cleanly(project: dict[str, Any]) -> None:
    _load_or_composer_error(yaml.safe_dump(project))


@SETTINGS
@given(RANDOM_PROJECTS)
def test_schema_errors_are_reported_as_diagnostics(project: dict[str, Any]) -> None:
    for diag in validate_document(project, SourceMap("compose.yaml")):
        assert diag.code.startswith("S")
        assert diag.message
        assert diag.location.file == "compose.yaml"


TEMPLATE_PARTS = st.sampled_from(
    [
        *("$", "$$", "{", "}", "${", ":-", "-", ":?", "?", ":+", "+", "A", "B_1"),
        *(" ", "${A}", "${A:-x}", "${B:?no}", "$A", "${A:+y}", "}}", "\\", "'", '"'),
    ]
)
TEMPLATES = st.lists(TEMPLATE_PARTS | PLAIN, max_size=8).map("".join)
ENVIRON = st.dictionaries(st.sampled_from(["A", "B_1", "X"]), PLAIN, max_size=3)


@SETTINGS
@given(TEMPLATES, TEMPLATES, ENVIRON)
def test_interpolation_strings_load_or_fail_cleanly(
    image: str, value: str, environ: dict[str, str]
) -> None:
    project = {
        "services": {
            "web": {
                "image": image or "x",
                "environment": {"V": value},
                "deploy": {"replicas": value},
                "ports": [value],
            }
        }
    }
    _load_or_composer_error(yaml.safe_dump(project), environ)


@SETTINGS
@given(st.text(max_size=60))
def test_any_text_loads_or_fails_cleanly(text: str) -> None:
    _load_or_composer_error(text)


def test_a_broken_file_is_a_config_error() -> None:
    # Guards the properties above: a plainly invalid file must not load.
    try:
        _load("services:\n  web:\n    image: [1]\n")
    except ConfigError as exc:
        assert any(d.code == "S002" for d in exc.diagnostics)
    else:
        raise AssertionError("an invalid file loaded")
