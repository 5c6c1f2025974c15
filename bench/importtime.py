"""Import time: ``import intercom_phone_switch`` against ``import httpx``, fresh interpreters.

The package imports its public names lazily, so ``import intercom_phone_switch`` alone
loads almost nothing; ``from intercom_phone_switch import PhoneSwitchClient`` (which
loads httpx and the client) is measured too, as information.

Each sample is the wall time of a new interpreter running ``python -c "import X"``, less
the median wall time of ``python -c "pass"`` (the interpreter's own start and exit). The
commands run in turn, ``rounds`` times; each figure is the median, and each ratio the
median of the rounds' ratios. A second run
with ``-X importtime`` lists, for the report, which modules the package adds beyond those
httpx imports, the slowest first.
"""

from __future__ import annotations

import subprocess
import sys
import time

from .report import Row, Target, spread
from .support import environment, median

PACKAGE = "intercom_phone_switch"
BASELINE = "httpx"
CLIENT = "client"
COLD_RAW = "cold raw"
COLD_FACADE = "cold facade"

#: A whole first call: import, construct, one phone switch through an httpx.MockTransport.
_ANSWER = (
    "lambda request: httpx.Response(200, json={'type': 'phone_call_redirect',"
    " 'url': 'http://via.intercom.io/msgr/x'})"
)
COLD_RAW_CODE = f"""
import httpx
http = httpx.Client(transport=httpx.MockTransport({_ANSWER}))
http.post(httpx.URL('https://api.intercom.io/phone_call_redirects'),
          json={{'phone': '+353832345678'}},
          headers={{'Authorization': 'Bearer t', 'Intercom-Version': '2.16'}}).json()
"""
COLD_FACADE_CODE = f"""
import httpx
from {PACKAGE} import PhoneSwitchClient
http = httpx.Client(transport=httpx.MockTransport({_ANSWER}))
PhoneSwitchClient('t', http_client=http).create_phone_switch('+353832345678')
"""


def wall_ns(code: str) -> int:
    started = time.perf_counter_ns()
    subprocess.run([sys.executable, "-c", code], check=True, env=environment())
    return time.perf_counter_ns() - started


def import_profile(module: str) -> dict[str, tuple[int, int]]:
    """Module -> (self us, cumulative us) from ``-X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        check=True,
        capture_output=True,
        text=True,
        env=environment(),
    )
    found: dict[str, tuple[int, int]] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        found[name.strip()] = (int(own), int(cumulative))
    return found


def added_modules(limit: int = 8) -> list[tuple[str, int]]:
    """The modules importing the package loads beyond httpx's, by self time (us)."""
    ours, theirs = import_profile(PACKAGE), import_profile(BASELINE)
    extra = [(name, own) for name, (own, _) in ours.items() if name not in theirs]
    return sorted(extra, key=lambda item: item[1], reverse=True)[:limit]


def run(rounds: int = 15) -> list[Row]:
    codes = {
        "startup": "pass",
        PACKAGE: f"import {PACKAGE}",
        BASELINE: f"import {BASELINE}",
        CLIENT: f"from {PACKAGE} import PhoneSwitchClient",
        COLD_RAW: COLD_RAW_CODE,
        COLD_FACADE: COLD_FACADE_CODE,
    }
    for code in codes.values():  # write the bytecode caches, warm the file system cache
        wall_ns(code)
    samples: dict[str, list[int]] = {name: [] for name in codes}
    for _ in range(rounds):
        for name, code in codes.items():
            samples[name].append(wall_ns(code))
    startup = median(samples["startup"])
    ms = {name: (median(samples[name]) - startup) / 1e6 for name in (PACKAGE, BASELINE, CLIENT)}
    per_round = {
        name: [(sample - startup) / 1e6 for sample in samples[name]]
        for name in (PACKAGE, BASELINE, CLIENT)
    }

    def round_ratios(name: str) -> list[float]:
        # Round by round, each import less that round's interpreter start: a slow spell
        # of the machine then weighs on both sides of a ratio alike.
        pairs = zip(samples[name], samples[BASELINE], samples["startup"], strict=True)
        return [(a - s) / (b - s) for a, b, s in pairs if b > s]

    def ratio_spread(name: str) -> tuple[float, float] | None:
        return spread(round_ratios(name))

    cold = samples[COLD_FACADE]
    extra = added_modules()
    ratio = median(round_ratios(PACKAGE))
    section = "import time (fresh interpreter)"
    details = {
        "rounds": rounds,
        "startup_ms": startup / 1e6,
        "compares": "median wall time of `python -c 'import X'` minus that of `python -c pass`;"
        " ratios are the median of the rounds' ratios",
        "modules_added_beyond_httpx_self_us": dict(extra),
    }
    return [
        Row(
            section,
            f"import {BASELINE}",
            ms[BASELINE],
            "ms",
            details=details,
            spread=spread(per_round[BASELINE]),
        ),
        Row(
            section,
            f"import {PACKAGE}",
            ms[PACKAGE],
            "ms",
            reference=f"import {BASELINE}",
            ratio=ratio,
            spread=spread(per_round[PACKAGE]),
            ratio_spread=ratio_spread(PACKAGE),
            target=Target("<=", 1.2),
            note=""
            if ratio <= 1.2 or not extra
            else "slowest modules it adds beyond httpx's: "
            + ", ".join(f"{name} {own / 1000:.1f} ms" for name, own in extra[:5]),
        ),
        Row(
            section,
            f"from {PACKAGE} import PhoneSwitchClient",
            ms[CLIENT],
            "ms",
            reference=f"import {BASELINE}",
            ratio=median(round_ratios(CLIENT)),
            spread=spread(per_round[CLIENT]),
            ratio_spread=ratio_spread(CLIENT),
            target=Target("<=", 1.05),
            note="what a first call needs imported (httpx included)",
        ),
        Row(
            "cold start (fresh process: import, construct, one call)",
            "raw httpx",
            median(samples[COLD_RAW]) / 1e6,
            "ms",
            spread=spread([sample / 1e6 for sample in samples[COLD_RAW]]),
            note="whole process wall time, interpreter start included; MockTransport",
        ),
        Row(
            "cold start (fresh process: import, construct, one call)",
            "facade",
            median(samples[COLD_FACADE]) / 1e6,
            "ms",
            reference="raw httpx (time ratio)",
            ratio=median([a / b for a, b in zip(cold, samples[COLD_RAW], strict=True)]),
            ratio_spread=spread([a / b for a, b in zip(cold, samples[COLD_RAW], strict=True)]),
            spread=spread([sample / 1e6 for sample in cold]),
            target=Target("<=", 1.15),
        ),
    ]
