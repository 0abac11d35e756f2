"""Booleans that Compose leaves out of its model when they are false.

Compose keeps most boolean fields only when they are true, so its ``config``
prints no ``read_only: false``.  A few are kept either way (a service's
``init`` and ``attach``, a network's ``enable_ipv4``/``enable_ipv6``), so the
list is per field, not general.  Without interpolation Compose prints the raw
model, false values included, so these tables apply only to a typed model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from composer.spec.source import KeyPath

# ``*`` stands for every item of a list or every value of a mapping.
SERVICE_FALSE_OMITTED: tuple[KeyPath, ...] = (
    ("privileged",),
    ("read_only",),
    ("stdin_open",),
    ("tty",),
    ("oom_kill_disable",),
    ("use_api_socket",),
    ("build", "no_cache"),
    ("build", "pull"),
    ("build", "privileged"),
    ("healthcheck", "disable"),
    ("volumes", "*", "read_only"),
    ("volumes", "*", "bind", "create_host_path"),
    ("volumes", "*", "volume", "nocopy"),
    ("depends_on", "*", "restart"),
    ("develop", "watch", "*", "initial_sync"),
    ("post_start", "*", "privileged"),
    ("pre_stop", "*", "privileged"),
)

RESOURCE_FALSE_OMITTED: Mapping[str, tuple[KeyPath, ...]] = {
    "networks": (("external",), ("internal",), ("attachable",)),
    "volumes": (("external",),),
    "secrets": (("external",),),
    "configs": (("external",),),
}

_Trie = dict[str, "_Trie"]


def _trie(paths: Iterable[KeyPath]) -> _Trie:
    """Paths as nested mappings; an empty mapping marks a boolean to drop."""
    root: _Trie = {}
    for path in paths:
        node = root
        for part in path:
            node = node.setdefault(str(part), {})
    return root


_SERVICE_TRIE = _trie(SERVICE_FALSE_OMITTED)
_RESOURCE_TRIES = {k: _trie(v) for k, v in RESOURCE_FALSE_OMITTED.items()}


def drop_false_service(service: dict[str, Any]) -> dict[str, Any]:
    """A copy of a finished service without the false booleans Compose omits."""
    pruned: dict[str, Any] = _prune(service, _SERVICE_TRIE)
    return pruned


def drop_false_resource(section: str, spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of a top-level network, volume, secret or config, likewise."""
    trie = _RESOURCE_TRIES.get(section)
    if trie is None:
        return spec
    pruned: dict[str, Any] = _prune(spec, trie)
    return pruned


def _prune(value: Any, trie: _Trie) -> Any:
    if isinstance(value, list):
        items = trie.get("*")
        return [_prune(v, items) for v in value] if items else value
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        sub = trie.get(key, trie.get("*"))
        if sub is None:
            out[key] = item
        elif not sub:
            if item is not False:
                out[key] = item
        else:
            out[key] = _prune(item, sub)
    return out
