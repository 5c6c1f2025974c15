"""Lazy exports for a package: names are imported from their module on first use."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose ``homes`` map each public
    name to the submodule defining it (relative, as in ``"._client"`` or ``"report"``)."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = home if home.startswith(".") else f".{home}"
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)  # later lookups skip this function
        return value

    def __dir__() -> list[str]:
        # The public names only: not the helpers of the package's own module (annotations,
        # TYPE_CHECKING, lazy_exports) nor its dunders; its public submodules, once imported.
        module = sys.modules[package]
        submodules = {
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and isinstance(value, types.ModuleType)
            and value.__name__ == f"{package}.{name}"
        }
        return sorted(set(homes) | submodules)

    return __getattr__, __dir__
