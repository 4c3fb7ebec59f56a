"""The conversation core: one turn in, one `Reply` out, the same for every channel.

`Conversation.handle(turn)` sends the turn to Rasa (NLU, forms, custom actions), merges Rasa's
messages and their payloads into one `Reply`, measures the latency and logs the turn. It never
raises.

Outside an eligibility check, Rasa's rules answer a policy question, a question outside the
notice and small talk with one action each, whatever came before (training_data/data/rules.yml;
`bot.actions.stateless`). For those turns the app asks Rasa's NLU only and answers with the same
function the action runs, rendered exactly as Rasa's REST channel would: one short HTTP hop
instead of Rasa's tracker load and save plus the action server's round trip. A check, 转人工, and
every turn while a check is open or the dialogue state is unknown take the whole Rasa turn.
The dialogue state ("a check is waiting for a fact" or not) is what the last whole turn replied,
kept in the shared state store (Redis when set) per conversation. When the store has no state
(a new user, or an app restart with the in-process store), a user with no turn in the turn log
cannot have a check open in Rasa, so their first one-action turn needs no whole turn either.

When Rasa is down, erroring or slower than HOTLINE_RASA_TIMEOUT, the conversation answers policy
questions from the in-process retriever instead (`Reply.degraded`, logged as such) and says that
eligibility checks are temporarily unavailable. A circuit breaker then skips Rasa for a few
seconds, so a dead Rasa does not cost every turn a timeout, and probes it again afterwards:
the conversation recovers by itself when Rasa returns.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
import time
from typing import Callable

from bot.actions import texts
from bot.actions.payload import merge_messages, payload_from_reply
from bot.actions.policy_answer import answer_policy_question
from bot.actions.stateless import reply_for_intent
from bot.rasa_client import RasaClient, RasaForbidden, RasaUnavailable, api_token
from bot.reply import Reply, Turn

log = logging.getLogger(__name__)

# After a failure Rasa is skipped for this long, then one turn probes it again.
PROBE_AFTER_SECONDS = 5.0
# How long a conversation's dialogue state is kept without a turn; then the log decides again.
DIALOGUE_STATE_TTL_SECONDS = 30 * 60
IDLE = "idle"  # no check is open: one-action turns take Rasa's NLU only
IN_CHECK = "check"  # a check waits for a fact: every turn is a whole Rasa turn
# 转人工 still works without Rasa (the degraded mode recognises it by its words).
HANDOFF_WORDS = re.compile(r"转人工|人工服务|人工客服|找人工|接人工|转接人工|真人|话务员|接线员|坐席")


class CircuitBreaker:
    """Closed: every turn goes to Rasa. Open (after a failure): none does, for `probe_after`
    seconds. Then half-open: one turn probes Rasa; success closes, failure opens again.

    :param probe_after: seconds to wait before probing a failed Rasa again.
    :param clock: a monotonic clock in seconds (tests pass a fake one).
    """

    def __init__(self, probe_after: float = PROBE_AFTER_SECONDS, clock: Callable[[], float] = time.monotonic):
        if probe_after < 0:
            raise ValueError(f"probe_after must be 0 or more, got {probe_after}")
        self.probe_after = probe_after
        self._clock = clock
        self._lock = threading.Lock()
        self._open_until: float | None = None
        self._probing = False

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._open_until is not None

    def allow(self) -> bool:
        """Whether this turn may go to Rasa (at most one probe at a time while open)."""
        with self._lock:
            if self._open_until is None:
                return True
            if self._probing or self._clock() < self._open_until:
                return False
            self._probing = True
            return True

    def record_success(self) -> None:
        with self._lock:
            self._open_until = None
            self._probing = False

    def record_failure(self) -> None:
        with self._lock:
            self._open_until = self._clock() + self.probe_after
            self._probing = False


def conversation_key(secret: str, channel: str, user_id: str) -> str:
    """Rasa's sender id: stable per channel and user, without the raw openid or phone number."""
    digest = hmac.new(secret.encode(), f"{channel}\0{user_id}".encode(), hashlib.sha256).hexdigest()
    return f"{channel}-{digest[:32]}"


class Conversation:
    """The single turn logic every channel uses.

    :param client: the Rasa REST client.
    :param services: the service graph (`retriever` for the degraded mode, `turn_log`, `settings`).
    :param breaker: the circuit breaker around Rasa.
    """

    def __init__(self, client: RasaClient, services, breaker: CircuitBreaker | None = None):
        self.client = client
        self.services = services
        self.breaker = breaker or CircuitBreaker()
        self._nlu_forbidden = False

    @classmethod
    def from_services(cls, services) -> "Conversation":
        """Build from `Services`: HOTLINE_RASA_URL and HOTLINE_RASA_TIMEOUT."""
        settings = services.settings
        client = RasaClient(settings.rasa_url, timeout=settings.rasa_timeout, token=api_token(settings.secret_key))
        return cls(client, services)

    def handle(self, turn: Turn) -> Reply:
        """Answer one turn and log it.

        :param turn: the user's message as the channel received it.
        :returns: the merged `Reply`; `degraded=True` when Rasa was bypassed. Never raises.
        """
        started = time.perf_counter()
        try:
            # While a person holds (or the queue waits for) the conversation, the bot does not answer.
            reply = self.services.handoff.intercept(turn)
            if reply is None:
                reply = self.services.handoff.after_reply(turn, self._answer(turn))
        except Exception:  # the user always gets an answer, and the turn is still logged
            log.exception("turn failed on channel %s", turn.channel)
            reply = Reply(
                reply=texts.SYSTEM_ERROR, answered=False, abstain_reason="error", suggestions=[texts.HUMAN]
            )
        latency_ms = (time.perf_counter() - started) * 1000.0
        try:
            self.services.turn_log.record(turn, reply, latency_ms)
        except Exception:  # the log promises never to raise; a broken one must not break the chat
            log.exception("could not log the turn")
        return reply

    def _answer(self, turn: Turn) -> Reply:
        if not turn.text:
            return Reply(reply=texts.EMPTY_TURN, answered=False, abstain_reason="empty", suggestions=list(texts.TOPIC_SUGGESTIONS))
        if not self.breaker.allow():
            return self._degraded(turn)
        sender = conversation_key(self.services.settings.secret_key, turn.channel, turn.user_id)
        try:
            reply = self._reply_after_nlu(sender, turn)
            if reply is None:
                reply = self._whole_rasa_turn(sender, turn)
        except RasaUnavailable as err:
            log.warning("Rasa unavailable, answering in degraded mode: %s", err)
            self.breaker.record_failure()
            return self._degraded(turn)
        self.breaker.record_success()
        return reply

    def _dialogue_state(self, sender: str, turn: Turn) -> str | None:
        """IDLE, IN_CHECK, or None when unknown (then only the whole Rasa turn is safe)."""
        try:
            state = self.services.state.get(f"dialogue:{sender}")
        except Exception:  # a state store outage costs speed (whole turns), never an answer
            log.warning("could not read the dialogue state; taking the whole Rasa turn", exc_info=True)
            return None
        if state is None and self.services.turn_log.has_turns(turn.channel, turn.user_id) is False:
            return IDLE  # never logged, so never a whole Rasa turn: no check can be open
        return state

    def _remember(self, sender: str, state: str) -> None:
        try:
            self.services.state.set(f"dialogue:{sender}", state, DIALOGUE_STATE_TTL_SECONDS)
        except Exception:
            log.warning("could not store the dialogue state", exc_info=True)

    def _reply_after_nlu(self, sender: str, turn: Turn) -> Reply | None:
        """The reply Rasa's one-action rule gives outside a check, or None when the turn needs the
        whole Rasa turn (a check may be open, a dialogue intent, or no API token)."""
        if self._nlu_forbidden or self._dialogue_state(sender, turn) != IDLE:
            return None
        try:
            intent, confidence = self.client.parse(turn.text)
        except RasaForbidden as err:  # an outside Rasa with another token: whole turns only
            log.warning("Rasa's NLU endpoint refused our token (%s); every turn now takes the whole Rasa turn", err)
            self._nlu_forbidden = True
            return None
        answer = reply_for_intent(intent, confidence, turn.text, self.services.retriever, self.services.settings.today)
        if answer is None:
            return None
        # Exactly what Rasa's REST channel returns for the action's one message.
        reply = merge_messages([{"text": answer.reply}, {"custom": payload_from_reply(answer)}])
        self._remember(sender, IDLE)
        return reply

    def _whole_rasa_turn(self, sender: str, turn: Turn) -> Reply:
        messages = self.client.send(sender, turn.text, {"channel": turn.channel})
        reply = merge_messages(messages)
        if not reply.reply:
            raise RasaUnavailable("Rasa produced no message (is the action server down?)")
        # A form waiting for a fact names it in `asking_for`; otherwise no check is open.
        self._remember(sender, IN_CHECK if reply.asking_for else IDLE)
        return reply

    def _degraded(self, turn: Turn) -> Reply:
        """Without Rasa: 转人工 still hands over; anything else is answered from the notice."""
        if HANDOFF_WORDS.search(turn.text):
            reply = Reply(reply=texts.HANDOFF, intent="ask_human", confidence=1.0, handoff=True)
        else:
            settings = self.services.settings
            reply = answer_policy_question(self.services.retriever, turn.text, settings.today)
            reply.reply = f"{reply.reply}\n{texts.DEGRADED_NOTE}"
        reply.degraded = True
        return reply

    def close(self) -> None:
        self.client.close()
