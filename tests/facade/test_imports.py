"""Import stays light: no generated version, and none of the heavy libraries, until used.

Each check runs in a fresh interpreter and reads sys.modules.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

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
    assert found == {"versions": ["registry"], "supported": 24}


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
