"""Merge the files of a project by the Compose Specification's rules.

Mappings merge key by key; ``command``, ``entrypoint``, ``healthcheck.test``
and ``profiles`` are replaced; ports, volumes, secrets and configs merge by
their unique key; other sequences are appended without repeats.  ``!reset``
removes a value and ``!override`` replaces it without merging.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from composer.spec.ports import port_key
from composer.spec.source import KeyPath
from composer.spec.yamlload import OVERRIDE, RESET

_REPLACED = frozenset({"command", "entrypoint", "profiles"})


def _target_key(item: Any) -> Any:
    if isinstance(item, dict):
        return item.get("target") or item.get("source")
    return item


_KEYED: dict[str, Callable[[Any], Any]] = {
    "ports": lambda p: port_key(p) if isinstance(p, dict) else p,
    "volumes": _target_key,
    "secrets": _target_key,
    "configs": _target_key,
}


def merge_files(
    base: dict[str, Any], over: dict[str, Any], tags: Mapping[KeyPath, str]
) -> dict[str, Any]:
    """Merge the data of ``over`` into ``base``, returning a new mapping."""
    by_parent: dict[KeyPath, list[tuple[str, str]]] = {}
    for path, tag in tags.items():
        by_parent.setdefault(path[:-1], []).append((str(path[-1]), tag))
    return _merge_map(base, over, (), by_parent)


def _merge_map(
    base: dict[str, Any],
    over: dict[str, Any],
    path: KeyPath,
    tags: Mapping[KeyPath, list[tuple[str, str]]],
) -> dict[str, Any]:
    out = dict(base)
    tagged = dict(tags.get(path, ()))
    for key, value in over.items():
        tag = tagged.get(key)
        if tag == OVERRIDE or key not in out:
            out[key] = value
            continue
        out[key] = _merge_value(out[key], value, (*path, key), tags)
    for key, tag in tagged.items():
        if tag == RESET:
            out.pop(key, None)
    return out


def _merge_value(
    base: Any,
    over: Any,
    path: KeyPath,
    tags: Mapping[KeyPath, list[tuple[str, str]]],
) -> Any:
    in_service = len(path) == 3 and path[0] == "services"
    name = path[-1]
    if in_service and name in _REPLACED:
        return over
    if isinstance(base, dict) and isinstance(over, dict):
        if len(path) == 3 and path[0] == "services" and name == "healthcheck":
            merged = _merge_map(base, over, path, tags)
            if "test" in over:
                merged["test"] = over["test"]
            return merged
        return _merge_map(base, over, path, tags)
    if isinstance(base, list) and isinstance(over, list):
        key_fn = _KEYED.get(str(name)) if in_service else None
        if key_fn is not None:
            return _merge_keyed(base, over, key_fn)
        return _append_unique(base, over)
    return over


def _merge_keyed(
    base: list[Any], over: list[Any], key: Callable[[Any], Any]
) -> list[Any]:
    out = list(base)
    index = {_hashable(key(item)): i for i, item in enumerate(out)}
    for item in over:
        k = _hashable(key(item))
        if k in index:
            out[index[k]] = item
        else:
            index[k] = len(out)
            out.append(item)
    return out


def _append_unique(base: list[Any], over: list[Any]) -> list[Any]:
    out = list(base)
    seen = {_hashable(item) for item in out}
    for item in over:
        k = _hashable(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def _hashable(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value
