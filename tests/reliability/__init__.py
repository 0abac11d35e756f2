"""Reliability suites of issue 8: each measures, prints and checks its figures."""
