"""Every sentence the dialogue says that is not a slot prompt (`bot.eligibility.prompts`), a
verdict (the rule table) or a policy answer (`knowledge_base.answers`). One place, so the engine,
the degraded mode and the tests quote the same words."""
from __future__ import annotations

from knowledge_base.retrieval import HANDOFF_SUGGESTION

NOTICE = "《关于做好疫情防控期间有关就业工作的通知》（大人社发[2020]38号）"

HUMAN = HANDOFF_SUGGESTION  # the quick reply that asks for a human agent (转人工)
CHECK_OFFER = "帮我核对能否享受"  # quick reply under a policy answer whose measure has a check
RESUME = "继续核对"

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
WHICH_TOPIC = "请问您想了解或核对哪一项政策？例如：稳岗返还、失业保险金、失业补助金、职业培训补贴。"
STOPPED = "好的，已停止本次核对。还有其他问题随时问我。"
HANDOFF = "正在为您转接人工服务，请稍候…"
OUT_OF_SCOPE = f"抱歉，这个问题不在{NOTICE}的范围内，我无法准确回答。"
NEAR_MISS = f"{NOTICE}没有规定{{topic}}，我无法据此回答。"
OFFER_HUMAN = "如需进一步帮助，请回复“转人工”。"
NOT_UNDERSTOOD = "抱歉，我没有听明白。"
TWO_MISSES = "抱歉，我还是没能理解您的意思。您可以换个说法，或回复“转人工”由人工客服为您解答。"
CHECK_FAILED = "抱歉，暂时无法完成这项核对，请稍后再试或转人工。"
EMPTY_TURN = "请告诉我您想咨询的问题。"
SYSTEM_ERROR = "抱歉，系统暂时无法回答，请稍后再试或转人工。"
DEGRADED_NOTE = "（智能理解服务暂时不可用，答复可能不够准确；如需帮助请转人工。）"

# A check: its first sentence, the ask, and what happens to it when the user turns elsewhere.
CHECK_START = "好的，帮您核对{topic}。依据第{label}条：{summary}。"
CHECK_START_ENDED = "（这项措施已于{end}结束，下面按通知当时的规定为您核对。）"
CHECK_CONTINUE = "继续核对{topic}："
CHECK_CLOSED = "（刚才的{topic}核对已结束；需要时可随时重新开始。）"
CHECK_PAUSED = "（刚才的{topic}核对还没有完成，需要时请直接告诉我{label}。）"
NOTED = "已记下：{facts}。"
NOTED_BEFORE = "按您前面说的：{facts}。"
ASSUMED = "（{assumption}）"
FOLLOW_UP_CHANGED = "按您说的情况（{facts}）重新核对："
RANGE_SETTLED = "（按您说的{values}，不论是哪一个，结论都相同。）"
RANGE_MATTERS = "{values}的结论不一样，需要确切的{label}。"
SETTLED_ANYWAY = "（不论{labels}如何，结论都相同。）"
ASSUMED = "（{assumptions}。）"
DONT_KNOW_BY_CASE = "不清楚也没关系，按不同情况："
DONT_KNOW_CASE = "如果是{value}：{outcome}"
DONT_KNOW_STILL_NEEDED = "还要看{label}。"
DONT_KNOW_ASK_AGAIN = "您查到后告诉我，我再为您核对。"

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
}
