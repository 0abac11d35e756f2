"""Targets beyond one Docker engine.

Each target turns the same loaded :class:`~composer.spec.Project` into what a
distributed engine understands. A target never changes the loader or the
planner; ``k8s`` renders Kubernetes manifests as plain data and does no I/O of
its own beyond reading the files that ``configs`` and ``secrets`` name.
"""
