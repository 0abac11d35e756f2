"""Load stage: Compose files in, one immutable, validated, normalised Project out.

Nothing in this package talks to Docker.
"""

from composer.spec.loader import load_project
from composer.spec.project import LoadOptions, Project

__all__ = ["LoadOptions", "Project", "load_project"]
