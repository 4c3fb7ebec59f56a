"""Every sentence the dialogue says that is not a slot prompt (`bot.eligibility.prompts`), a
verdict (the rule table) or a policy answer (`knowledge_base.answers`). One place, so the actions,
the degraded mode of `bot.conversation` and the tests quote the same words."""
from __future__ import annotations

from knowledge_base.retrieval import HANDOFF_SUGGESTION

NOTICE = "《关于做好疫情防控期间有关就业工作的通知》（大人社发[2020]38号）"

HUMAN = HANDOFF_SUGGESTION  # the quick reply that asks for a human agent (转人工)

GREET = (
    f"您好！我是大连12333政策问答助手，可以解答{NOTICE}中的就业政策，"
    "还能帮您核对能否享受稳岗返还、失业保险金、培训补贴等待遇。请问有什么可以帮您？"
)
THANK = "不客气！还有其他问题随时问我。"
GOODBYE = "再见！如需帮助，欢迎随时咨询12333。"
ACKNOWLEDGE = "好的。还有什么可以帮您？"
CHITCHAT = (
    f"我是大连12333的政策问答助手，专门解答{NOTICE}中的政策。"
    "您可以问我稳岗返还、失业保险金、培训补贴、高校毕业生报到期限等问题。"
)
INFORM_WITHOUT_TOPIC = "收到。请问您想核对哪一项政策？例如：稳岗返还、失业保险金、失业补助金、职业培训补贴。"
STOPPED = "好的，已停止本次资格核对。还有其他问题随时问我。"
HANDOFF = "正在为您转接人工服务，请稍候…"
OUT_OF_SCOPE = f"抱歉，这个问题不在{NOTICE}的范围内，我无法准确回答。"
OFFER_HUMAN = "如需进一步帮助，请回复“转人工”。"
NOT_UNDERSTOOD = "抱歉，我没有听明白您的回答。"
CHECK_FAILED = "抱歉，暂时无法完成这项资格核对，请稍后再试或转人工。"
EMPTY_TURN = "请告诉我您想咨询的问题。"
SYSTEM_ERROR = "抱歉，系统暂时无法回答，请稍后再试或转人工。"
DEGRADED_NOTE = "（资格核对功能暂时不可用，请稍后再试或转人工。）"

# Quick replies shown with a greeting or when the assistant does not know the topic.
TOPIC_SUGGESTIONS = ["稳岗返还能申请吗", "失业保险金标准提高了吗", "培训补贴怎么领", HUMAN]

SMALL_TALK = {
    "greet": GREET,
    "thank": THANK,
    "goodbye": GOODBYE,
    "affirm": ACKNOWLEDGE,
    "deny": ACKNOWLEDGE,
    "stop": ACKNOWLEDGE,
    "chitchat": CHITCHAT,
    "inform": INFORM_WITHOUT_TOPIC,
}
