"""Warnings: obsolete `version` and environment variable names nobody can read."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from composer.errors import Diagnostic
from composer.spec.lint import (
    is_valid_variable_name,
    lint_document,
    suggest_variable_name,
)
from composer.spec.source import SourceMap

Check = Callable[[str], list[Diagnostic]]


def test_version_is_obsolete(lint: Check) -> None:
    (diag,) = lint(
        """
        services:
          web:
            image: nginx
        version: "3.8"
        """
    )
    assert diag.code == "W001"
    assert diag.severity == "warning"
    assert diag.message == "`version` is obsolete and ignored"
    assert diag.key == "version"
    assert diag.location.line == 4


def test_space_in_list_entry_name(lint: Check) -> None:
    (diag,) = lint(
        """
        services:
          db:
            image: postgres
            environment:
              - POSTGRES_USER=postgres
              - POSTGRES DB=Curso
        """
    )
    assert diag.code == "W002"
    assert diag.severity == "warning"
    assert (
        diag.message
        == "`POSTGRES DB` is not a valid variable name; did you mean `POSTGRES_DB`?"
    )
    assert diag.key == "services.db.environment[1]"
    assert (diag.location.line, diag.location.column) == (6, 9)


def test_bad_name_in_mapping_form(lint: Check) -> None:
    (diag,) = lint(
        """
        services:
          db:
            image: postgres
            environment:
              GOOD: 1
              "MY VAR": 2
        """
    )
    assert diag.key == "services.db.environment.MY VAR"
    assert diag.location.line == 6
    assert "did you mean `MY_VAR`?" in diag.message


def test_names_in_hooks_are_checked(lint: Check) -> None:
    (diag,) = lint(
        """
        services:
          web:
            image: nginx
            post_start:
              - command: run
                environment: ["BAD NAME=1"]
        """
    )
    assert diag.key == "services.web.post_start[0].environment[0]"


@pytest.mark.parametrize(
    "name", ["PATH", "_x", "a1", "spring.profiles.active", "my-var", "X__Y"]
)
def test_valid_names_are_not_warned_about(name: str) -> None:
    assert is_valid_variable_name(name)


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("POSTGRES DB", "POSTGRES_DB"),
        (" LEADING", "LEADING"),
        ("A$B", "A_B"),
        ("1ABC", "_1ABC"),
        ("", None),
        ("$$$", None),
    ],
)
def test_invalid_names_and_suggestions(name: str, suggestion: str | None) -> None:
    assert not is_valid_variable_name(name)
    assert suggest_variable_name(name) == suggestion


def test_clean_file_has_no_warnings(lint: Check) -> None:
    assert (
        lint(
            """
            services:
              web:
                image: nginx
                environment: [A=1, B, C=with space, "${NAME}=1"]
            """
        )
        == []
    )


def test_tutorial_file_gets_both_warnings_with_lines(lint: Check) -> None:
    found = lint(
        """
        version: '3.8'
        services:
          mi-postgres:
            image: postgres
            environment:
              - POSTGRES_USER=postgres
              - POSTGRES DB=Curso
        """
    )
    assert [(d.code, d.location.line) for d in found] == [("W001", 1), ("W002", 7)]


@pytest.mark.parametrize(
    "doc",
    [
        None,
        [],
        "text",
        {"services": None},
        {"services": {"a": None, "b": {"environment": 3}}},
        {"services": {"a": {"environment": [1, None, {"x": 1}]}}},
        {"services": {"a": {"post_start": "x", "pre_stop": [1, None]}}},
    ],
)
def test_lint_never_fails_on_odd_input(doc: object) -> None:
    assert lint_document(doc, SourceMap("c.yaml")) == []
