"""``python -m intercom_phone_switch`` and the ``intercom-phone-switch`` script.

The commands need the ``[cli]`` extra (click, rich); without it this says so in one line
and exits 2, instead of failing on an import.
"""

from __future__ import annotations

import sys


def main() -> None:
    from ._extras import MissingExtra, missing

    absent = missing("cli")
    if absent is not None:
        hint = MissingExtra("the command line", "cli", absent)
        print(f"intercom-phone-switch: {hint}", file=sys.stderr)
        raise SystemExit(2)
    from .cli import main as cli

    cli(prog_name="intercom-phone-switch")


if __name__ == "__main__":
    main()
