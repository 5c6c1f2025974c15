"""Every error class: what raises it, and what it carries."""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable
from datetime import datetime, timezone

import httpx
import pytest
from phone_fakes import MOBILE, TOKEN, FakeIntercom

from intercom_phone_switch import (
    SUPPORTED_VERSIONS,
    AuthenticationError,
    ConnectionFailed,
    DeliveryUnknown,
    InvalidCustomAttributes,
    InvalidPhoneNumber,
    LandlinePhoneNumber,
    PhoneSwitchClient,
    PhoneSwitchError,
    RateLimited,
    RequestRejected,
    ServerError,
    SmsNotSent,
    UnexpectedResponse,
    UnsupportedVersion,
)
from intercom_phone_switch import errors as error_module
from intercom_phone_switch._versions import served
from intercom_phone_switch_generated.registry import VERSIONS
from tests.versions import LATEST, NEXT

Make = Callable[..., PhoneSwitchClient]
REQUEST_ID = "3c1b2f8e-8a43-4f0e-9d55-5f7c2d9b6e10"


def error_list(*codes: str, message: str | None = None) -> dict[str, object]:
    return {
        "type": "error.list",
        "request_id": REQUEST_ID,
        "errors": [{"code": code, "message": message} for code in codes],
    }


def raised(
    make_client: Make, intercom: FakeIntercom, answer: object, **call: object
) -> PhoneSwitchError:
    intercom.script.append(answer)  # type: ignore[arg-type]
    with make_client(max_retries=0) as client, pytest.raises(PhoneSwitchError) as caught:
        client.create_phone_switch(MOBILE, **call)  # type: ignore[arg-type]
    return caught.value


ALL_CLASSES = [
    InvalidPhoneNumber,
    LandlinePhoneNumber,
    SmsNotSent,
    InvalidCustomAttributes,
    UnsupportedVersion,
    AuthenticationError,
    RateLimited,
    RequestRejected,
    ServerError,
    DeliveryUnknown,
    ConnectionFailed,
    UnexpectedResponse,
]


def test_one_hierarchy() -> None:
    for cls in ALL_CLASSES:
        assert issubclass(cls, PhoneSwitchError)
    assert issubclass(ServerError, DeliveryUnknown), "a 5xx may have sent the SMS"
    assert set(error_module.__all__) == {c.__name__ for c in ALL_CLASSES} | {"PhoneSwitchError"}


@pytest.mark.parametrize(
    ("status", "body", "cls", "key"),
    [
        (
            400,
            {"error_key": "invalid_phone_number", "message": "Invalid phone number"},
            InvalidPhoneNumber,
            "invalid_phone_number",
        ),
        (
            400,
            {"error_key": "sms_failed", "message": "SMS was not sent due to an unknown error"},
            SmsNotSent,
            "sms_failed",
        ),
        (422, {"error_key": "landline_phone"}, LandlinePhoneNumber, "landline_phone"),
        (400, {"error_key": "something_new", "message": "New"}, RequestRejected, "something_new"),
    ],
)
@pytest.mark.parametrize("version", VERSIONS)
def test_error_keys(
    make_client: Make,
    intercom: FakeIntercom,
    version: str,
    status: int,
    body: dict[str, str],
    cls: type,
    key: str,
) -> None:
    answer = httpx.Response(status, json=body, headers={"X-Request-Id": "req-9"})
    error = raised(make_client, intercom, answer, version=version)
    assert type(error) is cls
    assert error.status == status
    assert error.error_key == error.code == key
    assert error.codes == ()
    assert error.message == body.get("message", cls.summary)
    assert error.request_id == "req-9"
    assert error.version == version
    assert error.attempts == 1


@pytest.mark.parametrize("version", VERSIONS)
def test_every_documented_error_key_has_its_own_class(version: str) -> None:
    documented = served(version).contract.error_keys()
    keys = set().union(*documented.values())
    assert keys == {"invalid_phone_number", "sms_failed", "landline_phone"}
    for key in keys:
        assert key in error_module.ERROR_KEYS


@pytest.mark.parametrize(
    ("status", "body", "cls", "codes"),
    [
        (
            401,
            error_list("unauthorized", message="Access Token Invalid"),
            AuthenticationError,
            ("unauthorized",),
        ),
        (
            400,
            error_list("parameter_invalid", message="phone is required"),
            RequestRejected,
            ("parameter_invalid",),
        ),
        (
            400,
            error_list("intercom_version_invalid"),
            UnsupportedVersion,
            ("intercom_version_invalid",),
        ),
        (422, error_list("parameter_invalid"), RequestRejected, ("parameter_invalid",)),
        (
            404,
            error_list("intercom_version_invalid"),
            UnsupportedVersion,
            ("intercom_version_invalid",),
        ),
        (
            403,
            error_list("api_plan_restricted", message="Plan"),
            UnexpectedResponse,
            ("api_plan_restricted",),
        ),
        (500, error_list("server_error", message="Boom"), ServerError, ("server_error",)),
    ],
)
def test_error_lists(
    make_client: Make,
    intercom: FakeIntercom,
    status: int,
    body: dict[str, object],
    cls: type,
    codes: tuple[str, ...],
) -> None:
    error = raised(make_client, intercom, httpx.Response(status, json=body))
    assert type(error) is cls
    assert error.status == status
    assert error.codes == codes
    assert error.code == codes[0]
    assert error.error_key is None
    assert error.request_id == REQUEST_ID
    assert error.version == LATEST


def test_authentication_error_message_is_intercoms(
    make_client: Make, intercom: FakeIntercom
) -> None:
    answer = httpx.Response(401, json=error_list("unauthorized", message="Access Token Invalid"))
    error = raised(make_client, intercom, answer)
    assert error.message == "Access Token Invalid"
    assert str(error) == (
        "Access Token Invalid "
        f"[status=401, code=unauthorized, request_id={REQUEST_ID}, version={LATEST}]"
    )
    assert repr(error) == (
        "AuthenticationError(message='Access Token Invalid', status=401, code='unauthorized', "
        f"request_id='{REQUEST_ID}', version='{LATEST}')"
    )


def test_rate_limited_carries_the_reset(make_client: Make, intercom: FakeIntercom) -> None:
    headers = {
        "X-RateLimit-Limit": "166",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "1700000042",
    }
    answer = httpx.Response(429, json=error_list("rate_limit_exceeded"), headers=headers)
    error = raised(make_client, intercom, answer)
    assert isinstance(error, RateLimited)
    assert error.reset == 1_700_000_042
    assert error.reset_at == datetime(2023, 11, 14, 22, 14, 2, tzinfo=timezone.utc)
    assert error.rate_limit is not None
    assert (error.rate_limit.limit, error.rate_limit.remaining) == (166, 0)
    assert "reset=1700000042" in str(error)


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (httpx.Response(429, text="slow down"), 429),
        (httpx.Response(401, text="<html>no</html>"), 401),
        (httpx.Response(503, text="upstream"), 503),
        (httpx.Response(599, text="?"), 599),
    ],
)
def test_status_decides_when_the_body_is_not_json(
    make_client: Make, intercom: FakeIntercom, answer: httpx.Response, status: int
) -> None:
    error = raised(make_client, intercom, answer)
    expected = {429: RateLimited, 401: AuthenticationError}.get(status, ServerError)
    assert type(error) is expected
    assert error.status == status


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="not json"),
        httpx.Response(200, json={"type": "phone_call_redirect"}),
        httpx.Response(200, json={"type": "something_else", "url": "http://x"}),
        httpx.Response(200, json={"type": "phone_call_redirect", "url": 5}),
        httpx.Response(200, json=["a list"]),
        httpx.Response(422, json={"no": "key"}),
        httpx.Response(400, text="<html>bad</html>"),
        httpx.Response(302, headers={"Location": "https://example.com"}),
        httpx.Response(204),
    ],
)
def test_unexpected_answers(
    make_client: Make, intercom: FakeIntercom, answer: httpx.Response
) -> None:
    error = raised(make_client, intercom, answer)
    assert type(error) is UnexpectedResponse
    assert error.status == answer.status_code
    assert len(intercom.requests) == 1, "never retried"
    if answer.status_code == 200:
        assert "Intercom accepted the request" in error.message


def test_server_error_is_a_delivery_unknown(make_client: Make, intercom: FakeIntercom) -> None:
    error = raised(make_client, intercom, httpx.Response(502, json=error_list("server_error")))
    assert isinstance(error, ServerError)
    assert isinstance(error, DeliveryUnknown)
    assert "may or may not have sent the SMS" in error.message


@pytest.mark.parametrize(
    ("failure", "cls"),
    [
        (httpx.ConnectError("Connection refused"), ConnectionFailed),
        (httpx.ConnectTimeout("timed out"), ConnectionFailed),
        (httpx.ReadTimeout("timed out"), DeliveryUnknown),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            DeliveryUnknown,
        ),
        (httpx.ReadError("reset by peer"), DeliveryUnknown),
        (httpx.WriteTimeout("timed out"), DeliveryUnknown),
        (RuntimeError("a transport bug"), DeliveryUnknown),
    ],
)
def test_transport_failures_are_wrapped(
    make_client: Make, intercom: FakeIntercom, failure: Exception, cls: type
) -> None:
    error = raised(make_client, intercom, failure)
    assert type(error) is cls
    # A copy of the transport's error: same type and message, without its request,
    # traceback or chain (which hold the token).
    cause = error.__cause__
    assert type(cause) is type(failure)
    assert str(cause) == str(failure)
    assert cause is not failure
    assert cause.__traceback__ is None
    assert cause.__cause__ is None
    assert cause.__context__ is None
    assert error.status is None
    assert error.attempts == 1


def test_invalid_input_is_caught_before_sending(make_client: Make, intercom: FakeIntercom) -> None:
    with make_client() as client:
        with pytest.raises(InvalidPhoneNumber) as phone:
            client.create_phone_switch("+1 555")
        with pytest.raises(InvalidCustomAttributes) as attributes:
            client.create_phone_switch(MOBILE, {"plan": None})
        with pytest.raises(UnsupportedVersion) as version:
            client.create_phone_switch(MOBILE, version="preview")
    assert intercom.requests == []
    assert (phone.value.attempts, phone.value.status, phone.value.reason) == (
        0,
        None,
        "it is too short",
    )
    assert (attributes.value.attribute, attributes.value.version) == ("plan", LATEST)
    assert version.value.supported == SUPPORTED_VERSIONS
    assert "'preview'" in version.value.message


def test_unsupported_version_at_construction() -> None:
    with pytest.raises(
        UnsupportedVersion, match=rf"'{re.escape(NEXT)}' is not one Intercom accepts"
    ):
        PhoneSwitchClient(TOKEN, version=NEXT)
    with pytest.raises(UnsupportedVersion, match="versions are strings"):
        PhoneSwitchClient(TOKEN, version=2.1)  # type: ignore[arg-type]


def test_unbuildable_body_names_the_attribute(make_client: Make, intercom: FakeIntercom) -> None:
    with make_client() as client, pytest.raises(InvalidCustomAttributes) as caught:
        client.create_phone_switch(MOBILE, {"fine": "yes", "broken": "\ud800"})
    assert caught.value.attribute == "broken"
    assert caught.value.attempts == 0
    assert intercom.requests == []


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_errors_pickle_with_their_context(cls: type[PhoneSwitchError]) -> None:
    error = cls(
        "it failed", status=400, codes=("a", "b"), request_id="r", version="2.9", attempts=2
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert (
        copy.message,
        copy.status,
        copy.codes,
        copy.request_id,
        copy.version,
        copy.attempts,
    ) == (
        "it failed",
        400,
        ("a", "b"),
        "r",
        "2.9",
        2,
    )


def test_errors_never_hold_the_token(make_client: Make, intercom: FakeIntercom) -> None:
    intercom.script.extend(
        [
            httpx.Response(401, json=error_list("unauthorized")),
            httpx.ReadTimeout("timed out"),
            httpx.Response(500, text=f"echo Bearer {TOKEN}"),
        ]
    )
    with make_client(max_retries=0) as client:
        for _ in range(3):
            with pytest.raises(PhoneSwitchError) as caught:
                client.create_phone_switch(MOBILE)
            error = caught.value
            assert TOKEN not in repr(error)
            assert TOKEN not in str(error)
            assert TOKEN not in repr(vars(error))
