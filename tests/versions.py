"""The versions tests name, taken from the generated registry rather than written out.

When a maintainer imports Intercom's next version, ``LATEST`` becomes that version, the
counts grow, and every value here that no version accepts is still one no version
accepts: the suite passes with no test edited. A test about one version's own behaviour
("2.13 admits only strings") names that version; a test about "the latest", "the
default", "how many" or "a value Intercom refuses" takes it from here.

Import it as ``from tests.versions import ...`` (the project root is on ``sys.path``).
"""

from __future__ import annotations

from typing import Final

from intercom_phone_switch_generated.registry import HEADER_VALUES, LATEST_VERSION, VERSIONS

#: The newest stable version: the default of the client and the fake.
LATEST: Final[str] = LATEST_VERSION

#: The stable version before the latest (for tests that need two stable versions).
PREVIOUS: Final[str] = VERSIONS[VERSIONS.index(LATEST) - 1]

#: How many versions have a generated package, and how many header values are accepted.
VERSION_COUNT: Final[int] = len(VERSIONS)
HEADER_VALUE_COUNT: Final[int] = len(HEADER_VALUES)


def _numbers(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


def _next_minor(version: str) -> str:
    """The first ``major.minor`` after ``version`` that no version accepts."""
    major, minor = _numbers(version)
    candidate = f"{major}.{minor + 1}"
    while candidate in HEADER_VALUES:
        minor += 1
        candidate = f"{major}.{minor + 1}"
    return candidate


#: The version Intercom would publish next: well formed, and accepted by no version.
#: This is "a value no version accepts" wherever a test needs one.
NEXT: Final[str] = _next_minor(LATEST)

#: The first version of the next major series, accepted by no version either.
NEXT_MAJOR: Final[str] = f"{_numbers(LATEST)[0] + 1}.0"

#: Values close to accepted ones, and so the likeliest to be accepted by mistake. None is
#: accepted: checked below, so a registry that ever accepts one fails at import, by name.
NEAR_MISSES: Final[tuple[str, ...]] = (
    NEXT,
    NEXT_MAJOR,
    f"v{LATEST}",
    f" {LATEST}",
    f"{LATEST} ",
    f"{LATEST}.0",
    "preview",
    "PREVIEW",
    "unstable",
    "latest",
    "Latest",
    "2",
    "2.1.",
    "",
)

_accepted = sorted(set(NEAR_MISSES) & set(HEADER_VALUES))
if _accepted:  # pragma: no cover - a registry change, not a test outcome
    raise AssertionError(f"tests/versions.py: the registry now accepts {_accepted}")
