"""Fuzzing /ivr: random form parameters on every webhook, each request validly signed with twilio's
RequestValidator (and, separately, random signatures).

A validly signed request is never refused for its signature and never gets a 5xx: it gets TwiML
(well-formed XML with a `<Response>` root) or a 4xx in the JSON error shape.
"""
from __future__ import annotations

import string
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.flow import PATHS
from tests.fuzz.conftest import FUZZ_SETTINGS, TwilioSender, assert_error_shape

FUZZ = settings(FUZZ_SETTINGS, max_examples=80)

TWILIO_FIELDS = [
    "CallSid", "AccountSid", "From", "To", "Caller", "Called", "CallStatus", "Direction", "ApiVersion",
    "Digits", "SpeechResult", "Confidence", "DialCallStatus", "DialCallDuration", "RecordingUrl",
    "RecordingSid", "RecordingDuration", "RecordingStatus", "CallDuration", "FinishedOnKey", "msg",
]
form_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)
call_sids = st.one_of(
    st.builds(lambda: "CA" + uuid.uuid4().hex),
    st.sampled_from(["CAfuzz0000000000000000000000000001", "CAfuzz0000000000000000000000000002"]),
    st.text(string.ascii_letters + string.digits, max_size=70),
    form_text,
)
values = {
    "CallSid": call_sids,
    "Digits": st.one_of(st.text("0123456789*#", max_size=12), form_text),
    "SpeechResult": st.one_of(
        st.sampled_from(["稳岗返还的裁员率标准是多少", "失业金涨了吗", "转人工", "重听", "一", "再见", "二十八", "没有了"]),
        form_text,
    ),
    "CallStatus": st.sampled_from(["ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"]) | form_text,
    "DialCallStatus": st.sampled_from(["completed", "answered", "busy", "no-answer", "failed", "canceled"]) | form_text,
    "RecordingDuration": st.integers(-10, 10**12).map(str) | form_text,
    "Confidence": st.floats(allow_nan=True).map(str) | form_text,
}


@st.composite
def webhook_forms(draw) -> dict[str, str]:
    """Twilio's field names with plausible or random values, some missing, plus random extra fields."""
    chosen = draw(st.lists(st.sampled_from(TWILIO_FIELDS), unique=True, max_size=len(TWILIO_FIELDS)))
    if draw(st.integers(0, 3)):  # mostly a call id, so the requests reach the call flow
        chosen = ["CallSid", *[f for f in chosen if f != "CallSid"]]
    form = {name: draw(values.get(name, form_text)) for name in chosen}
    form.update(draw(st.dictionaries(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20),
                                     form_text, max_size=3)))
    return form


def check_webhook_answer(response: requests.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    assert response.status_code != 403, f"a validly signed request was refused: {response.text[:200]}"
    if response.status_code != 200:
        assert_error_shape(response)
        return
    assert response.headers["Content-Type"].startswith("text/xml")
    assert ET.fromstring(response.content).tag == "Response"


def test_random_signed_posts_never_5xx(fuzz_system):
    twilio = TwilioSender(fuzz_system.url + "/ivr")

    @FUZZ
    @given(st.sampled_from(sorted(PATHS.values())), webhook_forms())
    def run(path: str, form: dict[str, str]) -> None:
        check_webhook_answer(twilio.post(path, form))

    run()


def test_a_random_call_walk_never_5xx(fuzz_system):
    """Several webhooks of ONE call in a row, so the flow's state machine is fuzzed too."""
    twilio = TwilioSender(fuzz_system.url + "/ivr")

    @settings(FUZZ, max_examples=25)
    @given(st.lists(st.tuples(st.sampled_from(sorted(PATHS.values())), webhook_forms()), min_size=2, max_size=8))
    def run(steps: list[tuple[str, dict]]) -> None:
        sid = "CA" + uuid.uuid4().hex
        check_webhook_answer(twilio.post(PATHS["voice"], {"CallSid": sid, "CallStatus": "ringing"}))
        for path, form in steps:
            check_webhook_answer(twilio.post(path, {**form, "CallSid": sid}))

    run()


def test_random_signed_gets_never_5xx(fuzz_system):
    twilio = TwilioSender(fuzz_system.url + "/ivr")

    @FUZZ
    @given(st.sampled_from(sorted(PATHS.values())), webhook_forms())
    def run(path: str, form: dict[str, str]) -> None:
        check_webhook_answer(twilio.get(path, urlencode(form)))

    run()


def test_random_signatures_are_403_in_the_error_shape(fuzz_system):
    twilio = TwilioSender(fuzz_system.url + "/ivr")

    @settings(FUZZ, max_examples=40)
    @given(st.sampled_from(sorted(PATHS.values())), webhook_forms(),
           st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60))
    def run(path: str, form: dict[str, str], signature: str) -> None:
        response = twilio.post(path, form, signature=signature)
        assert response.status_code == 403, (response.status_code, response.text[:200])
        assert_error_shape(response)

    run()


def test_a_signed_get_with_chinese_speech_is_accepted(fuzz_system):
    """Twilio signs the URL it calls, percent-encoded; a GET webhook carrying Chinese words must pass
    (the shortest case the GET fuzzer finds)."""
    twilio = TwilioSender(fuzz_system.url + "/ivr")
    sid = "CA" + uuid.uuid4().hex
    check_webhook_answer(twilio.get(PATHS["voice"], urlencode({"CallSid": sid, "CallStatus": "ringing"})))
    check_webhook_answer(twilio.get(PATHS["input"], urlencode({"CallSid": sid, "SpeechResult": "失业金涨了吗"})))


# --- raw bytes in a signed form (issue 17, finding 4) ---------------------------------------------
# A form body may carry any bytes, percent-encoded or not: invalid UTF-8, a lone surrogate's bytes.
# Signed over the form as the server decodes it, such a request is never refused for its
# signature, never a 5xx, and never puts an unstorable character into a turn.

def test_random_bytes_in_signed_form_fields_never_5xx(fuzz_system):
    from urllib.parse import quote_from_bytes

    from werkzeug.formparser import parse_form_data
    from werkzeug.test import EnvironBuilder

    twilio = TwilioSender(fuzz_system.url + "/ivr")
    sid = "CA" + uuid.uuid4().hex
    check_webhook_answer(twilio.post(PATHS["voice"], {"CallSid": sid, "CallStatus": "ringing"}))
    raw_bytes = st.binary(max_size=40) | st.sampled_from([b"\xed\xa0\x80", b"\xed\xbf\xbf", "失业金".encode() + b"\xed\xa0\x80"])

    @FUZZ
    @given(st.sampled_from(["SpeechResult", "Digits", "From", "CallStatus", "RecordingUrl"]), raw_bytes, st.booleans())
    def run(field: str, value: bytes, percent_encoded: bool) -> None:
        encoded = quote_from_bytes(value, safe="").encode() if percent_encoded else value.replace(b"&", b"").replace(b"=", b"")
        body = f"CallSid={sid}&Confidence=0.9&{field}=".encode() + encoded
        environ = EnvironBuilder(method="POST", data=body, content_type="application/x-www-form-urlencoded").get_environ()
        _, form, _ = parse_form_data(environ)
        url = twilio.base_url + PATHS["input"]
        signature = twilio.validator.compute_signature(url, form.to_dict())
        response = requests.post(url, data=body, timeout=60, headers={
            "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})
        check_webhook_answer(response)

    run()
