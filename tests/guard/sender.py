"""One sending process of the multi-process tests: bulk-sends its share of the keys.

The test forks these from a parent that has imported everything once (``warm_up``), so a
worker that was killed starts again in milliseconds. It can also run on its own:

    python -m tests.guard.sender BASE_URL GUARD_URL KEYS_JSON [--window SECONDS]

KEYS_JSON is a list of [key, phone] pairs, sent in that order through the async bulk
call, each as an item with its idempotency key. Every outcome is a PhoneSwitch or a
PhoneSwitchError; anything else (a crash) exits non-zero.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from intercom_phone_switch import AsyncPhoneSwitchClient, PhoneSwitch, PhoneSwitchError
from intercom_phone_switch.guard import Guard

TOKEN = "bench-token"


def warm_up() -> None:
    """Import what a worker needs (the client, the served version, both stores)."""
    import redis  # noqa: F401

    from intercom_phone_switch.guard import _flow, _redis, _sqlite  # noqa: F401

    client = AsyncPhoneSwitchClient(TOKEN, base_url="http://127.0.0.1:9")
    client.prepare("+353832345678")


def send(base_url: str, guard: str, keys: Path, window: float | None) -> None:
    """A worker's whole job; exits non-zero when an outcome is not a phone switch's."""
    pairs = json.loads(keys.read_text(encoding="utf-8"))
    sys.exit(1 if asyncio.run(_send(base_url, guard, pairs, window)) else 0)


async def _send(base_url: str, guard: str, pairs: list[list[str]], window: float | None) -> int:
    items = [{"phone": phone, "idempotency_key": key} for key, phone in pairs]
    with Guard(guard, per_phone_window=window) as keeper:
        async with AsyncPhoneSwitchClient(
            TOKEN,
            base_url=base_url,
            guard=keeper,
            timeout=1.0,
            attempt_timeout=1.0,
            deadline=1.5,
            max_retries=1,
        ) as client:
            outcomes = await client.create_phone_switches(items, concurrency=4)
    return sum(not isinstance(o, (PhoneSwitch, PhoneSwitchError)) for o in outcomes)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("guard")
    parser.add_argument("keys", type=Path)
    parser.add_argument("--window", type=float, default=None)
    args = parser.parse_args()
    send(args.base_url, args.guard, args.keys, args.window)
    return 0


if __name__ == "__main__":
    sys.exit(main())


def send_paced(base_url: str, guard: str, phones: list[str], report: Path) -> None:
    """Bulk-send ``phones`` on the budget shared through ``guard`` (Redis); write what
    came back (outcome class names, and every HTTP status seen) to ``report``."""
    from collections import Counter

    import httpx

    answers: Counter[int] = Counter()

    async def count(response: httpx.Response) -> None:
        answers[response.status_code] += 1

    async def run() -> list[object]:
        async with (
            httpx.AsyncClient(event_hooks={"response": [count]}) as http,
            AsyncPhoneSwitchClient(
                TOKEN,
                base_url=base_url,
                guard=Guard(guard, share_rate_budget=True),
                http_client=http,
            ) as client,
        ):
            return list(await client.create_phone_switches(phones, concurrency=10))

    outcomes = asyncio.run(run())
    kinds = Counter(type(outcome).__name__ for outcome in outcomes)
    report.write_text(json.dumps({"outcomes": kinds, "answers": answers}), encoding="utf-8")
    sys.exit(0)
