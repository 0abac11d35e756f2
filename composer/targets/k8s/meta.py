"""Names, labels and object metadata shared by every rendered manifest."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from composer.errors import Diagnostic

PART_OF = "app.kubernetes.io/part-of"
NAME = "app.kubernetes.io/name"
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "composer"

_INVALID = re.compile(r"[^a-z0-9-]+")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Context:
    """What every translation needs to know about the project being rendered."""

    project: str
    namespace: str | None


def dns_label(name: str, limit: int = 63) -> str:
    """``name`` as an RFC 1035 label: lowercase, ``-`` for the rest, a letter first."""
    text = _INVALID.sub("-", name.lower()).strip("-")
    if not text or not text[0].isalpha():
        text = f"x-{text}".rstrip("-")
    return text[:limit].rstrip("-")


def label_value(value: str) -> str:
    """``value`` made acceptable as a Kubernetes label value."""
    if len(value) <= 63 and _LABEL_VALUE.match(value):
        return value
    return dns_label(value)


def labels(ctx: Context, service: str | None = None) -> dict[str, str]:
    """The labels that tie an object to the project (and to one service)."""
    out = {PART_OF: label_value(ctx.project)}
    if service is not None:
        out[NAME] = label_value(service)
    out[MANAGED_BY] = MANAGER
    return out


def selector(ctx: Context, service: str) -> dict[str, str]:
    """The pod labels that select one service's pods."""
    return {PART_OF: label_value(ctx.project), NAME: label_value(service)}


def metadata(ctx: Context, name: str, service: str | None = None) -> dict[str, Any]:
    """``metadata`` of an object: its name, namespace and ownership labels."""
    out: dict[str, Any] = {"name": name}
    if ctx.namespace:
        out["namespace"] = ctx.namespace
    out["labels"] = labels(ctx, service)
    return out


def warning(code: str, message: str, key: str, hint: str | None = None) -> Diagnostic:
    """A warning about a Compose feature that was not (fully) translated."""
    return Diagnostic(code, message, key=key, hint=hint, severity="warning")
