"""Which services are enabled: profiles, and services named on the command line."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from composer.errors import UsageError


def service_profiles(svc: Any) -> tuple[str, ...]:
    """The profiles a service belongs to."""
    if not isinstance(svc, dict):
        return ()
    return tuple(str(p) for p in svc.get("profiles") or ())


def unknown_service(name: str, services: Iterable[str]) -> UsageError:
    """The error for a service named on the command line that does not exist."""
    known = ", ".join(sorted(services)) or "none"
    return UsageError(f"no such service: {name} (known services: {known})")


def select_services(
    services: Mapping[str, Any],
    active: tuple[str, ...],
    selected: tuple[str, ...],
) -> tuple[set[str], dict[str, tuple[str, ...]]]:
    """Return the enabled services and, for the others, their profiles.

    A service is enabled when it has no profile, one of its profiles is active
    (``*`` activates all), or it is named in ``selected``; with a selection,
    only the named services and what they depend on are kept.
    """
    unknown = [s for s in selected if s not in services]
    if unknown:
        raise unknown_service(unknown[0], services)
    wildcard = "*" in active
    by_profile = {
        name
        for name, svc in services.items()
        if not service_profiles(svc)
        or wildcard
        or set(service_profiles(svc)) & set(active)
    }
    by_profile.update(selected)
    if selected:
        enabled: set[str] = set()
        todo = list(selected)
        while todo:
            name = todo.pop()
            if name in enabled or name not in by_profile:
                continue
            enabled.add(name)
            svc = services.get(name)
            deps = svc.get("depends_on") if isinstance(svc, dict) else None
            todo.extend(str(d) for d in deps or {})
    else:
        enabled = by_profile
    disabled = {
        name: service_profiles(svc)
        for name, svc in services.items()
        if name not in enabled
    }
    return enabled, disabled
