"""Run composer as ``python -m composer``."""

from composer.cli import main

main()
