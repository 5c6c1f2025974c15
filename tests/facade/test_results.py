"""PhoneSwitch.extra: a dict to read and serialise, refusing every change."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable

import attrs
import pytest

from intercom_phone_switch import PhoneSwitch, RateLimit
from tests.versions import LATEST


def _switch() -> PhoneSwitch:
    return PhoneSwitch(
        type="phone_call_redirect",
        url="https://example.com/m/1",
        phone="+353832345678",
        request_id="req-1",
        version=LATEST,
        rate_limit=RateLimit(),
        extra={"campaign": {"id": 7}, "tags": ["a"]},
    )


CHANGES: dict[str, Callable[[dict[str, object]], object]] = {
    "item assignment": lambda extra: extra.__setitem__("campaign", None),
    "item deletion": lambda extra: extra.__delitem__("campaign"),
    "in-place union": lambda extra: extra.__ior__({"new": 1}),
    "clear": lambda extra: extra.clear(),
    "pop": lambda extra: extra.pop("campaign"),
    "pop with a default": lambda extra: extra.pop("missing", None),
    "popitem": lambda extra: extra.popitem(),
    "setdefault": lambda extra: extra.setdefault("new", 1),
    "update with a mapping": lambda extra: extra.update({"new": 1}),
    "update with keywords": lambda extra: extra.update(new=1),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=list(CHANGES))
def test_extra_refuses_every_change(change: Callable[[dict[str, object]], object]) -> None:
    switch = _switch()
    before = dict(switch.extra)
    with pytest.raises(TypeError, match="cannot be changed"):
        change(switch.extra)
    assert switch.extra == before


def test_extra_refuses_the_augmented_assignment_operator() -> None:
    extra = _switch().extra
    with pytest.raises(TypeError, match="cannot be changed"):
        extra |= {"new": 1}


def test_extra_reads_and_serialises_as_a_dict() -> None:
    switch = _switch()
    assert switch.extra["campaign"] == {"id": 7}
    assert switch.extra.get("missing") is None
    assert switch.extra | {"new": 1} == {"campaign": {"id": 7}, "tags": ["a"], "new": 1}
    assert json.loads(json.dumps(switch.extra)) == {"campaign": {"id": 7}, "tags": ["a"]}
    assert attrs.asdict(switch)["extra"] == {"campaign": {"id": 7}, "tags": ["a"]}


@pytest.mark.parametrize(
    "duplicate",
    [copy.copy, copy.deepcopy, lambda switch: pickle.loads(pickle.dumps(switch))],
    ids=["copy", "deepcopy", "pickle"],
)
def test_a_switch_with_extra_fields_is_copied_and_pickled(
    duplicate: Callable[[PhoneSwitch], PhoneSwitch],
) -> None:
    """Sent between processes (multiprocessing pickles it) or copied, it stays read-only."""
    switch = _switch()
    again = duplicate(switch)
    assert again == switch
    assert type(again.extra) is type(switch.extra)
    with pytest.raises(TypeError, match="cannot be changed"):
        again.extra["campaign"] = None
