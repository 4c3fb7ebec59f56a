"""Latency of every IVR webhook, as Twilio would call them (signed, over HTTP); target p95 ≤ 150 ms.

    .venv/bin/python benchmarks/bench_ivr.py                      # the app in-process, real services
    .venv/bin/python benchmarks/bench_ivr.py --fake-conversation  # the IVR alone (canned turn logic)
    .venv/bin/python benchmarks/bench_ivr.py --url http://127.0.0.1:8000   # a running `hotline serve`

Each simulated call walks: incoming call → submenu key → common question (turn logic) → spoken
question (turn logic) → silence → transfer → no answer → voicemail → recording callback → status.
Prints p50 / p95 / max per webhook and whether p95 meets the target. Twilio's hard limit is 15 s.
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from urllib.parse import urljoin

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings  # noqa: E402
from ivr.security import auth_token, sign  # noqa: E402

TARGET_P95_MS = 150.0
AGENTS = ("+8641110000001", "+8641110000002")


class CannedConversation:
    """A turn logic that answers at once, to measure the IVR's own cost."""

    def handle(self, turn):
        from bot.core.turn import Reply

        return Reply(reply="失业保险金标准由当地最低工资标准的85%上调至90%，至2021年8月31日。", confidence=0.9)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


class Caller:
    def __init__(self, base_url: str, token: str, session: requests.Session, timings: dict):
        self.base_url, self.token, self.session, self.timings = base_url, token, session, timings
        self.call_sid = "CA" + uuid.uuid4().hex
        self.last_url = base_url + "/ivr/voice"
        self.last_xml = ""

    def post(self, name: str, url: str, params: dict) -> str:
        data = {"CallSid": self.call_sid, "From": "+8613900001234", "To": "+8641112333", **params}
        headers = {"X-Twilio-Signature": sign(self.token, url, data)}
        started = time.perf_counter()
        response = self.session.post(url, data=data, headers=headers, timeout=15)
        self.timings[name].append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{name}: HTTP {response.status_code} {response.text[:200]}")
        self.last_url, self.last_xml = url, response.text
        return response.text

    def action(self, tag: str, attribute: str = "action") -> str:
        import xml.etree.ElementTree as ET

        element = next(ET.fromstring(self.last_xml).iter(tag))
        return urljoin(self.last_url, element.text if attribute == "text" else element.get(attribute))

    def walk(self) -> None:
        self.post("voice", self.base_url + "/ivr/voice", {"CallStatus": "ringing"})
        self.post("input: menu key", self.action("Gather"), {"Digits": "2"})
        self.post("input: question key", self.action("Gather"), {"Digits": "1"})
        self.post("input: speech", self.action("Gather"), {"SpeechResult": "失业金标准是多少", "Confidence": "0.9"})
        self.post("no-input", self.action("Redirect", "text"), {})
        self.post("input: transfer", self.action("Gather"), {"Digits": "0"})
        dial_result = self.base_url + "/ivr/dial-result"
        self.post("dial-result", dial_result, {"DialCallStatus": "no-answer", "DialCallDuration": "0"})
        recording = {"RecordingSid": "RE" + uuid.uuid4().hex, "RecordingUrl": "https://api.twilio.com/r/RE1",
                     "RecordingDuration": "9"}
        self.post("voicemail", self.base_url + "/ivr/voicemail", recording)
        self.post("recording", self.base_url + "/ivr/recording", {**recording, "RecordingStatus": "completed"})
        self.post("status", self.base_url + "/ivr/status", {"CallStatus": "completed", "CallDuration": "95"})


def serve_in_process(fake: bool):
    """The app on a free loopback port, with real services (or a canned turn logic)."""
    import threading

    from werkzeug.serving import make_server

    from bot.app import create_app
    from bot.runtime.services import Services

    var_dir = Path(tempfile.mkdtemp(prefix="bench-ivr-"))
    settings = Settings.from_env(var_dir=var_dir, agent_numbers=AGENTS)
    services = Services(settings)
    if fake:
        services.conversation = CannedConversation()
    else:
        services.warm_up()
    app = create_app(services=services)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", auth_token(settings), server, services


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server (default: start the app in-process)")
    parser.add_argument("--token", help="the Twilio auth token of that server (default: from the settings)")
    parser.add_argument("--calls", type=int, default=50, help="simulated calls (default 50)")
    parser.add_argument("--warmup", type=int, default=3, help="calls not measured (default 3)")
    parser.add_argument("--fake-conversation", action="store_true", help="in-process only: canned turn logic")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per request

    server = services = None
    if args.url:
        base_url, token = args.url.rstrip("/"), args.token or auth_token(Settings.from_env())
    else:
        base_url, token, server, services = serve_in_process(args.fake_conversation)
    session = requests.Session()
    warm: dict = defaultdict(list)
    for _ in range(args.warmup):
        Caller(base_url, token, session, warm).walk()
    timings: dict[str, list[float]] = defaultdict(list)
    for _ in range(args.calls):
        Caller(base_url, token, session, timings).walk()

    mode = "canned turn logic" if args.fake_conversation else ("running server" if args.url else "real services")
    print(f"IVR webhooks, {args.calls} calls against {base_url} ({mode}); target p95 ≤ {TARGET_P95_MS:.0f} ms")
    print(f"{'webhook':<22}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}  target")
    worst = 0.0
    for name, values in timings.items():
        p95 = percentile(values, 0.95)
        worst = max(worst, p95)
        verdict = "ok" if p95 <= TARGET_P95_MS else "SLOW"
        print(f"{name:<22}{len(values):>5}{statistics.median(values):>10.1f}{p95:>10.1f}{max(values):>10.1f}  {verdict}")
    print(f"worst p95: {worst:.1f} ms — {'meets' if worst <= TARGET_P95_MS else 'misses'} the target")
    if server is not None:
        server.shutdown()
        services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
