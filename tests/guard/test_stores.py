"""Every store keeps the same rules: atomic claims, owner checks, leases, TTLs."""

from __future__ import annotations

import re
import threading
import time
import warnings
from collections.abc import Iterator

import pytest

from intercom_phone_switch.guard import Store, StoreError, open_store
from intercom_phone_switch.guard._redis import RedisStore, redacted
from tests.versions import LATEST


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened, _ = open_store(store_url)
    if isinstance(opened, RedisStore):
        opened.client.flushdb()  # the store tests use plain keys, not the namespace
    yield opened
    opened.close()


def test_a_free_key_is_claimed_once(store: Store) -> None:
    assert store.get("k") is None
    assert store.claim("k", "a", 30, 60) is None
    taken = store.claim("k", "b", 30, 60)
    assert taken is not None
    assert (taken.state, taken.owner, taken.payload) == ("pending", "a", "")
    assert taken.expires_in is not None
    assert 0 < taken.expires_in <= 60


def test_only_the_owner_finishes_or_releases(store: Store) -> None:
    store.claim("k", "a", 30, 60)
    assert not store.finish("k", "b", "accepted", "{}", 60)
    assert not store.release("k", "b")
    assert store.finish("k", "a", "accepted", '{"x":1}', 60)
    assert not store.finish("k", "a", "unknown", "{}", 60)  # only a pending claim
    assert not store.release("k", "a")
    found = store.get("k")
    assert found is not None
    assert (found.state, found.payload) == ("accepted", '{"x":1}')
    assert store.claim("k", "c", 30, 60) is not None


def test_refused_frees_the_key_and_release_deletes(store: Store) -> None:
    store.claim("k", "a", 30, 60)
    store.finish("k", "a", "refused", "{}", 60)
    refused = store.get("k")
    assert refused is not None
    assert refused.state == "refused"
    assert store.claim("k", "b", 30, 60) is None
    assert store.release("k", "b")
    assert store.get("k") is None


def test_unknown_holds_the_key(store: Store) -> None:
    store.claim("k", "a", 30, 60)
    store.finish("k", "a", "unknown", "{}", 60)
    held = store.claim("k", "b", 30, 60)
    assert held is not None
    assert held.state == "unknown"


def test_a_pending_claim_past_its_lease_reads_as_unknown(store: Store) -> None:
    store.claim("k", "a", 0.05, 60)
    time.sleep(0.1)
    found = store.claim("k", "b", 30, 60)
    assert found is not None
    assert (found.state, found.owner) == ("unknown", "a")
    # Its owner may still record what really happened.
    assert store.finish("k", "a", "accepted", "{}", 60)


def test_records_expire(store: Store) -> None:
    store.claim("k", "a", 0.05, 0.1)
    time.sleep(0.2)
    assert store.get("k") is None
    assert store.claim("k", "b", 30, 60) is None


def test_forget_deletes_any_record(store: Store) -> None:
    assert not store.forget("k")
    store.claim("k", "a", 30, 60)
    store.finish("k", "a", "unknown", "{}", 60)
    assert store.forget("k")
    assert store.get("k") is None


def test_concurrent_claims_have_one_winner(store: Store) -> None:
    winners: list[str] = []
    start = threading.Barrier(8)

    def claim(owner: str) -> None:
        start.wait(timeout=10)
        if store.claim("contested", owner, 30, 60) is None:
            winners.append(owner)

    threads = [threading.Thread(target=claim, args=(f"o{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(winners) == 1


def test_sqlite_records_survive_reopening(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/guard.db"
    first, _ = open_store(url)
    first.claim("k", "a", 30, 60)
    first.finish("k", "a", "accepted", "{}", 60)
    first.close()
    second, _ = open_store(url)
    found = second.get("k")
    assert found is not None
    assert found.state == "accepted"
    second.close()


def test_an_unreachable_redis_is_a_store_error_without_password() -> None:
    pytest.importorskip("redis")
    from bench.support import free_port

    store, _ = open_store(f"redis://user:s3cret@127.0.0.1:{free_port()}/0?timeout=0.5")
    with pytest.raises(StoreError) as caught:
        store.claim("k", "a", 30, 60)
    assert "s3cret" not in str(caught.value)
    assert "s3cret" not in repr(store)
    store.close()


def test_redacted() -> None:
    assert redacted("redis://:pw@h:1/0") == "redis://***@h:1/0"
    assert redacted("redis://u:pw@h:1/0") == "redis://u:***@h:1/0"
    assert redacted("redis://h:1/0") == "redis://h:1/0"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://x", "memory://, sqlite:/// or redis://"),
        ("//user:s3cret@host:6379", "without a scheme"),
        ("sqlite://", "sqlite:///relative/path"),
        ("sqlite:///g.db?synchronous=sometimes", "synchronous"),
        ("sqlite:///g.db?mode=x", "unknown SQLite guard options"),
        ("memory://?ttl=0", "above 0"),
        ("memory://?x=1", "unknown memory guard options"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    from intercom_phone_switch.guard import Guard

    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        Guard(url)
    assert "s3cret" not in str(caught.value)


@pytest.fixture
def redis_store(redis_url: str) -> Iterator[RedisStore]:
    store = RedisStore(redis_url)
    store.client.flushdb()
    yield store
    store.close()


def test_redis_scripts_come_back_after_the_server_loses_them(redis_store: RedisStore) -> None:
    assert redis_store.claim("k", "a", 30, 60) is None
    redis_store.client.script_flush()  # as after a restart of redis-server
    assert redis_store.finish("k", "a", "accepted", "{}", 60)
    found = redis_store.get("k")
    assert found is not None
    assert (found.state, found.payload) == ("accepted", "{}")


def test_redis_reuses_one_connection_per_thread_at_a_time(redis_store: RedisStore) -> None:
    for number in range(50):
        assert redis_store.claim(f"k{number}", "a", 30, 60) is None
    assert redis_store.client.info("clients")["connected_clients"] <= 2  # ours and INFO's

    def claim(start: int) -> None:
        for number in range(start, start + 50):
            assert redis_store.claim(f"k{number}", "b", 30, 60) is None

    threads = [threading.Thread(target=claim, args=(1000 * n,)) for n in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 <= len(redis_store._idle) <= 5


def _interrupt(*args: object, **kwargs: object) -> None:
    raise KeyboardInterrupt


def test_redis_drops_a_connection_whose_command_was_interrupted(
    redis_store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert redis_store.claim("first", "a", 30, 60) is None
    (conn,) = redis_store._idle
    # The next command is sent, and interrupted before its answer is read: the answer
    # stays on the socket, where a reused connection would take it for the next one's.
    with monkeypatch.context() as patched:
        patched.setattr(conn, "read_response", _interrupt)
        with pytest.raises(KeyboardInterrupt):
            redis_store.claim("second", "a", 30, 60)
    found = redis_store.claim("first", "b", 30, 60)  # answered with the record, not "nil"
    assert found is not None
    assert (found.state, found.owner) == ("pending", "a")
    taken = redis_store.get("second")
    assert taken is not None
    assert taken.owner == "a"  # it went through, and its answer was not read


def test_redis_in_a_forked_child_uses_connections_of_its_own(redis_store: RedisStore) -> None:
    import os

    assert redis_store.claim("parent", "p", 30, 60) is None
    (parents,) = redis_store._idle
    reading, writing = os.pipe()
    with warnings.catch_warnings():  # 3.12+ warns when other threads are alive; none send
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: exit at once, with what it found
        status = 1
        try:
            status = 0 if redis_store.claim("child", "c", 30, 60) is None else 2
            status = status or (3 if parents in redis_store._idle else 0)
        finally:
            os.write(writing, bytes([status]))
            os._exit(0)
    os.close(writing)
    try:
        assert os.read(reading, 1) == b"\x00"
    finally:
        os.close(reading)
        os.waitpid(pid, 0)
    assert redis_store._idle == [parents]
    found = redis_store.claim("parent", "q", 30, 60)
    assert found is not None
    assert found.owner == "p"


def test_the_memory_store_makes_a_payload_only_when_it_is_read() -> None:
    from intercom_phone_switch.guard._memory import MemoryStore

    calls: list[int] = []

    def make() -> str:
        calls.append(1)
        return '{"switch":{}}'

    store = MemoryStore()
    assert store.claim("k", "a", 30, 60) is None
    assert store.finish("k", "a", "accepted", make, 60)
    assert calls == []
    for _ in range(2):
        found = store.get("k")
        assert found is not None
        assert found.payload == '{"switch":{}}'
    assert calls == [1]


def test_only_an_accepted_outcome_is_dumped_late() -> None:
    from intercom_phone_switch import PhoneSwitch, RateLimit, ServerError
    from intercom_phone_switch.guard._payload import dump, payload

    switch = PhoneSwitch("phone_call_redirect", "https://x/1", "+1", None, LATEST, RateLimit())
    late = payload(switch)
    assert callable(late)
    assert late() == dump(switch)
    # An error is text at once: no store keeps an exception, its traceback or its frames.
    assert payload(ServerError("down", status=503)) == dump(ServerError("down", status=503))


def test_every_store_takes_a_payload_as_a_function_and_makes_it_once(store: Store) -> None:
    calls: list[int] = []

    def make() -> str:
        calls.append(1)
        return '{"switch":{}}'

    assert store.claim("k", "a", 30, 60) is None
    assert store.finish("k", "a", "accepted", make, 60)
    for _ in range(2):
        found = store.get("k")
        assert found is not None
        assert found.payload == '{"switch":{}}'
    assert calls == [1]


def test_an_accepted_outcome_with_a_lone_surrogate_is_kept_and_replayed(store: Store) -> None:
    from intercom_phone_switch import PhoneSwitch, RateLimit
    from intercom_phone_switch.guard._payload import load, payload

    url = "https://x/msgr/\ud800"  # as a server could send it, JSON-escaped
    switch = PhoneSwitch("phone_call_redirect", url, "+1", "r\udfff", LATEST, RateLimit(1, 0, 9))
    assert store.claim("k", "a", 30, 60) is None
    assert store.finish("k", "a", "accepted", payload(switch), 60)
    found = store.get("k")
    assert found is not None
    replayed = load(found)
    assert isinstance(replayed, PhoneSwitch)
    assert (replayed.url, replayed.request_id, replayed.replayed) == (url, "r\udfff", True)
