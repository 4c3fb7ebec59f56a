"""Why a turn lands in the unanswered queue. `Reply.abstain_reason` takes one of these values.

The conversation core sets `no_match`, `low_confidence` or `out_of_scope` when it abstains
(`error` when it failed); `handoff` comes from `Reply.handoff`, `thumbs_down` from user feedback.
"""
from __future__ import annotations

from enum import Enum


class AbstainReason(str, Enum):
    NO_MATCH = "no_match"
    LOW_CONFIDENCE = "low_confidence"
    OUT_OF_SCOPE = "out_of_scope"
    THUMBS_DOWN = "thumbs_down"
    HANDOFF = "handoff"
    ERROR = "error"  # the conversation core failed; the user got an apology

    @property
    def label(self) -> str:
        """The Chinese name staff see."""
        return REASON_LABELS[self]


REASON_LABELS = {
    AbstainReason.NO_MATCH: "未找到答案",
    AbstainReason.LOW_CONFIDENCE: "把握不足",
    AbstainReason.OUT_OF_SCOPE: "超出范围",
    AbstainReason.THUMBS_DOWN: "用户点踩",
    AbstainReason.HANDOFF: "转人工",
    AbstainReason.ERROR: "系统故障",
}

# Spellings other components might use, mapped to the canonical value.
_ALIASES = {
    "nomatch": AbstainReason.NO_MATCH,
    "no_answer": AbstainReason.NO_MATCH,
    "not_found": AbstainReason.NO_MATCH,
    "lowconfidence": AbstainReason.LOW_CONFIDENCE,
    "below_threshold": AbstainReason.LOW_CONFIDENCE,
    "outofscope": AbstainReason.OUT_OF_SCOPE,
    "out_of_domain": AbstainReason.OUT_OF_SCOPE,
    "nearmiss": AbstainReason.OUT_OF_SCOPE,  # sounds like the notice's, which does not say (失业金最长领几个月)
    "thumbsdown": AbstainReason.THUMBS_DOWN,
    "down": AbstainReason.THUMBS_DOWN,
    "human": AbstainReason.HANDOFF,
    "transfer": AbstainReason.HANDOFF,
    "exception": AbstainReason.ERROR,
    "rasa_unavailable": AbstainReason.ERROR,
}


# Turns that carried no question for the bot (an empty message; a message to a person holding the
# conversation, bot/handoff): not answered by the bot, but nothing for the unanswered queue.
NOT_A_QUESTION = {"empty", "agent"}


def normalise_reason(raw: str | None, *, answered: bool, handoff: bool) -> str | None:
    """The canonical reason for a turn, or None when it was answered and not handed off.

    :param raw: `Reply.abstain_reason` as the conversation core set it (any of the spellings above).
    :param answered: `Reply.answered`.
    :param handoff: `Reply.handoff`.
    :returns: an `AbstainReason` value; an unanswered turn without a reason counts as `no_match`.
    """
    if raw:
        key = str(raw).strip().lower().replace(" ", "_").replace("-", "_")
        if key in NOT_A_QUESTION:
            return None
        try:
            return AbstainReason(key).value
        except ValueError:
            alias = _ALIASES.get(key.replace("_", "")) or _ALIASES.get(key)
            if alias is not None:
                return alias.value
    if handoff:
        return AbstainReason.HANDOFF.value
    if not answered:
        return AbstainReason.NO_MATCH.value
    return None
