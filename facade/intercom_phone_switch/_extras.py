"""Optional parts of the package and the extras that install them.

The plain install is the client. The fake Intercom, the command line and the contract
runner each need libraries that only their extra installs; importing one of them without
its extra raises MissingExtra, whose one-line message says what to install.
"""

from __future__ import annotations

import importlib.util

__all__ = ["EXTRAS", "MissingExtra", "missing", "require"]

#: Extra -> the top-level modules it brings (what `pip install ...[extra]` adds).
EXTRAS: dict[str, tuple[str, ...]] = {
    "fake": ("starlette", "uvicorn", "click", "rich"),
    "cli": ("click", "rich"),
    "contract": ("schemathesis", "starlette", "uvicorn", "click", "rich"),
}


class MissingExtra(ImportError):
    """A part of the package was used without the extra that installs its libraries."""

    def __init__(self, part: str, extra: str, module: str) -> None:
        self.part, self.extra = part, extra
        super().__init__(
            f"{part} needs the [{extra}] extra ({module} is not installed): "
            f"pip install 'intercom-phone-switch[{extra}]'",
            name=module,
        )


def missing(extra: str) -> str | None:
    """The first module of ``extra`` that is not installed, or None."""
    for module in EXTRAS[extra]:
        if importlib.util.find_spec(module) is None:
            return module
    return None


def require(part: str, extra: str) -> None:
    """Raise MissingExtra unless every module of ``extra`` is installed."""
    module = missing(extra)
    if module is not None:
        raise MissingExtra(part, extra, module)
