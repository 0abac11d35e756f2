"""The YAML reader: YAML 1.2 scalars, positions, duplicates, tags, bombs."""

from __future__ import annotations

import pytest

from composer.errors import ConfigError
from composer.spec.yamlload import OVERRIDE, RESET, decode, parse_yaml


def test_yaml_1_2_scalars() -> None:
    """No base-60, yes/no/on/off stay strings, only true/false are booleans."""
    doc = parse_yaml("a: 2122:22\nb: yes\nc: on\nd: true\ne: 0x1F\nf: 1.5\ng: ~\n", "f")
    assert doc.data == {
        "a": "2122:22",
        "b": "yes",
        "c": "on",
        "d": True,
        "e": 31,
        "f": 1.5,
        "g": None,
    }


def test_quoted_scalars_stay_strings() -> None:
    """A quoted number or boolean is a string."""
    assert parse_yaml("a: '1'\nb: \"true\"\n", "f").data == {"a": "1", "b": "true"}


def test_leading_zero_is_octal_like_compose() -> None:
    """Compose's YAML library reads 0755 as an octal number."""
    assert parse_yaml("a: 0755\nb: 0\n", "f").data == {"a": 493, "b": 0}


def test_positions_of_keys_and_items() -> None:
    """Every key and list item has its 1-based line and column."""
    doc = parse_yaml("services:\n  web:\n    ports:\n      - 80\n", "c.yaml")
    assert doc.source.marks[("services", "web")] == (2, 3)
    assert doc.source.marks[("services", "web", "ports", 0)] == (4, 9)
    assert str(doc.source.locate(("services", "web", "ports", 0))) == "c.yaml:4:9"


def test_duplicate_key_names_both_lines() -> None:
    """A repeated key is an error at the second key naming the first's line."""
    with pytest.raises(ConfigError) as err:
        parse_yaml("s:\n  command: a\n  command: b\n", "c.yaml")
    diag = err.value.diagnostics[0]
    assert 'mapping key "command" already defined at line 2' in diag.message
    assert diag.location.line == 3


def test_merge_keys_and_aliases() -> None:
    """``<<`` merges an anchored mapping; explicit keys win."""
    text = "x: &base {image: a, tty: true}\ns:\n  <<: *base\n  image: b\n"
    assert parse_yaml(text, "f").data["s"] == {"image": "b", "tty": True}


def test_reset_and_override_tags_are_recorded() -> None:
    """``!reset`` removes the key and records it; ``!override`` keeps the value."""
    doc = parse_yaml("s:\n  a: !reset []\n  b: !override [1]\n", "f")
    assert doc.data == {"s": {"b": [1]}}
    assert doc.tags == {("s", "a"): RESET, ("s", "b"): OVERRIDE}


def test_alias_bomb_is_refused() -> None:
    """Nested aliases that expand to millions of nodes are an error."""
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for prev, cur in zip("abcdefg", "bcdefgh", strict=True):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    with pytest.raises(ConfigError, match="alias bomb"):
        parse_yaml("\n".join(lines) + "\n", "f")


def test_syntax_error_has_position() -> None:
    """A YAML syntax error becomes a ConfigError with a line."""
    with pytest.raises(ConfigError) as err:
        parse_yaml("a: [1,\nb: 2\n", "f")
    assert err.value.diagnostics[0].location.line is not None


@pytest.mark.parametrize(("raw", "word"), [(b"a: \xff\n", "UTF-8"), (b"a\x00b", "NUL")])
def test_binary_or_non_utf8_input(raw: bytes, word: str) -> None:
    """Undecodable bytes give a clean error."""
    with pytest.raises(ConfigError, match=word):
        decode(raw, "f")


def test_empty_document() -> None:
    """An empty file parses to None (the loader reports it)."""
    assert parse_yaml("", "f").data is None
