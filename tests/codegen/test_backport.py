"""The 3.10 hook: one import of Self that works everywhere, from typing where it exists."""

from __future__ import annotations

import textwrap

from codegen.backport import backport

MODEL = textwrap.dedent(
    """\
    from __future__ import annotations

    from typing import (
        Any,
        TypeVar,
    )

    from attrs import define
    from typing_extensions import Self

    T = TypeVar("T")
    """
)
CLIENT = "import ssl\nfrom typing import Any, Self\n\nimport httpx\n\n\nclass Client:\n    pass\n"


def names(source: str, python: tuple[int, int]) -> dict[str, object]:
    """What running ``source`` defines, with sys.version_info seen as ``python``."""
    import sys
    import types

    fake_sys = types.SimpleNamespace(version_info=python)
    namespace: dict[str, object] = {"__name__": "probe"}
    real = sys.modules["sys"]
    sys.modules["sys"] = fake_sys  # type: ignore[assignment]
    try:
        exec(compile(source.replace("from attrs import define\n", ""), "probe", "exec"), namespace)
    finally:
        sys.modules["sys"] = real
    return namespace


def test_self_comes_from_typing_from_311_and_from_typing_extensions_before() -> None:
    import typing

    import typing_extensions

    for source in (MODEL, CLIENT.replace("import httpx\n", "")):
        fixed = backport(source)
        assert "from typing_extensions import Self\n" in fixed
        assert fixed.count("import Self") == 2  # the two branches, nothing else
        assert names(fixed, (3, 10))["Self"] is typing_extensions.Self
        if hasattr(typing, "Self"):
            assert names(fixed, (3, 11))["Self"] is typing.Self


def test_the_block_follows_the_imports_and_the_hook_is_idempotent() -> None:
    fixed = backport(MODEL)
    assert fixed.index("if sys.version_info") > fixed.index("from attrs import define")
    assert fixed.index("if sys.version_info") < fixed.index('T = TypeVar("T")')
    assert "from typing import (\n    Any,\n    TypeVar,\n)\n" in fixed
    assert backport(fixed) == fixed
    assert backport("from typing import Any\n") == "from typing import Any\n"
