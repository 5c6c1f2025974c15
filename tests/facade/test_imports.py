"""Import stays light: no generated version, and none of the heavy libraries, until used.

Each check runs in a fresh interpreter and reads sys.modules.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.versions import HEADER_VALUE_COUNT

HEAVY = ["phonenumbers", "jsonschema", "yaml", "rich", "click"]


def run(script: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_import_loads_nothing_heavy() -> None:
    found = run(
        f"""
        import json, sys
        import intercom_phone_switch
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in {[*HEAVY, "httpx"]!r})
        generated = "intercom_phone_switch_generated."
        versions = sorted(m for m in sys.modules if m.startswith(generated))
        print(json.dumps({{"loaded": loaded, "versions": versions}}))
        """
    )
    assert found == {"loaded": [], "versions": []}


def test_a_client_works_without_the_heavy_libraries_until_a_call() -> None:
    # The heavy libraries cannot be imported at all here (httpx does without click and
    # rich): making a client must not need them.
    found = run(
        f"""
        import json, sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {HEAVY!r}:
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Block())
        import httpx
        from intercom_phone_switch import (
            AsyncPhoneSwitchClient, PhoneSwitchClient, PhoneSwitchError, SUPPORTED_VERSIONS,
            LATEST_VERSION, InvalidPhoneNumber, RateLimited,
        )
        client = PhoneSwitchClient("token", version="2.13", region="eu")
        AsyncPhoneSwitchClient("token")
        client.close()
        versions = sorted(
            m.split(".")[1] for m in sys.modules if m.startswith("intercom_phone_switch_generated.")
        )
        print(json.dumps({{"versions": versions, "supported": len(SUPPORTED_VERSIONS)}}))
        """
    )
    assert found == {"versions": ["registry"], "supported": HEADER_VALUE_COUNT}


def test_a_call_imports_only_the_version_it_uses() -> None:
    found = run(
        """
        import json, sys
        import httpx
        from intercom_phone_switch import PhoneSwitchClient

        def handler(request):
            return httpx.Response(200, json={"type": "phone_call_redirect", "url": "http://x/1"})

        http = httpx.Client(transport=httpx.MockTransport(handler))
        with PhoneSwitchClient("token", version="2.3", http_client=http) as client:
            client.create_phone_switch("+353832345678", {"plan": "pro"})
        packages = sorted({
            m.split(".")[1] for m in sys.modules if m.startswith("intercom_phone_switch_generated.")
        })
        print(json.dumps({"packages": packages}))
        """
    )
    assert found == {"packages": ["registry", "v2_7"]}


def test_a_sync_client_never_loads_asyncio() -> None:
    # asyncio costs a sync caller (a serverless handler, say) about a tenth of its start.
    found = run(
        """
        import json, sys
        import httpx
        from intercom_phone_switch import PhoneSwitchClient

        def handler(request):
            return httpx.Response(200, json={"type": "phone_call_redirect", "url": "http://x/1"})

        http = httpx.Client(transport=httpx.MockTransport(handler))
        with PhoneSwitchClient("token", http_client=http) as client:
            client.create_phone_switch("+353832345678", {"plan": "pro"})
        with PhoneSwitchClient("token", http_client=http, guard="memory://") as client:
            client.create_phone_switch("+353832345679", idempotency_key="call-1")
        print(json.dumps({"asyncio": "asyncio" in sys.modules}))
        """
    )
    assert found == {"asyncio": False}


def test_a_client_without_a_guard_imports_none_of_it() -> None:
    found = run(
        """
        import json, os, sys
        import httpx
        from intercom_phone_switch import PhoneSwitchClient

        def handler(request):
            return httpx.Response(200, json={"type": "phone_call_redirect", "url": "http://x/1"})

        def guard_modules():
            prefix = "intercom_phone_switch.guard."
            return sorted(m[len(prefix):] for m in sys.modules if m.startswith(prefix))

        os.environ.pop("INTERCOM_PHONE_SWITCH_GUARD", None)
        http = httpx.Client(transport=httpx.MockTransport(handler))
        with PhoneSwitchClient("token", http_client=http) as client:
            client.create_phone_switch("+353832345678")
        before = guard_modules()
        os.environ["INTERCOM_PHONE_SWITCH_GUARD"] = "memory://from-the-environment"
        with PhoneSwitchClient("token", http_client=http) as client:
            guard = client._guard.guard.store.url
        print(json.dumps({"before": before, "guard": guard, "after": "_flow" in guard_modules()}))
        """
    )
    assert found == {
        "before": ["_environment"],
        "guard": "memory://from-the-environment",
        "after": True,
    }


def test_the_logging_filter_keeps_no_library_alive_at_exit() -> None:
    # The logging module holds the filter until the interpreter's last stage; whatever
    # its functions' globals reach lives as long. httpx reached from there made every
    # exit of a process with a client several milliseconds slower.
    found = run(
        """
        import gc, json, sys, types
        from intercom_phone_switch import PhoneSwitchClient
        from intercom_phone_switch._logging import _FILTER

        PhoneSwitchClient("a-token-long-enough-to-mask")
        seen, todo, reached = set(), [_FILTER], set()
        while todo:
            item = todo.pop()
            if id(item) in seen or isinstance(item, (str, bytes, int, float)):
                continue
            seen.add(id(item))
            if isinstance(item, types.ModuleType):
                reached.add(item.__name__.split(".")[0])
                continue
            todo.extend(gc.get_referents(item))
        print(json.dumps({"reached": sorted(reached)}))
        """
    )
    reached = found["reached"]
    assert isinstance(reached, list)
    assert "httpx" not in reached
    assert "intercom_phone_switch_generated" not in reached
