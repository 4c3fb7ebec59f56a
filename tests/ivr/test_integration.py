"""Calls through the whole system: the app over HTTP, the real conversation core, the real Rasa
and action servers, the rule table, retrieval and the turn log.

Run: .venv/bin/python -m pytest -q tests/ivr/test_integration.py (starts Rasa once, ~1 minute).
"""
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.app import create_app
from bot.runtime.cli import main
from bot.config import REPO_ROOT
from bot.core import slots
from bot.eligibility import prompt_for
from bot.hotspots import db
from bot.core.messages import say
from ivr import menu
from ivr.security import auth_token
from ivr.speech import read_aloud
from tests.fixtures.app import serve_app
from tests.ivr.conftest import Phone

pytestmark = pytest.mark.integration

# How a caller answers the form's questions on the keypad: 28 staff, 3 laid off; 12 years paid in.
KEYS = {
    slots.ENTERPRISE_SIZE: "1",
    slots.EMPLOYEES: "28#",
    slots.LAYOFFS: "3#",
    slots.AFFECTED_BY_EPIDEMIC: "1",
    slots.CONTRIBUTION_YEARS: "12#",
    slots.SEPARATION_REASON: "2",
}
NO_WRITTEN_FORMS = re.compile(r"[0-9%/≈≤《》“”（）()\[\]【】]|http")


@pytest.fixture
def real_app(rasa_stack, rasa_services):
    app = create_app({"TESTING": True}, services=rasa_services)
    with serve_app(app) as live:
        yield live, rasa_services


def asked_slot(answer) -> str | None:
    spoken = answer.spoken
    for slot in KEYS:
        if read_aloud(prompt_for(slot, channel="ivr")) in spoken:
            return slot
    return None


def answer_on_keypad(phone, answer):
    """Answer every question the form asks with its key; returns (the last TwiML, slots asked)."""
    asked = []
    for _ in range(len(KEYS) + 1):
        slot = asked_slot(answer)
        if slot is None:
            return answer, asked
        asked.append(slot)
        if KEYS[slot].endswith("#"):
            assert answer.gather.get("finishOnKey") == "#"
        answer = phone.press(KEYS[slot])
    raise AssertionError(f"still asking after {asked}")


def ivr_rows(services, call_sid):
    assert services.turn_log.flush(timeout=30)
    with db.get_engine(services.settings.database_url).connect() as conn:
        rows = conn.execute(
            select(db.TurnRow).where(db.TurnRow.channel == "ivr", db.TurnRow.message_id.like(f"{call_sid}-%"))
            .order_by(db.TurnRow.id)
        ).all()
    return rows


def stabilization_refund_by_keypad(real_app):
    live, services = real_app
    phone = Phone(live.url, token=auth_token(services.settings))
    phone.call()
    phone.press("1")
    answer, asked = answer_on_keypad(phone, phone.press("2"))  # 我们企业能申请稳岗返还吗？
    return phone, services, answer, asked


def test_eligibility_by_keypad_through_rasa_and_the_rule_table(real_app):
    phone, services, answer, asked = stabilization_refund_by_keypad(real_app)
    assert slots.EMPLOYEES in asked and slots.LAYOFFS in asked
    verdict = answer.says[0]
    assert verdict.startswith("符合稳岗返还的裁员率条件，三十人含以下的参保企业。")
    assert "有效期：疫情防控期间" in verdict
    assert not NO_WRITTEN_FORMS.search(verdict)
    assert answer.says[-1] == say("ivr_follow_up", **menu.KEYS)

    rows = ivr_rows(services, phone.call_sid)
    assert [r.message_id for r in rows] == [f"{phone.call_sid}-{n}" for n in range(1, len(asked) + 2)]
    assert rows[0].asking_for == asked[0] and rows[-1].asking_for is None
    assert rows[-1].intent == "check_stabilization_refund" and rows[-1].answered
    assert phone.call_sid not in rows[0].user_hash


def test_the_spoken_verdict_reads_its_computation(real_app):
    """DESIGN: a verdict shows the computation (3/28 ≈ 10.7% ≤ 20%); on the phone it is read aloud."""
    _, _, answer, _ = stabilization_refund_by_keypad(real_app)
    assert "三除以二十八约等于百分之十点七，不超过百分之二十" in answer.says[0]


def test_a_spoken_verdict_comes_first_so_the_length_cap_never_cuts_it(real_app):
    """A verdict settled in the turn that opens the check (with an assumption said) is read before
    the rule's summary: the cap cuts the summary, never the verdict."""
    live, services = real_app
    phone = Phone(live.url, token=auth_token(services.settings))
    phone.call()
    spoken = phone.say("我们是国有大企业 疫情没什么影响 裁员率百分之三点七 能申请稳岗返还吗").says[0]
    assert spoken.startswith("不符合稳岗返还的裁员率条件"), spoken
    assert "低于百分之三点六二" in spoken


def test_a_spoken_question_is_answered_from_the_notice_and_logged(real_app):
    live, services = real_app
    phone = Phone(live.url, token=auth_token(services.settings))
    phone.call()
    answer, asked = answer_on_keypad(phone, phone.say("失业金标准是多少"))
    spoken = answer.says[0]
    assert "百分之九十五" in spoken
    assert not NO_WRITTEN_FORMS.search(spoken)
    assert len(spoken) <= 180 + len(read_aloud(say("ivr_more_info")))
    assert answer.says[-1] == say("ivr_follow_up", **menu.KEYS)
    rows = ivr_rows(services, phone.call_sid)
    assert rows[0].question == "失业金标准是多少" and rows[-1].answered and len(rows) == len(asked) + 1


def documented_ivr_sim_example() -> str:
    """The `--script` of the `hotline ivr-sim` example in docs/channels.md, exactly as printed there."""
    channels = (REPO_ROOT / "docs" / "channels.md").read_text(encoding="utf-8")
    [script] = re.findall(r'`hotline ivr-sim --script "([^"]+)"`', channels)
    return script


def test_the_documented_ivr_sim_example_does_what_the_docs_say(real_app):
    """docs/channels.md: picks 测算企业能否申请稳岗返还, answers 28 staff and 3 laid off, hears the verdict
    (3/28 ≈ 10.7% ≤ 20%), asks about 失业金 by voice and ends the call."""
    live, services = real_app
    result = CliRunner().invoke(
        main, ["ivr-sim", "--url", live.url, "--token", auth_token(services.settings), "--script", documented_ivr_sim_example()],
        env={"HOTLINE_VAR_DIR": str(services.settings.var_dir)}, catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert say("ivr_invalid_key") not in out and say("ivr_invalid_number") not in out, out
    assert "【播报】符合稳岗返还的裁员率条件，三十人含以下的参保企业。" in out
    assert "三除以二十八约等于百分之十点七，不超过百分之二十" in out
    assert "百分之九十五" in out  # 失业金, asked by voice
    assert f"【播报】{say('goodbye', 'ivr')}" in out and out.rstrip().endswith("【回调】status → 200")
    rows = ivr_rows(services, out.split("CallSid ")[1].split("）")[0])
    assert [r.question for r in rows] == ["我们企业能申请稳岗返还吗？", "28", "3", "失业金标准是多少"]
    assert rows[2].intent == "check_stabilization_refund" and rows[2].answered and rows[2].asking_for is None
