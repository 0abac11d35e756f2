"""``extends`` (same file or another file) and ``include`` of other projects."""

from __future__ import annotations

import os
from typing import Any

from composer.errors import ConfigError
from composer.spec.files import FileReader, LoadedFile, directory_of
from composer.spec.merge import merge_files
from composer.spec.normalize import absolutize_service, resolve_path

_SECTIONS = ("services", "networks", "volumes", "secrets", "configs")


def resolve_extends(loaded: LoadedFile, reader: FileReader, home: str) -> None:
    """Replace every ``extends`` of ``loaded``'s services by the merged result."""
    services = loaded.data.get("services")
    if not isinstance(services, dict):
        return
    done: dict[str, dict[str, Any]] = {}
    for name in list(services):
        services[name] = _resolved(loaded, name, reader, home, done, ())


def _resolved(
    loaded: LoadedFile,
    name: str,
    reader: FileReader,
    home: str,
    done: dict[str, dict[str, Any]],
    chain: tuple[tuple[str, str], ...],
) -> dict[str, Any]:
    key = f"{loaded.path}\0{name}"
    if key in done:
        return done[key]
    services = loaded.data.get("services") or {}
    svc = services.get(name)
    if not isinstance(svc, dict) or "extends" not in svc:
        return svc if isinstance(svc, dict) else {}
    link = (loaded.path, name)
    if link in chain:
        names = " -> ".join(n for _, n in (*chain, link))
        raise ConfigError.at(
            "C170",
            f"circular extends: {names}",
            loaded.source.locate(("services", name, "extends")),
            f"services.{name}.extends",
        )
    spec = svc["extends"]
    if isinstance(spec, str):
        spec = {"service": spec}
    base_name = str(spec.get("service"))
    source = loaded
    if spec.get("file"):
        here = directory_of(loaded.path, os.getcwd())
        path = resolve_path(str(spec["file"]), here, home)
        source = _read_base(reader, path, loaded, name)
    base_services = source.data.get("services") or {}
    if base_name not in base_services:
        raise ConfigError.at(
            "C171",
            f'cannot extend service "{base_name}": no such service in {source.path}',
            loaded.source.locate(("services", name, "extends")),
            f"services.{name}.extends",
        )
    base = _resolved(source, base_name, reader, home, done, (*chain, link))
    if source is not loaded:
        base = absolutize_service(base, directory_of(source.path, os.getcwd()), home)
    local = {k: v for k, v in svc.items() if k != "extends"}
    tags = {p: t for p, t in loaded.tags.items() if p[:2] == ("services", name)}
    merged = merge_files({"services": {name: base}}, {"services": {name: local}}, tags)
    result: dict[str, Any] = merged["services"][name]
    done[key] = result
    return result


def _read_base(
    reader: FileReader, path: str, loaded: LoadedFile, name: str
) -> LoadedFile:
    """Load the file an ``extends`` names; a missing one is reported where named."""
    try:
        return reader.read(path)
    except ConfigError as exc:
        diag = exc.diagnostics[0] if exc.diagnostics else None
        if diag is None or diag.code != "C100" or diag.location.file != path:
            raise  # the file exists but is broken: its own error names it
        key = f"services.{name}.extends.file"
        raise ConfigError.at(
            "C173",
            f"cannot read {path}, the file extended by service {name}: "
            f"{diag.message.removeprefix('cannot read file: ')}",
            loaded.source.locate(("services", name, "extends", "file")),
            key,
        ) from exc


def absolutize_resources(data: dict[str, Any], base: str, home: str) -> None:
    """Resolve relative paths of an included project against its directory."""
    for name, svc in (data.get("services") or {}).items():
        if isinstance(svc, dict):
            data["services"][name] = absolutize_service(svc, base, home)
    for section in ("secrets", "configs"):
        for key, spec in (data.get(section) or {}).items():
            if isinstance(spec, dict) and spec.get("file"):
                data[section][key] = {
                    **spec,
                    "file": resolve_path(str(spec["file"]), base, home),
                }


def merge_included(
    target: dict[str, Any], included: dict[str, Any], origin: str
) -> dict[str, Any]:
    """Add an included project's resources; a conflicting definition is an error."""
    out = dict(target)
    for section in _SECTIONS:
        incoming = included.get(section) or {}
        if not incoming:
            continue
        current = dict(out.get(section) or {})
        for key, value in incoming.items():
            if key in current and current[key] != value:
                raise ConfigError.at(
                    "C172",
                    f"{section}.{key} conflicts with imported resource from {origin}",
                    None,
                    f"{section}.{key}",
                )
            current[key] = value
        out[section] = current
    return out
