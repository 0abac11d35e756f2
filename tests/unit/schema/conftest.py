"""Helpers for the schema tests: parse YAML text with positions and check it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

import pytest

from composer.errors import Diagnostic
from composer.spec.lint import lint_document
from composer.spec.validate import validate_document
from composer.spec.yamlload import parse_yaml

Check = Callable[[str], list[Diagnostic]]


def _dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture
def validate() -> Check:
    """Validate YAML text (dedented) as one Compose file; return the errors."""

    def run(text: str) -> list[Diagnostic]:
        doc = parse_yaml(_dedent(text), "compose.yaml")
        return validate_document(doc.data, doc.source)

    return run


@pytest.fixture
def lint() -> Check:
    """Lint YAML text (dedented) as one Compose file; return the warnings."""

    def run(text: str) -> list[Diagnostic]:
        doc = parse_yaml(_dedent(text), "compose.yaml")
        return lint_document(doc.data, doc.source)

    return run
