"""What citizens and agents read of the human service, in one place."""
from __future__ import annotations

import re

from bot.hotspots.analysis import CHANNEL_LABELS  # noqa: F401 - one place for channel names

# To the citizen.
QUEUED = "已为您排队，前面还有 {ahead} 位。人工客服接入后会在这里回复您，请稍候；如不再需要，可回复“取消”。"
STILL_QUEUED = "您的消息已记下，人工客服接入后会一并看到。已为您排队，前面还有 {ahead} 位。"
NO_AGENT = (
    "抱歉，现在没有人工客服在线（人工服务时间：{hours}）。您可以：\n"
    "1. 留下手机号码，我们在服务时间内给您回电；\n"
    "2. 直接留言，您的留言会保存，由下一班人工客服处理并回复；\n"
    "3. 拨打 12333 热线咨询。"
)
NO_AGENT_NOTED = "已收到您的留言，下一班人工客服会看到并回复您。如需电话回复，请留下手机号码；也可以拨打 12333。"
CALLBACK_NOTED = "已记下您的回电号码（尾号 {tail}），人工客服会在服务时间（{hours}）内给您回电。"
DELIVERED = "消息已送达人工客服 {agent}。"
TAKEN = "人工客服 {agent} 已接入，正在为您服务。"
HANDED_BACK = "人工客服已结束本次服务，接下来由智能助手继续为您解答。"
CLOSED = "本次人工服务已结束，感谢您的咨询。如还有问题，可以继续提问。"
CANCELLED = "已为您取消转人工，智能助手继续为您服务。"
EXPIRED = "抱歉，人工客服长时间未能接入，本次转人工已结束。您可以继续提问，或拨打 12333 热线。"
CANCEL = "取消"
# A citizen's words that withdraw a request for a person while it waits.
CANCEL_WORDS = re.compile(r"^(?:取消(?:转人工|人工)?|不用了|不需要了|算了|不转了)[。！!.]*$")

# To the agent (console).
STATUS_LABELS = {"waiting": "排队中", "held": "服务中", "ended": "已结束"}
SPEAKER_LABELS = {"citizen": "群众", "bot": "智能助手", "agent": "客服", "system": "系统"}
DELIVERY_LABELS = {
    "sent": "已送达",
    "queued": "已发出",
    "window_closed": "未送达：已超过微信 48 小时客服消息时限，请改用电话回复",
    "no_address": "未送达：找不到该微信用户的会话（超过 48 小时或服务重启），请改用电话回复",
    "failed": "未送达：微信接口暂时不可用，请稍后重发",
    "not_configured": "未送达：未配置微信公众号 AppID/AppSecret",
}
