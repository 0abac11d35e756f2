"""load_project: the whole load stage, from options to one normalised Project."""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from composer.errors import ConfigError, Diagnostic, Location
from composer.spec.checks import CheckInput, run_checks
from composer.spec.discovery import (
    check_name,
    find_files,
    normalize_name,
    project_env_files,
    read_project_env,
)
from composer.spec.dotenv import read_env_file
from composer.spec.extends import (
    absolutize_resources,
    merge_included,
    resolve_extends,
)
from composer.spec.files import FileReader, LoadedFile, directory_of
from composer.spec.merge import merge_files
from composer.spec.normalize import (
    Context,
    env_file_paths,
    finish_resources,
    finish_service,
    label_file_paths,
    resolve_path,
)
from composer.spec.profiles import select_services
from composer.spec.project import LoadOptions, Project
from composer.spec.remote import (
    RemoteError,
    fetch_git_include,
    is_oci,
    parse_git_source,
    redact,
)
from composer.spec.source import KeyPath, SourceMap, format_key

log = logging.getLogger(__name__)


class _Sources:
    """Locates a key path in whichever loaded file defines it most precisely."""

    def __init__(self) -> None:
        self.maps: list[SourceMap] = []

    def add(self, source: SourceMap) -> None:
        """Remember the positions of one more file."""
        self.maps.append(source)

    def locate(self, path: KeyPath) -> Location:
        """The most precise known position of ``path`` across files."""
        best: Location | None = None
        best_depth = -1
        for source in reversed(self.maps):
            for depth in range(len(path), -1, -1):
                mark = source.marks.get(tuple(path[:depth]))
                if mark is not None:
                    if depth > best_depth:
                        best_depth = depth
                        best = Location(source.file, mark[0], mark[1])
                    break
        return best or Location()


@dataclass
class _Session:
    """What every file of one load shares."""

    sources: _Sources
    warnings: list[Diagnostic]
    home: str
    #: The process environment, which git runs with for remote includes.
    environ: Mapping[str, str]
    #: Local files of the remote include paths fetched so far.
    fetched: dict[str, tuple[str, ...]] = field(default_factory=dict)


def load_project(options: LoadOptions) -> Project:
    """Load, merge, validate and normalise the project described by ``options``."""
    with _collector_paused():
        return _load_project(options)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a project loads.

    Loading allocates hundreds of thousands of small, acyclic objects (YAML
    nodes, then plain values); with the collector on, its repeated passes over
    them took more than half the time of a 1,000-service file.  Reference
    counting still frees everything; cycles wait for the collector's next run.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load_project(options: LoadOptions) -> Project:
    environ = dict(os.environ if options.environ is None else options.environ)
    cwd = options.cwd or os.getcwd()
    home = environ.get("HOME") or os.path.expanduser("~")
    early_file = _early_env_file(options, environ, cwd)
    early = environ
    if early_file is not None:
        early = {**read_env_file(early_file, environ), **environ}
    found = find_files(options.files, options.project_directory, early, cwd)
    env_paths = project_env_files(found.working_dir, options.env_files, environ, cwd)
    env = read_project_env(env_paths, environ)
    reader = FileReader(env, options.interpolate)
    for path in (early_file, *env_paths):
        if path is not None:
            reader.note(path)
    sources = _Sources()
    warnings: list[Diagnostic] = []
    session = _Session(sources, warnings, home, environ)
    data = _load_files(found.files, reader, session)
    name = _project_name(options, env, data, found.working_dir, sources)
    data["name"] = name
    profiles = _active_profiles(options, env)
    ctx = Context(found.working_dir, env, home, options.interpolate)
    model, disabled = _build_model(data, name, profiles, options.services, ctx, sources)
    findings = run_checks(CheckInput(model, disabled, sources.locate))
    warnings.extend(findings.warnings)
    if findings.errors:
        raise ConfigError(
            f"{len(findings.errors)} error(s) in the project",
            tuple(findings.errors) + tuple(warnings),
        )
    finish_resources(model, name, ctx)
    env_files = _service_files(data, model, ctx, env_file_paths)
    for path in (*env_files, *_service_files(data, model, ctx, label_file_paths)):
        reader.note(path)
    for path in _resource_files(model):
        reader.note(path)
    for diag in warnings:
        log.debug("load warning %s at %s", diag.code, diag.location)
    return Project(
        name=name,
        working_dir=found.working_dir,
        config_files=tuple(f for f in found.files),
        model=model,
        environment=env,
        source_files=tuple(reader.read_files),
        env_files=env_files,
        profiles=profiles,
        warnings=tuple(warnings),
        all_profiles=_all_profiles(data),
        locator=sources.locate,
    )


def _all_profiles(data: Mapping[str, Any]) -> tuple[str, ...]:
    names: set[str] = set()
    for svc in (data.get("services") or {}).values():
        if isinstance(svc, dict):
            names.update(str(p) for p in svc.get("profiles") or ())
    return tuple(sorted(names))


def _service_files(
    data: Mapping[str, Any],
    model: Mapping[str, Any],
    ctx: Context,
    paths_of: Callable[[Mapping[str, Any], Context], list[str]],
) -> tuple[str, ...]:
    """Files named by the enabled services, found by ``paths_of``."""
    services: Mapping[str, Any] = data.get("services") or {}
    return tuple(
        path for svc in model["services"] for path in paths_of(services[svc], ctx)
    )


def _resource_files(model: Mapping[str, Any]) -> list[str]:
    """The ``file`` paths of the used secrets and configs (already absolute)."""
    return [
        str(spec["file"])
        for section in ("secrets", "configs")
        for spec in (model.get(section) or {}).values()
        if isinstance(spec, Mapping) and spec.get("file")
    ]


def _early_env_file(
    options: LoadOptions, environ: Mapping[str, str], cwd: str
) -> str | None:
    """The local ``.env`` whose variables may tell where the Compose files are."""
    if options.files or "COMPOSE_FILE" in environ or options.env_files:
        return None
    base = os.path.join(cwd, options.project_directory or ".")
    candidate = os.path.abspath(os.path.join(base, ".env"))
    return candidate if os.path.isfile(candidate) else None


def _load_files(
    paths: tuple[str, ...],
    reader: FileReader,
    session: _Session,
    chain: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Read, resolve and merge files in order."""
    merged: dict[str, Any] = {}
    for path in paths:
        if path in chain:
            cycle = " -> ".join((*chain[chain.index(path) :], path))
            raise ConfigError.at(
                "C174", f"include cycle detected: {cycle}", Location(path)
            )
        loaded = reader.read(path)
        session.sources.add(loaded.source)
        session.warnings.extend(loaded.warnings)
        resolve_extends(loaded, reader, session.home)
        data = dict(loaded.data)
        if "include" in data:
            data = _include(loaded, data, reader, session, (*chain, path))
        merged = merge_files(merged, data, loaded.tags)
    return merged


def _include(
    loaded: LoadedFile,
    data: dict[str, Any],
    reader: FileReader,
    session: _Session,
    chain: tuple[str, ...],
) -> dict[str, Any]:
    entries = data.pop("include") or []
    here = directory_of(loaded.path, os.getcwd())
    home = session.home
    for index, entry in enumerate(entries):
        spec = {"path": entry} if isinstance(entry, str) else dict(entry)
        files = _included_files(loaded, index, spec.get("path"), here, session)
        project_dir = spec.get("project_directory")
        base = (
            resolve_path(str(project_dir), here, home)
            if project_dir
            else os.path.dirname(files[0])
        )
        sub_reader = reader
        env_paths = _include_env_files(spec.get("env_file"), here, base, home)
        if env_paths:
            extra: dict[str, str] = {}
            for env_path in env_paths:
                reader.note(env_path)
                extra.update(read_env_file(env_path))
            sub_reader = reader.derive({**extra, **reader.environ})
        sub = _load_files(files, sub_reader, session, chain)
        # Compose resolves against project_directory when that directory
        # exists, and against the included file's own directory otherwise.
        anchor = base if os.path.isdir(base) else os.path.dirname(files[0])
        absolutize_resources(sub, anchor, home)
        data = merge_included(data, sub, files[0])
    return data


def _included_files(
    loaded: LoadedFile, index: int, raw: Any, here: str, session: _Session
) -> tuple[str, ...]:
    """The local files of one include entry, remote ones fetched first."""
    listed = isinstance(raw, list)
    paths = list(raw or []) if listed else [raw]
    files = []
    for number, path in enumerate(paths):
        key: KeyPath = ("include", index)
        if not isinstance(loaded.data["include"][index], str):
            key = (*key, "path", number) if listed else (*key, "path")
        where = loaded.source.locate(key)
        for file in _include_file(str(path), here, session, where, format_key(key)):
            if not os.path.isfile(file):
                raise ConfigError.at(
                    "C173", f"included file {file} not found", where, format_key(key)
                )
            files.append(file)
    return tuple(files)


def _include_file(
    path: str, here: str, session: _Session, where: Location, key: str
) -> tuple[str, ...]:
    """The local files an include path names; a remote source is fetched."""
    try:
        fetched = session.fetched.get(path)
        if fetched is not None:
            return fetched
        if is_oci(path):
            # Imported here: its HTTP client slows every load otherwise.
            from composer.spec.oci import fetch_oci_include

            fetched = fetch_oci_include(path, session.environ)
        else:
            source = parse_git_source(path)
            if source is None:
                return (resolve_path(path, here, session.home),)
            fetched = (fetch_git_include(source, session.environ),)
        session.fetched[path] = fetched
    except RemoteError as exc:
        code = "C176" if is_oci(path) else "C175"
        raise ConfigError.at(
            code,
            f"cannot include {redact(path)}: {redact(exc.message)}",
            where,
            key,
            exc.hint,
        ) from exc
    return fetched


def _include_env_files(raw: Any, here: str, project_dir: str, home: str) -> list[str]:
    """An include's ``env_file`` paths, else its project directory's ``.env``."""
    if raw:
        names = [raw] if isinstance(raw, str) else list(raw)
        return [resolve_path(str(name), here, home) for name in names]
    default = os.path.join(project_dir, ".env")
    return [default] if os.path.isfile(default) else []


def _project_name(
    options: LoadOptions,
    env: Mapping[str, str],
    data: Mapping[str, Any],
    working_dir: str,
    sources: _Sources,
) -> str:
    if options.project_name:
        return check_name(options.project_name, "-p/--project-name")
    if env.get("COMPOSE_PROJECT_NAME"):
        return check_name(env["COMPOSE_PROJECT_NAME"], "COMPOSE_PROJECT_NAME")
    if data.get("name"):
        # Compose normalises a top-level name: like a directory name.
        from_file = normalize_name(str(data["name"]))
        return check_name(from_file, "name:", sources.locate(("name",)))
    name = normalize_name(os.path.basename(working_dir.rstrip(os.sep)))
    if not name:
        raise ConfigError.at(
            "C134",
            f"cannot derive a project name from the directory {working_dir}",
            Location(working_dir),
            hint="set one with -p NAME or a top-level name:",
        )
    return name


def _active_profiles(options: LoadOptions, env: Mapping[str, str]) -> tuple[str, ...]:
    if options.profiles:
        return tuple(options.profiles)
    raw = env.get("COMPOSE_PROFILES", "")
    return tuple(p.strip() for p in raw.split(",") if p.strip())


def _build_model(
    data: dict[str, Any],
    name: str,
    profiles: tuple[str, ...],
    selected: tuple[str, ...],
    ctx: Context,
    sources: _Sources,
) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
    """Apply profiles and selection, then finish each enabled service."""
    services: dict[str, Any] = data.get("services") or {}
    enabled, disabled = select_services(services, profiles, selected)
    model: dict[str, Any] = {k: v for k, v in data.items() if k != "services"}
    model["services"] = {
        svc: _finish(svc, services[svc], ctx, sources) for svc in sorted(enabled)
    }
    return model, disabled


def _finish(name: str, svc: Any, ctx: Context, sources: _Sources) -> dict[str, Any]:
    """Finish one service; an error without a line points at its key."""
    try:
        return finish_service(name, svc, ctx)
    except ConfigError as exc:
        diag = exc.diagnostics[0] if exc.diagnostics else None
        if diag is None or diag.location.line is not None or diag.key is None:
            raise
        path = tuple(diag.key.split("."))
        raise ConfigError.at(
            diag.code, diag.message, sources.locate(path), diag.key, diag.hint
        ) from exc
