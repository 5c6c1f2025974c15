"""Putting an ``SmsGuard`` in front of everything a schemathesis run sends.

Two places, so that no request slips past: a ``filter_case`` hook drops generated cases
that the policy would not send (so the run does not waste them), and a transport that
asks the guard about every request just before it leaves. The transport is the one
door: generated cases and the extra requests some checks send all go through
``schema.transport``.
"""

from __future__ import annotations

from typing import Any

from schemathesis import Case, HookContext
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.schemas import OpenApiSchema
from schemathesis.transport.requests import REQUESTS_TRANSPORT, RequestsTransport

from .safety import SmsGuard


class GuardedTransport(RequestsTransport):
    """schemathesis' HTTP transport, with the guard's say on every request."""

    def __init__(self, guard: SmsGuard) -> None:
        super().__init__()
        self._copy_serializers_from(REQUESTS_TRANSPORT)
        self.guard = guard

    def send(self, case: Case[Any], *, session: Any = None, **kwargs: Any) -> Response:
        self.guard.admit(case.body)
        return super().send(case, session=session, **kwargs)


def install(schema: OpenApiSchema, guard: SmsGuard) -> None:
    """Route every request of ``schema`` (and of its clones) through ``guard``."""
    if schema.app is not None:
        raise ValueError("an in-process app sends no SMS; the guard is for network targets")
    transport = GuardedTransport(guard)

    def keep(context: HookContext, case: Case[Any]) -> bool:
        return guard.keep(case.body)

    schema.hooks.register_hook_with_name(keep, "filter_case")
    base = type(schema)
    guarded = type(f"Guarded{base.__name__}", (base,), {"transport": property(lambda _: transport)})
    schema.__class__ = guarded
