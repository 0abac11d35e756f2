"""Kubernetes target: a Project rendered as manifests for ``kubectl apply``.

``render`` is a pure function of the Project (it reads only the files that
``configs`` and ``secrets`` name, through an injectable reader). Every Compose
feature it cannot express comes back as a warning Diagnostic, never dropped
silently. Every object carries the ``app.kubernetes.io/part-of`` label, so a
prune selector finds exactly the project's objects.
"""

from composer.targets.k8s.output import to_stream, write_directory
from composer.targets.k8s.render import Rendering, render

__all__ = ["Rendering", "render", "to_stream", "write_directory"]
