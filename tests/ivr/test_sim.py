"""`hotline ivr-sim` against the real app over HTTP, signing like Twilio.

Run: .venv/bin/python -m pytest -q tests/ivr/test_sim.py
"""
import pytest
from click.testing import CliRunner

from bot.runtime.cli import main
from bot.core.messages import say
from ivr import menu
from ivr.sim import ConsoleCaller, ScriptedCaller, SimulatedCall, voicemail_words
from tests.ivr.conftest import AGENTS, TOKEN


def run_cli(args, env, stdin=None):
    return CliRunner().invoke(main, ["ivr-sim", *args], env=env, input=stdin, catch_exceptions=False)


def test_a_scripted_call_shows_what_the_caller_hears(server):
    live, services = server
    result = run_cli(
        ["--url", live.url, "--token", TOKEN, "--script", "1,2,28#,3#,说:失业金标准是多少,#"],
        env={"HOTLINE_VAR_DIR": str(services.settings.var_dir)},
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "【播报】您好，欢迎致电大连一二三三三" in out
    assert "【按键】1" in out and "【按键】28" in out and "【按键】3" in out
    assert "【播报】请输入参保职工人数，按井号键结束。" in out
    assert "三除以二十八约等于百分之十点七，不超过百分之二十" in out
    assert "【说话】失业金标准是多少" in out
    assert f"【播报】{say('goodbye', 'ivr')}" in out and "【挂机】" in out
    assert "【回调】status → 200" in out
    texts = [t.text for t in services.conversation.turns]
    assert texts == ["我们企业能申请稳岗返还吗？", "28", "3", "失业金标准是多少"]
    [(_, _, status)] = services.turn_log.of("status")
    assert status["status"] == "completed"


def test_the_simulator_signs_with_the_servers_development_token(servers):
    live, services = servers.start(twilio_auth_token="")
    result = run_cli(["--url", live.url, "--script", "9,挂断"], env={"HOTLINE_VAR_DIR": str(services.settings.var_dir)})
    assert result.exit_code == 0, result.output
    assert result.output.count(menu.main_menu()) == 2 and "来电方挂断" in result.output


def test_a_wrong_token_is_reported_not_crashed(server, tmp_path):
    result = CliRunner().invoke(
        main, ["ivr-sim", "--url", server[0].url, "--token", "wrong", "--script", "1"], env={"HOTLINE_VAR_DIR": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert "返回 403" in result.output and "请求签名无效" in result.output


def test_an_unreachable_server_is_reported(tmp_path):
    result = CliRunner().invoke(
        main, ["ivr-sim", "--url", "http://127.0.0.1:9", "--token", TOKEN, "--script", "1"],
        env={"HOTLINE_VAR_DIR": str(tmp_path)},
    )
    assert result.exit_code == 1 and "无法连接 http://127.0.0.1:9" in result.output


def test_actions_can_come_from_stdin(server):
    live, services = server
    result = run_cli(["--url", live.url, "--token", TOKEN], env={"HOTLINE_VAR_DIR": str(services.settings.var_dir)},
                     stdin="2\n1\n#\n")
    assert result.exit_code == 0, result.output
    assert "失业保险金标准：累计缴费满一年不足十年的" in result.output


def test_silence_transfer_and_voicemail_in_a_simulated_call(agent_server):
    live, services = agent_server
    call = SimulatedCall(live.url, TOKEN)
    transcript = call.run(ScriptedCaller(["", "静音", "-", "", "无人接听", "留言:请尽快回电，电话13900001234"]))
    kinds = transcript.kinds()
    assert kinds.count("silence") == 4 and "dial" in kinds and "voicemail" in kinds
    heard = transcript.heard()
    assert heard.count(say("ivr_no_input")) == 4 and say("handoff", "ivr") in heard
    assert say("ivr_voicemail_prompt") in heard and say("ivr_voicemail_received") in heard
    dial = [e.text for e in transcript.events if e.kind == "dial"]
    assert dial == ["、".join(AGENTS), "无人接听（no-answer）"]
    [(sid, _, voicemail)] = services.turn_log.of("voicemail")
    assert sid == call.call_sid and voicemail["caller"] == call.caller and voicemail["dial_status"] == "no-answer"
    assert [e.text for e in transcript.events if e.kind == "callback"] == ["recording → 200", "status → 200"]


def test_an_answered_transfer_in_a_simulated_call(agent_server):
    transcript = SimulatedCall(agent_server[0].url, TOKEN).run(ScriptedCaller(["0", "接听"]))
    assert transcript.heard()[-1] == say("goodbye", "ivr")


def test_the_keypad_menu_after_silences_still_hears_words(server):
    # Keys are asked for after three silences, but a caller's words still count (转人工 must).
    SimulatedCall(server[0].url, TOKEN).run(ScriptedCaller(["", "", "", "说:失业金", "挂断"]))
    assert [t.text for t in server[1].conversation.turns] == ["失业金"]


def test_the_simulator_plays_twilio_behind_a_proxy(servers):
    public = "https://hotline.example.com"
    live, services = servers.start(public_url=public)
    transcript = SimulatedCall(live.url, TOKEN, public_url=public).run(ScriptedCaller(["1", "1"]))
    assert menu.topic_menu(menu.topic("1")) in transcript.heard()
    assert services.conversation.turns[-1].text == "稳岗返还的裁员率标准是多少？"


@pytest.mark.parametrize(
    "action, words",
    [("留言:请回电", "请回电"), ("留言：请回电", "请回电"), ("留言:留言:请回电", "请回电"), ("留言: ", ""), ("请回电", "")],
)
def test_a_scripted_voicemail_is_recorded_without_its_prefix(action, words):
    assert voicemail_words(action) == words


@pytest.mark.parametrize("typed", ["请尽快回电", "留言:请尽快回电", "留言：请尽快回电"])
def test_the_console_voicemail_is_recorded_without_the_prefix_however_it_is_typed(agent_server, monkeypatch, typed):
    answers = iter(["0", "无人接听", typed])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    transcript = SimulatedCall(agent_server[0].url, TOKEN).run(ConsoleCaller())
    assert [e.text for e in transcript.events if e.kind == "voicemail"] == ["请尽快回电"]
