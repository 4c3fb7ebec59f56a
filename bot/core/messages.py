"""The message catalogue: every sentence a citizen reads or hears, by name (`messages.yaml`).

    say("greet")                              # the chat greeting
    say("greet", channel="ivr")               # the same greeting, for the ear
    say("check_start", topic="稳岗返还", …)    # a template, its `{field}`s filled

An entry is one sentence for every channel, or its variants side by side: `text` (web chat and
the API; the default), `wechat` and `voice` (the IVR). Beside the sentences: the one list of
starter topics (chat quick replies and the voice menu) and the web page's own words. The
catalogue loads once and fails at load on a malformed entry or on variants that disagree about
their fields; `say` fails on an unknown key or a missing field. It imports nothing from the app.
"""
from __future__ import annotations

import functools
import string
from pathlib import Path

import yaml

CATALOGUE = Path(__file__).with_name("messages.yaml")
VARIANTS = ("text", "wechat", "voice")
# A channel slug → its variant; any other channel (api, web) reads `text`.
VARIANT_OF = {"ivr": "voice", "voice": "voice", "wechat": "wechat"}
# Top-level keys of the file that are not sentences.
CONSTANTS, STARTER_TOPICS, WEB_PAGE = "constants", "starter_topics", "web_page"

_FORMATTER = string.Formatter()


class CatalogueError(ValueError):
    """A malformed catalogue, an unknown key or a missing field."""


def _fields(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in _FORMATTER.parse(template) if name is not None)


def _fill(template: str, constants: dict[str, str]) -> str:
    """Fill the catalogue's constants ({notice}) into a template, keeping every other field."""
    out = []
    for literal, name, spec, conversion in _FORMATTER.parse(template):
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if name is None:
            continue
        if name in constants:
            out.append(constants[name].replace("{", "{{").replace("}", "}}"))
        else:
            out.append("{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}")
    return "".join(out)


@functools.cache
def catalogue(path: Path = CATALOGUE) -> dict:
    """The whole catalogue: `{key: {variant: template}}`, plus the starter topics.

    :raises CatalogueError: an entry that is not a sentence or a mapping of known variants with a
        `text`, or whose variants need different fields.
    """
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    constants = {k: str(v) for k, v in (raw.pop(CONSTANTS, None) or {}).items()}
    topics = raw.pop(STARTER_TOPICS, None) or []
    page = {k: str(v) for k, v in (raw.pop(WEB_PAGE, None) or {}).items()}
    entries: dict[str, dict[str, str]] = {}
    for key, entry in raw.items():
        variants = {"text": entry} if isinstance(entry, str) else entry
        if not isinstance(variants, dict) or "text" not in variants or set(variants) - set(VARIANTS):
            raise CatalogueError(f"{path.name}: {key!r} must be a sentence or a mapping of {VARIANTS} with 'text'")
        variants = {v: _fill(str(t), constants) for v, t in variants.items()}
        fields = {v: _fields(t) for v, t in variants.items()}
        if len(set(fields.values())) > 1:
            raise CatalogueError(f"{path.name}: the variants of {key!r} need different fields: {fields}")
        entries[key] = variants
    if not topics or not all(isinstance(t, dict) and {"label", "question", "questions"} <= set(t) for t in topics):
        raise CatalogueError(f"{path.name}: {STARTER_TOPICS} must list topics with label, question and questions")
    return {"entries": entries, "topics": tuple(topics), "web_page": page}


def say(key: str, /, channel: str | None = None, **fields) -> str:
    """The sentence `key` as `channel` says it, its `{field}`s filled.

    :param key: the catalogue name, e.g. `greet`.
    :param channel: a channel slug (`ivr`, `wechat`, `web`, `api`) or a variant name; None: `text`.
    :param fields: the values of the sentence's placeholders.
    :returns: the sentence.
    :raises CatalogueError: unknown key or a placeholder without a value.
    """
    entry = catalogue()["entries"].get(key)
    if entry is None:
        raise CatalogueError(f"no sentence {key!r} in {CATALOGUE.name}")
    template = entry.get(VARIANT_OF.get(channel or "", channel or "text"), entry["text"])
    try:
        return template.format(**fields)
    except KeyError as err:
        raise CatalogueError(f"sentence {key!r} needs the field {err.args[0]!r}") from None


def starter_topics() -> tuple[dict, ...]:
    """The one list of starter topics: each `{label, question, questions: [[label, question], …]}`.
    The chat offers the `question`s; the voice menu reads the `label`s, a key for each by position."""
    return catalogue()["topics"]


def starter_questions() -> list[str]:
    """The questions offered before the first one (web quick replies, WeChat menu, greeting)."""
    return [t["question"] for t in starter_topics()]


def web_page() -> dict[str, str]:
    """The web chat page's own words, by the name its script uses; the page fills their {fields}."""
    return dict(catalogue()["web_page"])
