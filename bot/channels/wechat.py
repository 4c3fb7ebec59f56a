"""The WeChat Official Account endpoint (`/wechat`), on wechatpy.

- GET: URL verification (`signature`, `timestamp`, `nonce`, `echostr`).
- POST: text, voice (its `Recognition`), the subscribe event (a welcome and a topic menu) and a
  polite reply to anything else; plaintext mode, or AES safe mode when `WECHAT_ENCODING_AES_KEY`
  is set.
- Security: bad signature → 403; timestamp outside the replay window → 403; a nonce reused for
  another message → 403; any DOCTYPE/ENTITY, malformed XML → 400 before a parser sees it.
- WeChat retries a message 3 times when it gets no answer in 5 s: the rendered reply is kept under
  the MsgId, so every retry gets the same single answer and the turn runs (and is logged) once.
- The turn runs with a deadline; when it cannot make it, the endpoint answers `success` and the
  answer follows through the customer-service message API. Long answers are split to fit WeChat's
  2048-byte text limit, the extra parts following the same way.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from xml.parsers.expat import ExpatError

from flask import Blueprint, Response, request
from wechatpy import parse_message
from wechatpy.client import WeChatClient
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import TextMessage, VoiceMessage
from wechatpy.replies import TextReply
from wechatpy.session import SessionStorage
from wechatpy.utils import check_signature

from bot.channels.base import InputChannel, TurnHandler, current_services
from bot.config import ConfigError, Settings, development_token
from bot.core.messages import say, starter_questions
from bot.core.turn import TEXT_MAX, Reply, Turn, article_label
from bot.errors import ApiError
from bot.ratelimit import RateLimiter

log = logging.getLogger(__name__)

# WeChat's limits and timings.
TEXT_MAX_BYTES = 2048  # a text reply's Content, in UTF-8 bytes
REPLY_DEADLINE_SECONDS = 4.5  # WeChat waits 5 s for the passive reply
RETRY_SPAN_SECONDS = 14.0  # 3 tries of 5 s: how long an answer can still go out passively
TIMESTAMP_WINDOW_SECONDS = 300  # requests older/newer than this are replays (or a bad clock)
DEDUPE_TTL_SECONDS = 900  # longer than both the retry span and the replay window
RETRY_POLL_SECONDS = 0.05
EXTRA_PART_DELAY_SECONDS = 1.0  # let the passive reply land before the customer-service parts
SUGGESTION_TTL_SECONDS = 1800
SUCCESS = "success"  # tells WeChat "received, no passive reply", so it does not retry

# OpenIDs and account ids are short ASCII tokens; anything else would be echoed into the reply XML.
_ACCOUNT_ID = re.compile(r"[A-Za-z0-9_\-@.]{1,128}")
_UNSAFE_XML = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")


# --- plain functions: XML safety, splitting, rendering ------------------------------------------

def safe_xml_text(raw: bytes | str) -> str:
    """The body as text, refusing anything a safe XML parse must not see.

    :param raw: the body as received (or as decrypted in safe mode).
    :returns: the XML text.
    :raises ApiError: 400 when it is not UTF-8 (which would let UTF-16 hide a DOCTYPE from this
        check) or declares a DOCTYPE or an ENTITY (XXE, entity expansion).
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError("invalid_xml", say("error_xml_not_utf8")) from None
    if _UNSAFE_XML.search(raw):
        raise ApiError("forbidden_xml", say("error_xml_forbidden"))
    if not raw.strip():
        raise ApiError("invalid_xml", say("error_xml_empty"))
    return raw


def split_text(text: str, limit: int = TEXT_MAX_BYTES) -> list[str]:
    """Split `text` into parts of at most `limit` UTF-8 bytes, at line, then sentence, breaks;
    one part when the text fits."""
    def size(s: str) -> int:
        return len(s.encode("utf-8"))

    pieces: list[tuple[str, str]] = []  # (separator before the piece, piece)
    for line in text.split("\n"):
        if size(line) <= limit:
            pieces.append(("\n", line))
            continue
        separator = "\n"  # sentences cut from one long line rejoin without a newline
        for sentence in filter(None, _SENTENCE_END.split(line)):
            while size(sentence) > limit:  # one enormous sentence: cut after the last whole character
                cut = len(sentence.encode("utf-8")[:limit].decode("utf-8", "ignore"))
                pieces.append((separator, sentence[:cut]))
                sentence, separator = sentence[cut:], ""
            pieces.append((separator, sentence))
            separator = ""
    parts: list[str] = []
    current: str | None = None
    for separator, piece in pieces:
        if current is None:
            current = piece
        elif size(current + separator + piece) <= limit:
            current = current + separator + piece
        else:
            parts.append(current)
            current = piece
    parts.append(current or "")
    return [p.strip() for p in parts if p.strip()] or [""]


def render_reply(reply: Reply) -> tuple[str, list[str]]:
    """The WeChat text of a reply (the answer, its sources, and quick replies), and the suggestions
    a user may pick by number (none when the reply asks for a slot value, since a bare number is
    then the answer to that question)."""
    lines = [reply.reply.strip()]
    # A source the answer already names (its 第（四）条, with or without the document) is not repeated.
    unseen = [c.reference for c in reply.citations if f"第{article_label(c.article)}条" not in reply.reply]
    if unseen:
        lines.append(say("wechat_source", references="；".join(unseen)))
    numbered: list[str] = []
    if reply.suggestions:
        if reply.asking_for:
            lines.append(say("wechat_quick_replies") + " / ".join(reply.suggestions))
        else:
            numbered = list(reply.suggestions[:9])
            lines.append(say("wechat_suggestions"))
            lines.extend(f"{i}. {s}" for i, s in enumerate(numbered, 1))
    return "\n".join(line for line in lines if line), numbered


def welcome_text() -> str:
    """The answer to a new follower: the welcome and the numbered topic menu."""
    return "\n".join([say("welcome", "wechat"), *(f"{i}. {t}" for i, t in enumerate(starter_questions(), 1))])


# --- the customer-service message API ------------------------------------------------------------

class StateSessionStorage(SessionStorage):
    """wechatpy's token storage on the shared state store, so all workers share one access token."""

    def __init__(self, store, prefix: str = "wechat:session:"):
        self.store, self.prefix = store, prefix

    def get(self, key, default=None):
        value = self.store.get(self.prefix + key)
        return default if value is None else value

    def set(self, key, value, ttl=None):
        if value is not None:
            self.store.set(self.prefix + key, value, ttl or 7200)

    def delete(self, key):
        self.store.delete(self.prefix + key)


class WeChatApiClient(WeChatClient):
    """wechatpy's client on a configurable API base URL (`WECHAT_API_BASE_URL`).

    :param appid: WECHAT_APP_ID.
    :param secret: WECHAT_APP_SECRET.
    :param api_base_url: e.g. `https://api.weixin.qq.com/cgi-bin/` (or a fake one in tests).
    :param session: where the access token is kept.
    """

    def __init__(self, appid: str, secret: str, api_base_url: str, session=None, timeout: float = 5.0):
        super().__init__(appid, secret, session=session, timeout=timeout)
        self.API_BASE_URL = api_base_url if api_base_url.endswith("/") else api_base_url + "/"

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


# --- the channel ---------------------------------------------------------------------------------

class WeChatChannel(InputChannel):
    """`/wechat`: the WeChat Official Account (公众号) server endpoint.

    :param token: WECHAT_TOKEN, the signature token configured on the WeChat platform.
    :param encoding_aes_key: WECHAT_ENCODING_AES_KEY (43 characters); set → AES safe mode.
    :param app_id: WECHAT_APP_ID; with `app_secret`, enables the customer-service message API.
    :param app_secret: WECHAT_APP_SECRET.
    :param api_base_url: WECHAT_API_BASE_URL.
    :param reply_deadline: seconds a turn may take before the answer goes out asynchronously.
    :param extra_part_delay: seconds between the passive reply and customer-service parts.
    :param timestamp_window: seconds of clock difference accepted before a request is a replay.
    :param user_limit: questions per user (openid) per minute (0: off; HOTLINE_RATE_LIMIT_USER).
    :raises ConfigError: a token or AES key WeChat would not accept.
    """

    NAME = "wechat"

    def __init__(
        self,
        token: str,
        encoding_aes_key: str = "",
        app_id: str = "",
        app_secret: str = "",
        api_base_url: str = "https://api.weixin.qq.com/cgi-bin/",
        reply_deadline: float = REPLY_DEADLINE_SECONDS,
        extra_part_delay: float = EXTRA_PART_DELAY_SECONDS,
        timestamp_window: float = TIMESTAMP_WINDOW_SECONDS,
        user_limit: int = 20,
        max_workers: int = 8,
    ):
        if not re.fullmatch(r"[A-Za-z0-9]{3,32}", token or ""):
            raise ConfigError(f"WECHAT_TOKEN must be 3–32 letters or digits, got {token!r}")
        if encoding_aes_key and not re.fullmatch(r"[A-Za-z0-9]{43}", encoding_aes_key):
            raise ConfigError(
                f"WECHAT_ENCODING_AES_KEY must be 43 letters or digits, got {len(encoding_aes_key)} characters"
            )
        if encoding_aes_key and not app_id:
            raise ConfigError("WECHAT_APP_ID is required in AES safe mode (WECHAT_ENCODING_AES_KEY is set)")
        if reply_deadline <= 0:
            raise ConfigError(f"reply_deadline must be positive, got {reply_deadline}")
        self.token = token
        self.crypto = WeChatCrypto(token, encoding_aes_key, app_id) if encoding_aes_key else None
        self.app_id, self.app_secret, self.api_base_url = app_id, app_secret, api_base_url
        self.reply_deadline = reply_deadline
        self.extra_part_delay = extra_part_delay
        self.timestamp_window = timestamp_window
        self.user_limit = user_limit
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="wechat-turn")
        self._client: WeChatApiClient | None = None
        self._client_lock = threading.Lock()

    @classmethod
    def from_config(cls, settings: Settings) -> "WeChatChannel":
        return cls(
            token=settings.wechat_token or development_token(settings.var_dir, "WECHAT_TOKEN"),
            encoding_aes_key=settings.wechat_encoding_aes_key,
            app_id=settings.wechat_app_id,
            app_secret=settings.wechat_app_secret,
            api_base_url=settings.wechat_api_base_url,
            user_limit=settings.rate_limit_user,
        )

    @property
    def safe_mode(self) -> bool:
        return self.crypto is not None

    @property
    def can_push(self) -> bool:
        """Whether answers can go out after the passive reply (customer-service messages)."""
        return bool(self.app_id and self.app_secret)

    # -- request checks --

    def _verify(self, args) -> tuple[str, str]:
        signature, timestamp, nonce = args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", "")
        if not (signature and timestamp and nonce):
            raise ApiError("bad_signature", say("error_bad_signature"), 403)
        try:
            check_signature(self.token, signature, timestamp, nonce)
        except InvalidSignatureException:
            raise ApiError("bad_signature", say("error_bad_signature"), 403) from None
        try:
            skew = abs(time.time() - int(timestamp))
        except ValueError:
            raise ApiError("bad_timestamp", say("error_bad_timestamp"), 403) from None
        if skew > self.timestamp_window:
            raise ApiError("stale_request", say("error_stale_request"), 403)
        return timestamp, nonce

    def _claim_nonce(self, timestamp: str, nonce: str, identity: str) -> None:
        """A nonce belongs to one message: WeChat's retries may repeat it, a forgery may not."""
        store = current_services().state
        key = f"wechat:nonce:{timestamp}:{nonce}"
        if not store.add(key, identity, 2 * self.timestamp_window) and store.get(key) != identity:
            raise ApiError("replayed_request", say("error_replayed_request"), 403)

    def _read_message(self, args):
        body = safe_xml_text(request.get_data(cache=False))
        if self.safe_mode:
            if args.get("encrypt_type", "").lower() != "aes" or not args.get("msg_signature"):
                raise ApiError("encryption_required", say("error_encryption_required"), 403)
            try:
                body = self.crypto.decrypt_message(body, args["msg_signature"], args["timestamp"], args["nonce"])
            except (InvalidSignatureException, InvalidAppIdException):
                raise ApiError("bad_signature", say("error_bad_signature"), 403) from None
            except Exception:  # noqa: BLE001 - any undecodable envelope is the sender's error
                raise ApiError("invalid_xml", say("error_xml_undecryptable")) from None
            body = safe_xml_text(body)
        try:
            message = parse_message(body)
            identity = _dedupe_identity(message)
        except (ExpatError, KeyError, ValueError, TypeError, AttributeError):
            raise ApiError("invalid_xml", say("error_xml_invalid")) from None
        for account in (message.source, message.target):
            if not _ACCOUNT_ID.fullmatch(account or ""):
                raise ApiError("invalid_account", say("error_invalid_account"))
        return message, identity

    # -- answering --

    def _respond(self, xml: str, nonce: str) -> Response:
        if xml != SUCCESS and self.safe_mode:
            xml = self.crypto.encrypt_message(xml, nonce)
        return Response(xml, mimetype="application/xml" if xml != SUCCESS else "text/plain")

    def _text_reply(self, message, content: str) -> str:
        return TextReply(message=message, content=_cdata_safe(content)).render()

    def client(self) -> WeChatApiClient | None:
        """The customer-service API client, or None without app credentials."""
        if not self.can_push:
            return None
        with self._client_lock:
            if self._client is None:
                storage = StateSessionStorage(current_services().state)
                self._client = WeChatApiClient(self.app_id, self.app_secret, self.api_base_url, session=storage)
            return self._client

    def _push(self, client: WeChatApiClient, openid: str, parts: list[str], delay: float) -> None:
        """Send parts through the customer-service API in the background; failures are logged."""

        def send() -> None:
            if delay:
                time.sleep(delay)
            for part in parts:
                try:
                    client.message.send_text(openid, part)
                except Exception:  # noqa: BLE001 - the user already has the passive reply
                    log.exception("could not deliver a WeChat customer-service message")
                    return

        threading.Thread(target=send, name="wechat-push", daemon=True).start()

    def _answer_turn(self, handle_turn: TurnHandler, message, text: str, started: float) -> str:
        """Run the turn with a deadline; the rendered passive reply, or SUCCESS when it goes out later."""
        store = current_services().state
        openid = message.source
        if len(text) > TEXT_MAX:  # the API's cap: say the limit, run no turn, store nothing
            return self._text_reply(message, say("text_too_long", max=TEXT_MAX))
        numbered = store.get(f"wechat:suggest:{openid}") or []
        # Only the menu's own numbers pick from it ("²" or "٣" are digits to isdigit(), not choices).
        choices = {str(i): topic for i, topic in enumerate(numbered, 1)}
        text = choices.get(text, text)
        if RateLimiter(store, "wechat", self.user_limit).hit(openid) is not None:
            return self._text_reply(message, say("wechat_rate_limited"))
        turn = Turn(channel=self.name(), user_id=openid, text=text,
                    message_id=str(message.id or f"{openid}:{message.time}"), metadata={"msg_type": message.type})
        client = self.client()
        future: Future = self._executor.submit(handle_turn, turn)
        # Without the push API, an answer can still go out passively to a retry of this message.
        deadline = self.reply_deadline if client else RETRY_SPAN_SECONDS
        try:
            reply = future.result(timeout=max(0.0, deadline - (time.monotonic() - started)))
        except FutureTimeout:
            if client is None:
                log.warning("WeChat turn missed its deadline and no app credentials are set to push it")
                return SUCCESS
            future.add_done_callback(lambda f: self._push_late(f, store, client, openid))
            return SUCCESS
        content, numbered = render_reply(reply)
        self._remember_suggestions(store, openid, numbered)
        parts = split_text(content)
        if len(parts) > 1:
            if client is None:
                note = say("wechat_truncated")
                parts = split_text(content, TEXT_MAX_BYTES - len(note.encode()) - 1)
                return self._text_reply(message, parts[0] + "\n" + note)
            self._push(client, openid, parts[1:], self.extra_part_delay)
        return self._text_reply(message, parts[0])

    def _push_late(self, future: Future, store, client: WeChatApiClient, openid: str) -> None:
        if future.exception() is not None:
            log.error("a late WeChat turn failed: %r", future.exception())
            return
        content, numbered = render_reply(future.result())
        self._remember_suggestions(store, openid, numbered)
        self._push(client, openid, split_text(content), 0.0)

    @staticmethod
    def _remember_suggestions(store, openid: str, numbered: list[str]) -> None:
        if numbered:
            store.set(f"wechat:suggest:{openid}", numbered, SUGGESTION_TTL_SECONDS)
        else:
            store.delete(f"wechat:suggest:{openid}")

    def _answer(self, handle_turn: TurnHandler, message, started: float) -> str:
        if isinstance(message, (TextMessage, VoiceMessage)):
            voice = isinstance(message, VoiceMessage)
            text = ((message.recognition if voice else message.content) or "").strip()
            if text:
                return self._answer_turn(handle_turn, message, text, started)
            return self._text_reply(message, say("wechat_voice_not_recognised" if voice else "wechat_unsupported"))
        if message.type == "event":
            event = getattr(message, "event", "")
            if event in ("subscribe", "subscribe_scan"):
                current_services().state.set(
                    f"wechat:suggest:{message.source}", starter_questions(), SUGGESTION_TTL_SECONDS
                )
                return self._text_reply(message, welcome_text())
            return SUCCESS  # unsubscribe, menu clicks, location reports: nothing to say
        return self._text_reply(message, say("wechat_unsupported"))

    def _answer_once(self, handle_turn: TurnHandler, message, identity: str, started: float) -> str:
        """Answer a message once; retries of it get the stored answer (or SUCCESS)."""
        store = current_services().state
        key = f"wechat:msg:{identity}"
        if not store.add(key, {"status": "pending"}, DEDUPE_TTL_SECONDS):
            return self._await_first(store, key, started)
        try:
            xml = self._answer(handle_turn, message, started)
        except Exception:
            store.delete(key)  # let WeChat's retry try again
            raise
        store.set(key, {"status": "done", "xml": xml}, DEDUPE_TTL_SECONDS)
        return xml

    def _await_first(self, store, key: str, started: float) -> str:
        # Without the push API a late answer can only go out passively: hold this retry open (WeChat
        # drops it at 5 s and sends the next one) so whichever retry is waiting when it is ready gets it.
        limit = self.reply_deadline if self.can_push else RETRY_SPAN_SECONDS
        while time.monotonic() - started < limit:
            record = store.get(key)
            if record is None:
                return SUCCESS
            if record.get("status") == "done":
                return record["xml"]
            time.sleep(RETRY_POLL_SECONDS)
        return SUCCESS

    def blueprint(self, handle_turn: TurnHandler) -> Blueprint:
        bp = Blueprint(self.name(), __name__, url_prefix=self.url_prefix())

        @bp.get("")
        def verify():
            """URL verification: echo `echostr` when the signature is right."""
            self._verify(request.args)
            return Response(request.args.get("echostr", ""), mimetype="text/plain")

        @bp.post("")
        def receive():
            """One message or event from WeChat; the passive reply (XML) or `success`."""
            started = time.monotonic()
            timestamp, nonce = self._verify(request.args)
            message, identity = self._read_message(request.args)
            self._claim_nonce(timestamp, nonce, identity)
            return self._respond(self._answer_once(handle_turn, message, identity, started), nonce)

        return bp


def _dedupe_identity(message) -> str:
    """WeChat's advice: MsgId for messages, FromUserName + CreateTime for events."""
    if not message.source:
        raise ValueError("no FromUserName")
    if message.type == "event":
        return f"{message.source}:{message.time}:{getattr(message, 'event', '')}"
    return f"{message.id}" if message.id else f"{message.source}:{message.time}"


def _cdata_safe(text: str) -> str:
    # "]]>" would end the CDATA section wechatpy wraps the content in.
    return text.replace("]]>", "]]]]><![CDATA[>")
