"""The conversation core: one turn in, one `Reply` out, the same for every channel.

`Conversation.handle(turn)` asks the dialogue engine (`bot.dialogue`) for the reply, measures the
latency and logs the turn. It never raises. The engine is the one dialogue engine: Rasa serves
only its NLU (`/model/parse`); the dialogue state lives in the shared state store.

When Rasa is down, erroring or slower than HOTLINE_RASA_TIMEOUT, the engine goes on without its
intent (cue words, the fact parser and retrieval still decide; `Reply.degraded` is logged). A
circuit breaker then skips Rasa for a few seconds, so a dead Rasa does not cost every turn a
timeout, and probes it again afterwards: the conversation recovers by itself when Rasa returns.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from typing import Callable

from bot.core.messages import say, starter_questions
from bot.core.turn import Reply, Turn
from bot.dialogue.engine import DialogueEngine
from bot.dialogue.state import DialogueStates
from bot.dialogue.understanding import Nlu
from bot.rasa_client import RasaClient, RasaForbidden, RasaUnavailable, api_token

log = logging.getLogger(__name__)

# After a failure Rasa is skipped for this long, then one turn probes it again.
PROBE_AFTER_SECONDS = 5.0


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

    :param client: the client of Rasa's NLU.
    :param services: the service graph (`retriever`, `state`, `turn_log`, `settings`).
    :param breaker: the circuit breaker around Rasa.
    """

    def __init__(self, client: RasaClient, services, breaker: CircuitBreaker | None = None):
        self.client = client
        self.services = services
        self.breaker = breaker or CircuitBreaker()
        self.engine = DialogueEngine(services.retriever, self.parse, DialogueStates(services.state), services.settings)

    @classmethod
    def from_services(cls, services) -> "Conversation":
        """Build from `Services`: HOTLINE_RASA_URL and HOTLINE_RASA_TIMEOUT."""
        settings = services.settings
        client = RasaClient(settings.rasa_url, timeout=settings.rasa_timeout, token=api_token(settings.secret_key))
        return cls(client, services)

    def handle(self, turn: Turn) -> Reply:
        """Answer one turn and log it.

        :param turn: the user's message as the channel received it.
        :returns: the `Reply`; `degraded=True` when Rasa's NLU was not available. Never raises.
        """
        started = time.perf_counter()
        try:
            # While a person holds (or the queue waits for) the conversation, the bot does not answer.
            held = self.services.handoff.intercept(turn)
            if held is None:
                reply = self.services.handoff.after_reply(turn, self._answer(turn))
            else:
                reply = self._answer_while_waiting(turn, held)
        except Exception:  # the user always gets an answer, and the turn is still logged
            log.exception("turn failed on channel %s", turn.channel)
            reply = Reply(
                reply=say("system_error"), answered=False, abstain_reason="error", suggestions=[say("human")]
            )
        latency_ms = (time.perf_counter() - started) * 1000.0
        try:
            self.services.turn_log.record(turn, reply, latency_ms)
        except Exception:  # the log promises never to raise; a broken one must not break the chat
            log.exception("could not log the turn")
        return reply

    def _answer_while_waiting(self, turn: Turn, held: Reply) -> Reply:
        """While the queue waits (no person holds the conversation yet), a policy question the bot
        can answer is answered, and the queue's note follows; anything else stays with the queue."""
        if held.agent != "" or not held.handoff or turn.channel == "ivr":
            return held
        if self.services.handoff.is_note_for_a_person(turn.text):
            return held
        answer = self._answer(turn)
        if not answer.answered or answer.handoff:
            return held
        answer.reply = f"{answer.reply}\n\n{held.reply}"
        answer.suggestions = list(dict.fromkeys([*answer.suggestions, *held.suggestions]))
        answer.handoff = True  # still in the queue
        return answer

    def _answer(self, turn: Turn) -> Reply:
        if not turn.text:
            return Reply(reply=say("empty_turn"), answered=False, abstain_reason="empty", suggestions=[*starter_questions(), say("human")])
        key = conversation_key(self.services.settings.secret_key, turn.channel, turn.user_id)
        reply = self.engine.reply(turn, key)
        if reply.degraded and reply.abstain_reason and say("degraded_note") not in reply.reply:
            reply.reply = f"{reply.reply}\n{say('degraded_note')}"
        return reply

    def parse(self, text: str) -> Nlu:
        """Rasa's intent for `text`, through the circuit breaker; `Nlu(available=False)` when
        Rasa cannot answer (the engine then decides without it)."""
        if not self.breaker.allow():
            return Nlu(available=False)
        try:
            intent, confidence = self.client.parse(text)
        except RasaForbidden as err:
            log.error("Rasa refused our API token (%s); check HOTLINE_SECRET_KEY of the app and Rasa", err)
            self.breaker.record_failure()
            return Nlu(available=False)
        except RasaUnavailable as err:
            log.warning("Rasa unavailable, going on without its NLU: %s", err)
            self.breaker.record_failure()
            return Nlu(available=False)
        self.breaker.record_success()
        return Nlu(intent, confidence)

    def close(self) -> None:
        self.client.close()
