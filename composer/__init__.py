"""composer: keep a Docker engine equal to what a Compose file declares.

The pipeline is load (``composer.spec``) -> graph (``composer.graph``) ->
observe (``composer.engine``) -> plan (``composer.plan``) -> apply
(``composer.engine``); ``composer.cli`` is the only layer that prints.
"""

__version__ = "0.1.0"
