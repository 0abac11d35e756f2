"""The dotenv parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from composer.errors import ConfigError
from composer.spec.dotenv import parse_dotenv, read_env_file


def test_dotenv_syntax() -> None:
    """Quotes, escapes, comments, export, multi-line and expansion."""
    text = (
        "# comment\n"
        "A=1 # inline\n"
        "export B=two words\n"
        "C='lit $A'\n"
        'D="x\\ny $A"\n'
        "E='multi\nline'\n"
        "F=$A-${A}\n"
        "G=a#b\n"
        "H='it\\'s'\n"
        "I:colon\n"
    )
    env = parse_dotenv(text, "f")
    assert env == {
        "A": "1",
        "B": "two words",
        "C": "lit $A",
        "D": "x\ny 1",
        "E": "multi\nline",
        "F": "1-1",
        "G": "a#b",
        "H": "it's",
        "I": "colon",
    }


def test_bare_key_takes_lookup_value() -> None:
    """A key without a value is taken from the environment when set."""
    assert parse_dotenv("X\nY\n", "f", {"X": "from-shell"}) == {"X": "from-shell"}


def test_unterminated_quote_is_an_error() -> None:
    """An unclosed quote is a clean error with the file."""
    with pytest.raises(ConfigError, match="unterminated"):
        parse_dotenv('A="open\n', "f.env")


def test_errors_give_line_and_column() -> None:
    """A NUL byte, a broken value or an unclosed quote: file, line and column."""
    cases = {
        "A=1\nB\x00=2\n": "f.env:2:2",
        "A=1\nB='open\n": "f.env:2:3",
        "A=1\n  =value\n": "f.env:2:3",
        "A=1\nB C=2\n": "f.env:2:1",
        "A=1\nB=x ${\n": "f.env:2:3",
    }
    for text, where in cases.items():
        with pytest.raises(ConfigError) as err:
            parse_dotenv(text, "f.env")
        assert err.value.render().startswith(where), (text, err.value.render())


def test_invalid_utf8_names_line_and_column(tmp_path: Path) -> None:
    """An env file that is not UTF-8 names where the first bad byte is."""
    path = tmp_path / "x.env"
    path.write_bytes(b"A=1\nB=caf\xe9\n")
    with pytest.raises(ConfigError) as err:
        read_env_file(str(path))
    assert err.value.render().startswith(f"{path}:2:6"), err.value.render()
