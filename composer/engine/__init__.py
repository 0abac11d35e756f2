"""Engine stage: observe a project's live state and apply plans.

The only package that imports ``docker``.
"""
