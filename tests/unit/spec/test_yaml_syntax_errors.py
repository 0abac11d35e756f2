"""YAML syntax errors point at the unclosed bracket or quote, with both places."""

from __future__ import annotations

from pathlib import Path

import pytest

from composer.errors import ConfigError, Diagnostic
from composer.spec import LoadOptions, load_project
from composer.spec.yamlload import parse_yaml


def _error(text: str) -> Diagnostic:
    with pytest.raises(ConfigError) as err:
        parse_yaml(text, "compose.yaml")
    assert len(err.value.diagnostics) == 1
    return err.value.diagnostics[0]


@pytest.mark.parametrize(
    ("text", "line", "column", "what", "gave_up"),
    [
        (
            'services:\n  web:\n    ports: ["80:80", "443:443"\n    image: nginx\n',
            3,
            12,
            "flow sequence is never closed (no matching ])",
            "line 4, column 5",
        ),
        (
            "services:\n  web: {image: nginx, ports: [80]\n  db:\n    image: pg\n",
            2,
            8,
            "flow mapping is never closed (no matching })",
            "line 3, column 3",
        ),
        (
            'services:\n  web:\n    image: "nginx\n    ports:\n      - 80\n',
            3,
            12,
            'double-quoted string is never closed (no matching ")',
            "line 6, column 1",
        ),
        (
            "services:\n  web:\n    image: 'nginx\n    ports:\n      - 80\n",
            3,
            12,
            "single-quoted string is never closed (no matching ')",
            "line 6, column 1",
        ),
    ],
)
def test_unclosed_construct_points_where_it_opened(
    text: str, line: int, column: int, what: str, gave_up: str
) -> None:
    """The error is at the opening character; the hint says where parsing stopped."""
    diag = _error(text)
    assert (diag.location.file, diag.location.line) == ("compose.yaml", line)
    assert diag.location.column == column
    assert what in diag.message
    assert diag.hint is not None and f"the parser gave up at {gave_up}" in diag.hint


def test_quote_closed_by_a_later_quote_points_at_the_first() -> None:
    """An unclosed quote that swallows lines up to the next quote is named."""
    text = (
        'services:\n  web:\n    image: "nginx\n    ports:\n      - "80:80"\n'
        "  db:\n    image: pg\n"
    )
    diag = _error(text)
    assert (diag.location.line, diag.location.column) == (3, 12)
    assert "runs on to line 5" in diag.message
    assert 'closing " missing' in diag.message
    assert diag.hint is not None and "line 5, column 10" in diag.hint


def test_missing_comma_stays_where_it_is() -> None:
    """On the bracket's own line the mistake is where the parser stopped."""
    diag = _error('services:\n  web:\n    command: ["a" "b"]\n')
    assert (diag.location.line, diag.location.column) == (3, 19)
    assert "flow sequence that starts at column 14" in diag.message


def test_bad_indentation_names_the_enclosing_block() -> None:
    """A key indented wrongly is reported on its line, with the block's start."""
    diag = _error("services:\n  web:\n    image: x\n   ports: 1\n")
    assert (diag.location.line, diag.location.column) == (4, 4)
    assert (
        diag.hint
        == "the block around it starts at line 2, column 3; check the indentation"
    )


def test_tab_indentation_has_a_hint() -> None:
    """A tab where indentation belongs is explained."""
    diag = _error("services:\n\tweb: 1\n")
    assert (diag.location.line, diag.location.column) == (2, 1)
    assert diag.hint == "YAML indents with spaces, never tabs"


@pytest.mark.parametrize(
    ("text", "line", "column", "what", "outer"),
    [
        ("services: {web: [", 1, 17, "flow sequence", "{ at line 1, column 11"),
        ("services: {web: [\n", 1, 17, "flow sequence", "{ at line 1, column 11"),
        ("services: {web: {image: x}\n", 1, 11, "flow mapping", None),
        ("x: 'abc", 1, 4, "single-quoted string", None),
        ('x: "abc\n', 1, 4, "double-quoted string", None),
        (
            "services: {web: [a, {b: [",
            1,
            25,
            "flow sequence",
            "{ at line 1, column 21, [ at line 1, column 17, { at line 1, column 11",
        ),
        (
            "services:\n  web:\n    command: [a, {b: 'c\n",
            3,
            22,
            "single-quoted string",
            "{ at line 3, column 18, [ at line 3, column 14",
        ),
    ],
)
def test_unclosed_at_end_of_file_points_where_it_opened(
    text: str, line: int, column: int, what: str, outer: str | None
) -> None:
    """A file that ends inside brackets or a quote names the innermost opener,
    and the hint lists the others still open, outermost last."""
    diag = _error(text)
    assert (diag.location.line, diag.location.column) == (line, column)
    assert f"this {what} is never closed" in diag.message
    assert diag.hint is not None and "the file ends inside it" in diag.hint
    assert "the parser gave up at" in diag.hint
    if outer is None:
        assert "also never closed" not in diag.hint
    else:
        assert f"also never closed: {outer};" in diag.hint


def test_loading_a_project_reports_the_unclosed_bracket(tmp_path: Path) -> None:
    """watch and sync load projects this way: their message is the same."""
    (tmp_path / "compose.yaml").write_text("services: {web: [")
    with pytest.raises(ConfigError) as err:
        load_project(LoadOptions(cwd=str(tmp_path), environ={}))
    text = err.value.render()
    assert "compose.yaml:1:17: error C102: invalid YAML: this flow sequence" in text
    assert "also never closed: { at line 1, column 11" in text
