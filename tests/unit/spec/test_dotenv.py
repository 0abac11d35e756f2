"""The dotenv parser."""

from __future__ import annotations

import pytest

from composer.errors import ConfigError
from composer.spec.dotenv import parse_dotenv


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
