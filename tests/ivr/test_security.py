"""Every IVR webhook checks X-Twilio-Signature (real HTTP, signatures from twilio's RequestValidator).

Run: .venv/bin/python -m pytest -q tests/ivr/test_security.py
"""
from urllib.parse import urlencode

import pytest
import requests
from twilio.request_validator import RequestValidator

from bot.config import Settings
from ivr.flow import PATHS
from ivr.security import auth_token
from tests.ivr.conftest import TOKEN, Phone, Twiml

ENDPOINTS = sorted(PATHS.values())


def assert_refused(response):
    assert response.status_code == 403
    assert response.json() == {"error": {"code": "bad_signature", "message": "请求签名无效，已拒绝。"}}


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_missing_signature_is_refused_on_every_webhook(server, path):
    response = requests.post(server[0].url + "/ivr" + path, data={"CallSid": "CA1"}, timeout=30)
    assert_refused(response)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_signature_made_with_another_token_is_refused_on_every_webhook(server, path):
    phone = Phone(server[0].url, token="not-the-token")
    assert_refused(phone.post(phone.url("/ivr" + path)))


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_correct_signature_is_accepted_on_every_webhook(server, path):
    phone = Phone(server[0].url)
    response = phone.post(phone.url("/ivr" + path), {"DialCallStatus": "completed", "CallStatus": "completed"})
    Twiml(response)


def test_tampered_parameters_are_refused(server):
    phone = Phone(server[0].url)
    url = phone.url("/ivr/input")
    data = {"CallSid": phone.call_sid, "Digits": "1"}
    signature = RequestValidator(TOKEN).compute_signature(url, data)
    response = requests.post(url, data={**data, "Digits": "0"}, headers={"X-Twilio-Signature": signature}, timeout=30)
    assert_refused(response)


def test_a_signature_for_another_url_is_refused(server):
    phone = Phone(server[0].url)
    signature = RequestValidator(TOKEN).compute_signature(phone.url("/ivr/status"), {"CallSid": phone.call_sid})
    assert_refused(phone.post(phone.url("/ivr/voice"), signature=signature))


def test_a_get_webhook_is_signed_over_its_query_string(server):
    url = server[0].url + "/ivr/voice?CallSid=CA42&From=%2B8613900001234"
    signature = RequestValidator(TOKEN).compute_signature(url, {})
    answer = Twiml(requests.get(url, headers={"X-Twilio-Signature": signature}, timeout=30))
    assert answer.gather is not None
    assert_refused(requests.get(url.replace("CA42", "CA43"), headers={"X-Twilio-Signature": signature}, timeout=30))


def test_a_signed_request_without_call_sid_gets_a_clear_error(server):
    url = server[0].url + "/ivr/voice"
    signature = RequestValidator(TOKEN).compute_signature(url, {"From": "+861"})
    response = requests.post(url, data={"From": "+861"}, headers={"X-Twilio-Signature": signature}, timeout=30)
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "missing_call_sid", "message": "缺少或无效的通话标识 CallSid。"}}


def test_behind_a_proxy_the_public_url_is_what_twilio_signs(servers):
    public = "https://hotline.example.com/dalian"
    live, _ = servers.start(public_url=public)
    phone = Phone(live.url, public_url=public)
    answer = phone.call()
    # TwiML points Twilio at the public URLs, and those are the ones signed and accepted
    assert answer.gather.get("action") == public + "/ivr/input"
    assert answer.first("Redirect").text == public + "/ivr/no-input"
    assert "企业稳岗与用工" in phone.press("1").spoken
    # the same request signed for the URL the app sees locally is not what Twilio would send
    local = Phone(live.url)
    assert_refused(local.post(local.url("/ivr/voice")))


def test_the_configured_auth_token_is_used(tmp_path):
    assert auth_token(Settings.from_env({}, var_dir=tmp_path, twilio_auth_token="configured")) == "configured"


def test_without_a_token_a_development_token_is_generated_once_and_kept(tmp_path):
    first = auth_token(Settings.from_env({}, var_dir=tmp_path))
    assert len(first) == 32
    assert auth_token(Settings.from_env({}, var_dir=tmp_path)) == first
    assert auth_token(Settings.from_env({}, var_dir=tmp_path / "other")) != first


def test_the_development_token_still_checks_signatures(servers, tmp_path):
    live, services = servers.start(twilio_auth_token="")
    token = auth_token(services.settings)
    assert_refused(Phone(live.url, token=TOKEN).post(live.url + "/ivr/voice"))
    assert Phone(live.url, token=token).call().gather is not None


def test_a_get_webhook_with_chinese_words_is_signed_percent_encoded(server):
    phone = Phone(server[0].url)
    phone.call()
    url = server[0].url + "/ivr/input?" + urlencode({"CallSid": phone.call_sid, "SpeechResult": "失业金标准是多少"})
    assert "%E5%A4%B1" in url
    signature = RequestValidator(TOKEN).compute_signature(url, {})
    answer = Twiml(requests.get(url, headers={"X-Twilio-Signature": signature}, timeout=30))
    assert answer.says[0].startswith("失业保险金标准")


# --- invalid Unicode at the IVR's edge (issue 17, finding 4) -------------------------------------
# A form body cannot carry a lone surrogate as text: its UTF-8 bytes (ED A0 80) are not valid
# UTF-8, percent-encoded or raw. Whatever werkzeug makes of them, the caller gets TwiML, never a 500,
# and no turn carries a character that cannot be stored.

@pytest.mark.parametrize("raw", [b"%ED%A0%80", b"%ED%BF%BF%E5%A4%B1%E4%B8%9A%E9%87%91", b"\xed\xa0\x80",
                                 b"%F0%9F%98", b"%FF%FE"])
@pytest.mark.parametrize("field", [b"SpeechResult", b"Digits"])
def test_invalid_utf8_in_speech_or_digits_is_never_a_500(server, raw, field):
    from werkzeug.formparser import parse_form_data
    from werkzeug.test import EnvironBuilder

    from bot.core.turn import is_valid_unicode

    phone = Phone(server[0].url)
    phone.call()
    url = phone.url("/ivr/input")
    body = b"CallSid=" + phone.call_sid.encode() + b"&" + field + b"=" + raw + b"&Confidence=0.9"
    # Sign what the server will see: the form as werkzeug decodes it.
    environ = EnvironBuilder(method="POST", data=body, content_type="application/x-www-form-urlencoded").get_environ()
    _, form, _ = parse_form_data(environ)
    signature = RequestValidator(TOKEN).compute_signature(url, form.to_dict())
    response = requests.post(url, data=body, timeout=30, headers={
        "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        Twiml(response)
    else:
        assert set(response.json()["error"]) == {"code", "message"}
    conversation = server[1].conversation
    assert all(is_valid_unicode(t.text) and is_valid_unicode(t.user_id) for t in conversation.turns)
