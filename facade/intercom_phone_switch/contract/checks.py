"""The one check this project adds to schemathesis' defaults.

A request whose body matches the version's schema can still be refused, for reasons
the schema cannot express and the spec documents: the number is no real number or the
SMS failed (400), or the number is a landline (422). The run therefore admits 400 and
422 as answers to well-formed requests, and this check makes sure that such a refusal
gives one of those documented reasons, so that a server refusing well-formed requests
for any other reason still fails.

schemathesis keeps checks in one registry per process; this one answers only for
``POST /phone_call_redirects`` and passes over any other operation.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import schemathesis
from schemathesis import Case, CheckContext, Response

from intercom_phone_switch._effective import METHOD, PATH

from .spec import documented_error_keys

#: The name under which the check appears in results.
NAME = "refusal_is_documented"


@functools.cache
def register() -> None:
    """Add the check to schemathesis' registry (once per process)."""
    schemathesis.check(refusal_is_documented)


def refusal_is_documented(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """A well-formed request is refused only for a reason the spec documents."""
    operation = case.operation
    if operation.path != PATH or operation.method.lower() != METHOD:
        return None
    if case.method.lower() != METHOD:
        return None
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    keys = documented_error_keys(operation.schema.raw_schema)
    if response.status_code not in keys:
        return None
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
    return True
