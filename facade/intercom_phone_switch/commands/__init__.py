"""Subcommands of the ``intercom-phone-switch`` console script, one module each."""
