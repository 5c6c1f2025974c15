"""The one check this project adds to schemathesis' defaults.

A request whose body matches the version's schema can still be refused, for reasons
the schema cannot express and the spec documents: the number is no real number or the
SMS failed (400), or the number is a landline (422). The run therefore admits 400 and
422 as answers to well-formed requests, and this check makes sure that such a refusal
gives one of those documented reasons, so that a server refusing well-formed requests
for any other reason still fails.

schemathesis keeps checks in one registry per process; this one answers only for the
documents a contract run registered with :func:`testing` (each run's own version's
contract), and passes over any other operation or run.

A schemathesis check that returns a true value was skipped (it did not apply); one that
returns None without raising passed. This one returns True for every answer it does not
judge, so that it counts as exercised only where it judged something.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
from collections.abc import Iterator
from typing import Any

import schemathesis
from schemathesis import Case, CheckContext, Response

from intercom_phone_switch.spec import METHOD, PATH, EffectiveSpec

#: The name under which the check appears in results.
NAME = "refusal_is_documented"

#: The contract of each run under way, by the identity of the document it generates from.
_RUNS: dict[int, dict[int, frozenset[str]]] = {}
_LOCK = threading.Lock()


@functools.cache
def register() -> None:
    """Add the check to schemathesis' registry (once per process)."""
    schemathesis.check(refusal_is_documented)


@contextlib.contextmanager
def testing(contract: EffectiveSpec) -> Iterator[None]:
    """While a run generates from ``contract.document``, the check judges its answers by
    the error keys of that contract."""
    key = id(contract.document)
    with _LOCK:
        _RUNS[key] = contract.error_keys()
    try:
        yield
    finally:
        with _LOCK:
            _RUNS.pop(key, None)


def refusal_is_documented(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """A well-formed request is refused only for a reason the spec documents."""
    operation = case.operation
    if operation.path != PATH or operation.method.lower() != METHOD:
        return True
    if case.method.lower() != METHOD:
        return True
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return True
    with _LOCK:
        keys = _RUNS.get(id(operation.schema.raw_schema))
    if keys is None or response.status_code not in keys:
        return True
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    key = body.get("error_key") if isinstance(body, dict) else None
    allowed = sorted(keys[response.status_code])
    if key not in allowed:
        raise AssertionError(
            f"A request that matches the schema was refused with {response.status_code} "
            f"and error_key {key!r}; the spec documents only {', '.join(allowed)} "
            f"for {response.status_code}"
        )
    return None
