"""The pytest plugin that the package registers (entry point ``pytest11``).

With the ``[fake]`` extra it is the fake Intercom's fixtures
(``intercom_phone_switch.fake.pytest_plugin``). Without it, a user's test run is left
alone: only a test that asks for one of those fixtures fails, with a one-line message
saying which extra to install.
"""

from __future__ import annotations

from typing import Any

from ._extras import MissingExtra, missing

_absent = missing("fake")

if _absent is None:
    from .fake.pytest_plugin import *  # noqa: F403
else:
    import pytest

    _HINT = str(MissingExtra("fake_intercom", "fake", _absent))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(item: Any) -> None:
        names = getattr(item, "fixturenames", ())
        if any(name.startswith("fake_intercom") for name in names):
            pytest.fail(_HINT, pytrace=False)
