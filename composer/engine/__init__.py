"""Engine stage: observe a project's live state and apply plans.

The only package that imports ``docker``.
"""

# Kept here, not in lease, so the CLI can use it as an option default without
# importing the Docker SDK at start.
LOCK_TIMEOUT = 60.0
"""Seconds a writer waits for the project lease unless told otherwise."""
