"""YAML syntax errors that point at the mistake, not where the parser stopped.

The parser notices an unclosed ``[``, ``{`` or quote only lines later, where
the text stops making sense.  Its context mark tells where the construct that
failed began; the character there (or a quoted string that ran over several
lines) tells whether that is where the user should look.
"""

from __future__ import annotations

import yaml

from composer.errors import ConfigError, Location

_CODE = "C102"
# The character that opens a construct: its name and the one that closes it.
_OPENERS = {
    "[": ("flow sequence", "]"),
    "{": ("flow mapping", "}"),
    '"': ("double-quoted string", '"'),
    "'": ("single-quoted string", "'"),
}


def syntax_error(exc: yaml.MarkedYAMLError, text: str, file: str) -> ConfigError:
    """The ConfigError for a YAML syntax error, located at its likely cause."""
    problem = exc.problem or exc.context or "invalid YAML"
    stop = exc.problem_mark or exc.context_mark
    if stop is None:
        return ConfigError.at(_CODE, f"invalid YAML: {problem}", Location(file))
    stopped = _location(file, stop)
    gave_up = f"the parser gave up at line {stop.line + 1}, column {stop.column + 1}"
    if not text[stop.index :].strip():
        # The file ended inside brackets or a quote: point at what is open.
        unclosed = _unclosed(text)
        if unclosed:
            return _never_closed(file, text, unclosed, f"{gave_up}: {problem}")
    start = exc.context_mark if exc.problem_mark is not None else None
    if start is not None and (start.line, start.column) != (stop.line, stop.column):
        opened = _OPENERS.get(_char_at(text, start))
        if opened is not None:
            what, closer = opened
            if start.line < stop.line:
                return ConfigError.at(
                    _CODE,
                    f"invalid YAML: this {what} is never closed (no matching {closer})",
                    _location(file, start),
                    hint=f"{gave_up}: {problem}",
                )
            return ConfigError.at(
                _CODE,
                f"invalid YAML: {problem} (in the {what} that starts at column "
                f"{start.column + 1})",
                stopped,
            )
    quote = _quote_ending_on(text, stop.line)
    if quote is not None:
        what, closer = _OPENERS[_char_at(text, quote)]
        return ConfigError.at(
            _CODE,
            f"invalid YAML: this {what} runs on to line {stop.line + 1}; is its "
            f"closing {closer} missing?",
            _location(file, quote),
            hint=f"{gave_up}: {problem}",
        )
    return ConfigError.at(
        _CODE, f"invalid YAML: {problem}", stopped, hint=_hint(text, stop, start)
    )


def _never_closed(
    file: str, text: str, unclosed: list[yaml.Mark], gave_up: str
) -> ConfigError:
    """The innermost construct left open at the end of the file, and the others."""
    innermost = unclosed[-1]
    what, closer = _OPENERS[_char_at(text, innermost)]
    hint = f"the file ends inside it; {gave_up}"
    if len(unclosed) > 1:
        outer = ", ".join(
            f"{_char_at(text, m)} at line {m.line + 1}, column {m.column + 1}"
            for m in reversed(unclosed[:-1])
        )
        hint = f"also never closed: {outer}; {hint}"
    return ConfigError.at(
        _CODE,
        f"invalid YAML: this {what} is never closed (no matching {closer})",
        _location(file, innermost),
        hint=hint,
    )


def _unclosed(text: str) -> list[yaml.Mark]:
    """The brackets and quote still open where the text ends, outermost first."""
    try:
        return _open_brackets(text)
    except yaml.MarkedYAMLError as exc:
        quote = exc.context_mark
        if quote is None or _char_at(text, quote) not in ('"', "'"):
            return []
    # The quote swallowed the rest; the brackets are those open before it.
    try:
        return [*_open_brackets(text[: quote.index]), quote]
    except yaml.YAMLError:
        return [quote]


def _open_brackets(text: str) -> list[yaml.Mark]:
    stack: list[yaml.Mark] = []
    opening = (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken)
    closing = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken)
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, opening):
            stack.append(token.start_mark)
        elif isinstance(token, closing) and stack:
            stack.pop()
    return stack


def _hint(text: str, stop: yaml.Mark, start: yaml.Mark | None) -> str | None:
    if _char_at(text, stop) == "\t":
        return "YAML indents with spaces, never tabs"
    if start is not None and start.line < stop.line:
        return (
            f"the block around it starts at line {start.line + 1}, column "
            f"{start.column + 1}; check the indentation"
        )
    return None


def _quote_ending_on(text: str, line: int) -> yaml.Mark | None:
    """Where a quoted string that spans lines and ends on ``line`` begins.

    An unclosed quote swallows the following lines up to the next quote, and
    the parser only fails after that, on the line where the string ended.
    """
    found: yaml.Mark | None = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if token.start_mark.line > line:
                break
            if (
                isinstance(token, yaml.ScalarToken)
                and token.style in _OPENERS
                and token.start_mark.line < token.end_mark.line == line
            ):
                found = token.start_mark
    except yaml.YAMLError:
        pass
    return found


def _char_at(text: str, mark: yaml.Mark) -> str:
    """The character at a mark, or "" past the end of its line."""
    lines = text.split("\n")
    if mark.line >= len(lines) or mark.column >= len(lines[mark.line]):
        return ""
    return lines[mark.line][mark.column]


def _location(file: str, mark: yaml.Mark) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)
