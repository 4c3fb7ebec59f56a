"""Agents' replies to WeChat users, through the customer-service message API (客服消息).

The user's last message opens a 48-hour window in which an Official Account may write to them;
outside it WeChat answers errcode 45015 and the console tells the agent to call instead. The
access token is wechatpy's, cached in the shared state store and refreshed by wechatpy itself when
WeChat reports it expired (40001 / 42001), so every app process shares one token.
"""
from __future__ import annotations

import logging

from wechatpy.exceptions import WeChatClientException

log = logging.getLogger(__name__)

WINDOW_CLOSED = 45015  # "response out of time limit or subscription is canceled"
SEND_TIMEOUT_SECONDS = 5.0


def wechat_sender(settings, state):
    """`send(openid, text) -> delivery code`, or None without WECHAT_APP_ID / WECHAT_APP_SECRET."""
    if not (settings.wechat_app_id and settings.wechat_app_secret):
        return None
    from bot.channels.wechat import StateSessionStorage, WeChatApiClient, split_text

    client = WeChatApiClient(settings.wechat_app_id, settings.wechat_app_secret, settings.wechat_api_base_url,
                             session=StateSessionStorage(state), timeout=SEND_TIMEOUT_SECONDS)

    def send(openid: str, text: str) -> str:
        try:
            for part in split_text(text):
                client.message.send_text(openid, part)
        except WeChatClientException as error:
            if int(error.errcode or 0) == WINDOW_CLOSED:
                return "window_closed"
            log.warning("handoff: WeChat refused a customer-service message: %s %s", error.errcode, error.errmsg)
            return "failed"
        except Exception:  # noqa: BLE001 - network trouble: the agent is told and may resend
            log.exception("handoff: could not reach the WeChat API")
            return "failed"
        return "sent"

    return send
