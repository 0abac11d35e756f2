"""Interpolation: every operator, nesting, literal dollars and errors."""

from __future__ import annotations

import pytest

from composer.errors import ConfigError
from composer.spec.interpolate import Substitution, TemplateError, interpolate
from composer.spec.source import SourceMap

ENV = {"SET": "v", "EMPTY": ""}


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("$SET", "v"),
        ("${SET}", "v"),
        ("${UNSET:-d}", "d"),
        ("${EMPTY:-d}", "d"),
        ("${EMPTY-d}", ""),
        ("${UNSET-d}", "d"),
        ("${SET:+r}", "r"),
        ("${EMPTY:+r}", ""),
        ("${EMPTY+r}", "r"),
        ("${UNSET+r}", ""),
        ("${UNSET:-${SET}}", "v"),
        ('${UNSET:-{"k":1}} t', '{"k":1} t'),
        ("$$SET", "$SET"),
        ("a $ b", "a $ b"),
        ("x$}", "x$}"),
        ("$SET-suffix", "v-suffix"),
    ],
)
def test_substitution(text: str, want: str) -> None:
    """Each form evaluates as in Compose."""
    assert Substitution(ENV).substitute(text) == want


@pytest.mark.parametrize("text", ["${", "${}", "${ x}", "${x!}", "${x:-a"])
def test_invalid_forms(text: str) -> None:
    """A ``${`` that does not form an expression is an error."""
    with pytest.raises(TemplateError):
        Substitution(ENV).substitute(text)


def test_required_variable_names_it() -> None:
    """``${X:?msg}`` with X unset names X and carries the message."""
    with pytest.raises(
        TemplateError, match="required variable IMG is missing a value: no"
    ):
        Substitution(ENV).substitute("${IMG:?no}")
    assert Substitution(ENV).substitute("${EMPTY?e}") == ""


def test_error_names_key_path_and_interpolation() -> None:
    """The ConfigError says interpolation and gives the key path and line."""
    source = SourceMap("c.yaml", {("x-bad",): (3, 1)})
    with pytest.raises(ConfigError) as err:
        interpolate({"x-bad": "${"}, {}, source)
    diag = err.value.diagnostics[0]
    assert "interpolation" in diag.message and diag.key == "x-bad"
    assert diag.location.line == 3


def test_typed_paths_are_cast_and_keys_untouched() -> None:
    """deploy.replicas becomes an int; mapping keys are never substituted."""
    data = {"services": {"s": {"deploy": {"replicas": "${N}"}, "labels": {"$K": "x"}}}}
    out = interpolate(data, {"N": "3"}, SourceMap("f"))
    assert out["services"]["s"]["deploy"]["replicas"] == 3
    assert out["services"]["s"]["labels"] == {"$K": "x"}
