"""TwiML documents as plain functions of their inputs (no request, no state), built with twilio's
`VoiceResponse`; `tests/ivr/test_twiml.py` asserts their exact output.

Shapes used by the voice flow:

- `gather`: optional spoken lines, then `<Gather>` with the prompt inside (so a caller can
  press or speak over it), then `<Redirect>` to the no-input URL, which Twilio follows when the
  caller stays silent;
- `dial`: spoken line, `<Dial>` ringing every agent number at once;
- `voicemail`: spoken lines, `<Record>` with a maximum length, then what to say when nothing
  was recorded (Twilio goes on to the next verb instead of calling `action`);
- `say_and_hang_up`, `empty` (for callbacks, which only need a 200).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from twilio.twiml.voice_response import VoiceResponse

from ivr.menu import MENU_TIMEOUT, NUMBER_TIMEOUT


@dataclass(frozen=True)
class Speaker:
    """How `<Say>` and `<Gather>` speak and listen.

    :param voice: the `<Say voice>`, e.g. `Polly.Zhiyu`.
    :param voice_language: the `<Say language>`, e.g. `cmn-CN`.
    :param speech_language: the `<Gather language>` for speech recognition, e.g. `cmn-Hans-CN`.
    :param hints: `<Gather hints>`, comma-separated phrases; empty for none.
    """

    voice: str
    voice_language: str
    speech_language: str
    hints: str = ""


def _say(verb, lines: Sequence[str], speaker: Speaker) -> None:
    for text in lines:
        if text:
            verb.say(text, voice=speaker.voice, language=speaker.voice_language)


def gather(
    prompt: str,
    *,
    speaker: Speaker,
    action: str,
    no_input: str,
    before: Sequence[str] = (),
    dtmf_only: bool = False,
    number: bool = False,
    choice: bool = False,
) -> str:
    """Say `before`, then listen for a key (or a number) or speech while saying `prompt`.

    :param prompt: said inside the `<Gather>`; the caller may interrupt it.
    :param speaker: voice, languages and speech hints.
    :param action: where Twilio posts `Digits` / `SpeechResult`.
    :param no_input: where Twilio is redirected when the caller says and presses nothing.
    :param before: lines said first, which the caller cannot interrupt (an answer).
    :param dtmf_only: listen to the keypad only (the fallback menu).
    :param number: take several digits ended by `#` (eligibility questions) instead of one key.
    :param choice: take the whole entry, ended by `#` or a pause, for a question answered with one
        of a few keys (中小微企业请按1，其他企业请按2): `28#` reaches the flow as `28` and is refused,
        instead of Twilio cutting it to `2` after one key.
    :returns: the TwiML document.
    """
    response = VoiceResponse()
    _say(response, before, speaker)
    attrs: dict = {"action": action, "method": "POST"}
    if number:
        attrs.update(finish_on_key="#", timeout=NUMBER_TIMEOUT)
    elif choice:
        attrs.update(finish_on_key="#", timeout=MENU_TIMEOUT)
    else:
        # One key per choice, and "#"/"*" are choices too, so no key finishes the entry.
        attrs.update(num_digits=1, finish_on_key="", timeout=MENU_TIMEOUT)
    if dtmf_only:
        attrs["input"] = "dtmf"
    else:
        attrs.update(input="dtmf speech", language=speaker.speech_language, speech_timeout="auto")
        if speaker.hints:
            attrs["hints"] = speaker.hints
    listen = response.gather(**attrs)
    _say(listen, [prompt], speaker)
    response.redirect(no_input, method="POST")
    return response.to_xml()


def dial(
    numbers: Sequence[str], *, speaker: Speaker, action: str, timeout: int, before: Sequence[str] = ()
) -> str:
    """Ring the agents; Twilio posts `DialCallStatus` to `action` when the dial ends.

    :param numbers: agent numbers, rung at the same time (the first to answer takes the call).
    :param speaker: the voice of the spoken lines.
    :param action: the dial-result URL.
    :param timeout: seconds to ring before giving up (`no-answer`).
    :param before: said before ringing.
    :returns: the TwiML document.
    :raises ValueError: there is no number to ring.
    """
    if not numbers:
        raise ValueError("dial() needs at least one agent number")
    response = VoiceResponse()
    _say(response, before, speaker)
    ring = response.dial(action=action, method="POST", timeout=timeout)
    for number in numbers:
        ring.number(number)
    return response.to_xml()


def voicemail(
    *,
    speaker: Speaker,
    action: str,
    status_callback: str,
    max_length: int,
    before: Sequence[str] = (),
    if_silent: Sequence[str] = (),
) -> str:
    """Record a message for a staff callback.

    :param speaker: the voice of the spoken lines.
    :param action: posted with `RecordingUrl` / `RecordingDuration` when the caller finishes.
    :param status_callback: posted when the recording file is ready.
    :param max_length: the longest message, in seconds.
    :param before: said before the beep (the invitation to speak).
    :param if_silent: said when nothing was recorded, before hanging up.
    :returns: the TwiML document.
    """
    response = VoiceResponse()
    _say(response, before, speaker)
    response.record(
        action=action,
        method="POST",
        max_length=max_length,
        finish_on_key="#",
        play_beep=True,
        timeout=5,
        recording_status_callback=status_callback,
        recording_status_callback_method="POST",
    )
    _say(response, if_silent, speaker)
    response.hangup()
    return response.to_xml()


def say_and_hang_up(lines: Sequence[str], *, speaker: Speaker) -> str:
    """Say the lines, then end the call."""
    response = VoiceResponse()
    _say(response, lines, speaker)
    response.hangup()
    return response.to_xml()


def empty() -> str:
    """An empty document: the answer to callbacks, which Twilio only needs acknowledged."""
    return VoiceResponse().to_xml()
