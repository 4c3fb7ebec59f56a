"""The TwiML builders, as exact documents (no server). Run: .venv/bin/python -m pytest -q tests/ivr/test_twiml.py"""
import pytest

from ivr import twiml

HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
SPEAKER = twiml.Speaker("Polly.Zhiyu", "cmn-CN", "cmn-Hans-CN", "稳岗返还,失业保险金")
SAY = '<Say language="cmn-CN" voice="Polly.Zhiyu">'


def test_a_menu_listens_for_one_key_or_mandarin_speech_then_redirects_on_silence():
    assert twiml.gather("请按1。", speaker=SPEAKER, action="/ivr/input", no_input="/ivr/no-input") == (
        HEAD + "<Response>"
        '<Gather action="/ivr/input" finishOnKey="" hints="稳岗返还,失业保险金" input="dtmf speech" '
        'language="cmn-Hans-CN" method="POST" numDigits="1" speechTimeout="auto" timeout="5">'
        f"{SAY}请按1。</Say></Gather>"
        '<Redirect method="POST">/ivr/no-input</Redirect>'
        "</Response>"
    )


def test_an_answer_is_said_before_the_gather_so_it_cannot_be_cut_off():
    assert twiml.gather(
        "还有别的问题吗？", speaker=SPEAKER, action="/ivr/input", no_input="/ivr/no-input", before=["答案。", "另一句。"]
    ) == (
        HEAD + "<Response>"
        f"{SAY}答案。</Say>{SAY}另一句。</Say>"
        '<Gather action="/ivr/input" finishOnKey="" hints="稳岗返还,失业保险金" input="dtmf speech" '
        'language="cmn-Hans-CN" method="POST" numDigits="1" speechTimeout="auto" timeout="5">'
        f"{SAY}还有别的问题吗？</Say></Gather>"
        '<Redirect method="POST">/ivr/no-input</Redirect>'
        "</Response>"
    )


def test_a_number_is_typed_on_the_keypad_and_ended_with_the_hash_key():
    assert twiml.gather(
        "请输入参保职工人数，按井号键结束。", speaker=SPEAKER, action="/ivr/input", no_input="/ivr/no-input", number=True
    ) == (
        HEAD + "<Response>"
        '<Gather action="/ivr/input" finishOnKey="#" hints="稳岗返还,失业保险金" input="dtmf speech" '
        'language="cmn-Hans-CN" method="POST" speechTimeout="auto" timeout="10">'
        f"{SAY}请输入参保职工人数，按井号键结束。</Say></Gather>"
        '<Redirect method="POST">/ivr/no-input</Redirect>'
        "</Response>"
    )


def test_a_choice_takes_the_whole_entry_so_a_wrong_one_can_be_refused():
    assert twiml.gather(
        "中小微企业请按1，其他企业请按2。", speaker=SPEAKER, action="/ivr/input", no_input="/ivr/no-input", choice=True
    ) == (
        HEAD + "<Response>"
        '<Gather action="/ivr/input" finishOnKey="#" hints="稳岗返还,失业保险金" input="dtmf speech" '
        'language="cmn-Hans-CN" method="POST" speechTimeout="auto" timeout="5">'
        f"{SAY}中小微企业请按1，其他企业请按2。</Say></Gather>"
        '<Redirect method="POST">/ivr/no-input</Redirect>'
        "</Response>"
    )


def test_the_keypad_menu_does_not_listen_to_speech():
    assert twiml.gather("请按键选择。", speaker=SPEAKER, action="/a", no_input="/b", dtmf_only=True) == (
        HEAD + "<Response>"
        '<Gather action="/a" finishOnKey="" input="dtmf" method="POST" numDigits="1" timeout="5">'
        f"{SAY}请按键选择。</Say></Gather>"
        '<Redirect method="POST">/b</Redirect>'
        "</Response>"
    )


def test_no_hints_attribute_without_hints_and_text_is_escaped():
    speaker = twiml.Speaker("Polly.Zhiyu", "cmn-CN", "cmn-Hans-CN")
    assert twiml.gather("A & <B>", speaker=speaker, action="/a?x=1&y=2", no_input="/b") == (
        HEAD + "<Response>"
        '<Gather action="/a?x=1&amp;y=2" finishOnKey="" input="dtmf speech" language="cmn-Hans-CN" '
        'method="POST" numDigits="1" speechTimeout="auto" timeout="5">'
        f"{SAY}A &amp; &lt;B&gt;</Say></Gather>"
        '<Redirect method="POST">/b</Redirect>'
        "</Response>"
    )


def test_dial_rings_every_agent_with_a_timeout_and_an_action():
    assert twiml.dial(
        ["+8641110000001", "+8641110000002"], speaker=SPEAKER, action="/ivr/dial-result", timeout=20,
        before=["正在为您转接人工服务，请稍候。"],
    ) == (
        HEAD + "<Response>"
        f"{SAY}正在为您转接人工服务，请稍候。</Say>"
        '<Dial action="/ivr/dial-result" method="POST" timeout="20">'
        "<Number>+8641110000001</Number><Number>+8641110000002</Number>"
        "</Dial></Response>"
    )


def test_dial_needs_a_number():
    with pytest.raises(ValueError, match="at least one agent number"):
        twiml.dial([], speaker=SPEAKER, action="/a", timeout=20)


def test_voicemail_records_with_a_maximum_length_and_a_status_callback():
    assert twiml.voicemail(
        speaker=SPEAKER, action="/ivr/voicemail", status_callback="/ivr/recording", max_length=120,
        before=["请在提示音后留言。"], if_silent=["没有录到您的留言。", "再见。"],
    ) == (
        HEAD + "<Response>"
        f"{SAY}请在提示音后留言。</Say>"
        '<Record action="/ivr/voicemail" finishOnKey="#" maxLength="120" method="POST" playBeep="true" '
        'recordingStatusCallback="/ivr/recording" recordingStatusCallbackMethod="POST" timeout="5" />'
        f"{SAY}没有录到您的留言。</Say>{SAY}再见。</Say>"
        "<Hangup /></Response>"
    )


def test_say_and_hang_up_skips_empty_lines():
    assert twiml.say_and_hang_up(["", "感谢您的来电，再见。"], speaker=SPEAKER) == (
        HEAD + f"<Response>{SAY}感谢您的来电，再见。</Say><Hangup /></Response>"
    )


def test_callbacks_get_an_empty_document():
    assert twiml.empty() == HEAD + "<Response />"
