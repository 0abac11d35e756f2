"""Load stage: Compose files in, one immutable, validated, normalised Project out.

Nothing in this package talks to Docker.
"""
