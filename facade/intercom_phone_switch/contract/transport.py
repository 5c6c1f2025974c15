"""The one door of a run against a network target: every request passes the SMS guard,
and every answer is read under a size and a time cap.

schemathesis sends each generated case, and the extra requests some checks make, through
``schema.transport``. A run against a base URL replaces it with :class:`NetworkTransport`:

- the ``SmsGuard`` has its say just before a request leaves (``admit``), and a
  ``filter_case`` hook drops the generated cases it would not send (``keep``), so that the
  run does not waste them;
- answers are read by :class:`BoundedAdapter`, the ``requests`` transport adapter mounted
  on every session the run sends with: at most ``max_bytes`` of body (decoded), within
  ``request_timeout`` seconds for the whole answer and never past the run's deadline. An
  endless or huge answer ends the request (:class:`AnswerTooLarge`, :class:`AnswerTooSlow`)
  instead of filling memory; once the deadline has passed, nothing more is sent
  (:class:`TimeLimitReached`);
- schemathesis' probing phase, which sends requests of its own (GET requests to the base
  URL) through a session of its own, before any test, is switched off for the run
  (:func:`without_probes`): they are no part of the contract, and would be read unbounded;
- a target that cannot be reached is found once: after :data:`UNREACHABLE_AFTER` requests
  in a row that never reached it, with no answer yet, the rest fail at once with
  :class:`TargetUnreachable` instead of each waiting for its own connect timeout.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from schemathesis import Case, HookContext
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.schemas import OpenApiSchema
from schemathesis.transport.requests import (
    REQUESTS_TRANSPORT,
    RequestsTransport,
    SameHostRedirectsSession,
)
from urllib3.exceptions import (
    DecodeError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from .safety import SmsGuard

__all__ = [
    "UNREACHABLE_AFTER",
    "AnswerTooLarge",
    "AnswerTooSlow",
    "BoundedAdapter",
    "Limits",
    "NetworkTransport",
    "TargetUnreachable",
    "TimeLimitReached",
    "install",
    "never_reached",
    "without_probes",
]

#: Requests in a row that never reached the target, with no answer before them, after
#: which the target counts as unreachable.
UNREACHABLE_AFTER = 2
#: How much of an answer one read takes.
CHUNK = 64 * 1024


class AnswerTooLarge(requests.exceptions.RequestException):
    """An answer's body went past the run's size cap; the rest was not read."""


class AnswerTooSlow(requests.exceptions.RequestException):
    """An answer did not arrive whole within the time allowed."""


class TimeLimitReached(requests.exceptions.RequestException):
    """The run's time limit has passed: the request was not sent."""


class TargetUnreachable(requests.exceptions.RequestException):
    """The target could not be reached: the request was not sent."""


def never_reached(error: BaseException) -> str | None:
    """Why a failed request never reached its target (no connection was made), or None
    when it may have: ``"connection refused"``, ``"the host name does not resolve"``..."""
    if isinstance(error, TargetUnreachable):
        return str(error)
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return "no connection within the request timeout"
    if not isinstance(error, requests.exceptions.ConnectionError):
        return None
    chain: list[BaseException] = []
    stack: list[object] = [error]
    while stack and len(chain) < 32:
        current = stack.pop()
        if not isinstance(current, BaseException) or any(current is seen for seen in chain):
            continue
        chain.append(current)
        stack.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        stack.extend(current.args)
    for kind, reason in (
        (NameResolutionError, "the host name does not resolve"),
        (ConnectionRefusedError, "connection refused"),
        (NewConnectionError, "no connection could be made"),
    ):
        if any(isinstance(found, kind) for found in chain):
            return reason
    return None


@dataclass
class Limits:
    """The caps every answer of one version's run is read under, and what the run has
    learnt about its target."""

    #: Seconds for one whole request: connecting, sending and reading every byte.
    request_timeout: float
    #: The most bytes of one answer's body (after Content-Encoding) that are read.
    max_bytes: int
    #: time.monotonic() past which nothing more is sent (None: no limit).
    deadline: float | None = None
    #: Answers received; requests that never reached the target since the last answer.
    answered: int = 0
    failed_to_reach: int = 0
    #: Why the target could not be reached (set once it counts as unreachable).
    unreachable: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def request_deadline(self) -> float:
        """When the request starting now must be done; TimeLimitReached or
        TargetUnreachable when it must not start at all."""
        now = time.monotonic()
        if self.deadline is not None and now >= self.deadline:
            raise TimeLimitReached("the run's time limit has passed; the request was not sent")
        with self.lock:
            if self.unreachable is not None:
                raise TargetUnreachable(self.unreachable)
        ends = now + self.request_timeout
        return ends if self.deadline is None else min(ends, self.deadline)

    def note(self, *, answered: bool, error: BaseException | None = None) -> None:
        """What became of one request."""
        with self.lock:
            if answered:
                self.answered += 1
                self.failed_to_reach = 0
                return
            reason = None if error is None else never_reached(error)
            if reason is None:
                return
            self.failed_to_reach += 1
            if not self.answered and self.failed_to_reach >= UNREACHABLE_AFTER:
                self.unreachable = reason


def _left(deadline: float) -> float:
    return deadline - time.monotonic()


class BoundedAdapter(HTTPAdapter):
    """requests' HTTP adapter, reading each answer under :class:`Limits`."""

    def __init__(self, limits: Limits) -> None:
        super().__init__()
        self.limits = limits

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        deadline = self.limits.request_deadline()
        budget = max(_left(deadline), 0.001)
        try:
            response = super().send(
                request,
                stream=True,
                timeout=(budget, budget),
                verify=verify,
                cert=cert,
                proxies=proxies,
            )
        except requests.exceptions.ReadTimeout as error:
            self.limits.note(answered=False, error=error)
            raise AnswerTooSlow(self._slow(), request=request) from None
        except requests.exceptions.RequestException as error:
            self.limits.note(answered=False, error=error)
            raise
        self.limits.note(answered=True)
        try:
            content = self._read(response, deadline)
        except BaseException:
            response.close()
            raise
        # What requests' Response.content would have read, read under the caps instead.
        response._content = content
        response._content_consumed = True
        response.raw.release_conn()
        return response

    def _slow(self) -> str:
        limits = self.limits
        if limits.deadline is not None and time.monotonic() >= limits.deadline - 0.001:
            return "the answer was still arriving when the run's time limit passed"
        return f"the answer did not arrive whole within {limits.request_timeout:g} s"

    def _read(self, response: requests.Response, deadline: float) -> bytes:
        raw = response.raw
        chunks: list[bytes] = []
        size = 0
        while True:
            left = _left(deadline)
            if left <= 0:
                raise AnswerTooSlow(self._slow(), response=response)
            connection = getattr(raw, "connection", None)
            sock = getattr(connection, "sock", None)
            if sock is not None:
                sock.settimeout(left)
            try:
                chunk = raw.read1(CHUNK, decode_content=True)
            except ReadTimeoutError:
                raise AnswerTooSlow(self._slow(), response=response) from None
            except TimeoutError:
                raise AnswerTooSlow(self._slow(), response=response) from None
            except ProtocolError as error:
                raise requests.exceptions.ChunkedEncodingError(error) from None
            except DecodeError as error:
                raise requests.exceptions.ContentDecodingError(error) from None
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > self.limits.max_bytes:
                raise AnswerTooLarge(
                    f"the answer's body is larger than {self.limits.max_bytes} bytes; "
                    "the rest was not read",
                    response=response,
                )
            chunks.append(chunk)


class NetworkTransport(RequestsTransport):
    """schemathesis' HTTP transport, with the guard's say on every request and every
    answer read under :class:`Limits`."""

    def __init__(self, guard: SmsGuard, limits: Limits) -> None:
        super().__init__()
        self._copy_serializers_from(REQUESTS_TRANSPORT)
        self.guard = guard
        self.limits = limits
        self.adapter: BoundedAdapter = BoundedAdapter(limits)
        self._session = self._bounded(SameHostRedirectsSession())

    def _bounded(self, session: requests.Session) -> requests.Session:
        if not isinstance(session.get_adapter("http://"), BoundedAdapter):
            session.mount("http://", self.adapter)
            session.mount("https://", self.adapter)
        return session

    def send(self, case: Case[Any], *, session: Any = None, **kwargs: Any) -> Response:
        self.guard.admit(case.body)
        self.limits.request_deadline()  # nothing is prepared for a request that cannot go
        chosen = self._session if session is None else self._bounded(session)
        return super().send(case, session=chosen, **kwargs)

    def close(self) -> None:
        self._session.close()
        self.adapter.close()


def install(schema: OpenApiSchema, guard: SmsGuard, limits: Limits) -> NetworkTransport:
    """Route every request of ``schema`` (and of its clones) through a NetworkTransport."""
    if schema.app is not None:
        raise ValueError("an in-process app sends no SMS; the guard is for network targets")
    transport = NetworkTransport(guard, limits)

    def keep(context: HookContext, case: Case[Any]) -> bool:
        return guard.keep(case.body)

    schema.hooks.register_hook_with_name(keep, "filter_case")
    base = type(schema)
    guarded = type(f"Guarded{base.__name__}", (base,), {"transport": property(lambda _: transport)})
    schema.__class__ = guarded
    return transport


#: Where schemathesis keeps the probes it sends before a run (a tuple of probe classes).
PROBES_MODULE = "schemathesis.engine.run.probes"
_PROBES_LOCK = threading.Lock()
#: Runs under way without probes, and the probes to put back after the last of them.
_without: list[object] = []
_saved: dict[str, object] = {}


@contextlib.contextmanager
def without_probes() -> Iterator[bool]:
    """schemathesis' probes switched off while the block runs; yields whether they were.

    They are one module attribute, so this is process-wide: the first of overlapping
    runs takes them away, the last puts them back. A schemathesis release that moves
    them makes this yield False (the run then probes, as schemathesis does by default),
    and ``tests/contract`` fail loudly.
    """
    import importlib

    try:
        module = importlib.import_module(PROBES_MODULE)
    except ImportError:
        module = None
    token = object()
    with _PROBES_LOCK:
        probes = getattr(module, "PROBES", None)
        if not isinstance(probes, tuple):
            switched = False
        else:
            if not _without:
                _saved["PROBES"] = probes
                module.PROBES = ()  # type: ignore[union-attr]
            _without.append(token)
            switched = True
    try:
        yield switched
    finally:
        if switched:
            with _PROBES_LOCK:
                _without.remove(token)
                if not _without:
                    module.PROBES = _saved.pop("PROBES")  # type: ignore[union-attr]
