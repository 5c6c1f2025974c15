"""Benchmarks of intercom-phone-switch against its alternatives (``nox -s bench``).

Maintainer tooling, not part of the installed package. ``python bench/run.py`` runs every
measurement, prints one table and writes ``bench/results.json``.
"""
