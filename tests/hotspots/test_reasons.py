"""bot.hotspots.reasons.normalise_reason: the one reason a turn lands in the unanswered queue for."""
import pytest

from bot.hotspots.reasons import normalise_reason


@pytest.mark.parametrize("raw, answered, handoff, reason", [
    ("low_confidence", False, False, "low_confidence"),
    ("near_miss", False, False, "out_of_scope"),  # a question the notice sounds like it answers, and does not
    ("Out-Of-Domain", False, False, "out_of_scope"),
    (None, False, False, "no_match"),  # not answered, no reason given
    (None, False, True, "handoff"),
    (None, True, False, None),  # answered
    ("agent", False, False, None),  # a message to a person: nothing for the queue
    ("something new", False, False, "no_match"),
])
def test_the_reason_a_turn_is_queued_for(raw, answered, handoff, reason):
    assert normalise_reason(raw, answered=answered, handoff=handoff) == reason
