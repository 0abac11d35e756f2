"""The one error root of composer and a subclass per pipeline stage.

ComposerError
 +-- ConfigError       the project files are invalid (exit 3)
 |    +-- YamlError, SchemaError, InterpolationError, EnvFileError,
 |        ReferenceError_ (consistency checks), ProjectNameError
 +-- EngineError       the engine is unreachable or refused a call (exit 1)
 +-- ApplyError        applying a plan failed part-way (exit 1)
 +-- LockError         another writer holds the project's lease (exit 4)
 +-- UsageError        the command line is wrong, e.g. an unknown service (exit 64)

Library exceptions (PyYAML, jsonschema, the Docker SDK) are converted to these
at one boundary each, with the original kept as ``__cause__``.  The CLI
catches ComposerError once; anything else is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ExitCode:
    """Process exit codes, one per kind of outcome."""

    OK = 0
    FAILED = 1
    CHANGES = 2
    USAGE = 64  # sysexits EX_USAGE: never mistaken for "changes pending"
    INVALID = 3
    LOCKED = 4
    INTERRUPTED = 130


@dataclass(frozen=True)
class Location:
    """Where in a user's file a problem is: file, 1-based line and column."""

    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the user's input, with where and how to fix it."""

    code: str
    message: str
    location: Location = field(default_factory=Location)
    key: str | None = None
    hint: str | None = None
    severity: str = "error"

    def render(self) -> str:
        """Return the diagnostic as one or two lines of plain text."""
        head = f"{self.location}: {self.severity} {self.code}"
        if self.key:
            head += f" at {self.key}"
        text = f"{head}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ComposerError(Exception):
    """Root of every error composer raises on purpose."""

    exit_code: int = ExitCode.FAILED
    code: str = "C000"

    def __init__(
        self, message: str, diagnostics: tuple[Diagnostic, ...] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics: tuple[Diagnostic, ...] = diagnostics or ()

    def render(self) -> str:
        """Return the full message, one diagnostic per line where there are any."""
        if not self.diagnostics:
            return self.message
        return "\n".join(d.render() for d in self.diagnostics)


class ConfigError(ComposerError):
    """The project's files cannot be loaded; nothing was changed."""

    exit_code = ExitCode.INVALID
    code = "C100"

    @classmethod
    def at(
        cls,
        code: str,
        message: str,
        location: Location | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> ConfigError:
        """Build an error carrying a single diagnostic."""
        diag = Diagnostic(code, message, location or Location(), key, hint)
        return cls(diag.render(), (diag,))


class EngineError(ComposerError):
    """The Docker engine could not be reached or refused a call."""

    exit_code = ExitCode.FAILED
    code = "C200"


class ApplyError(ComposerError):
    """Applying a plan failed; the next run converges from what is left."""

    exit_code = ExitCode.FAILED
    code = "C300"


class LockError(ComposerError):
    """Another writer holds the project's lease."""

    exit_code = ExitCode.LOCKED
    code = "C400"


class UsageError(ComposerError):
    """The command line asks for something that does not exist or cannot be.

    Raised before any engine call, so nothing was changed.
    """

    exit_code = ExitCode.USAGE
    code = "C500"
