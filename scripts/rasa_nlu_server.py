"""Entry point of the Rasa NLU server process: Rasa's own command line, plus three changes.

Runs inside `.venv-rasa` (Python 3.10, rasa 3.6.21), started by `bot.runtime.rasa_process` as
`.venv-rasa/bin/python scripts/rasa_nlu_server.py run …`; it imports nothing from the app
(Python 3.11), which is why it lives outside the app's packages. Rasa serves only `/model/parse`:
the dialogue is the app's, so Rasa keeps no conversation (no tracker store, no actions).

First: the API token comes from the environment (`HOTLINE_RASA_TOKEN`), never from the command
line, where `ps` would show it to every user of the machine.

Second: NLU results are remembered per text. The pipeline (jieba, count vectors, regexes,
DIET, fallback) is deterministic and reads only the text, and the same texts come again and
again ("中小微企业", "五年", a question everyone asks the day a policy is announced).

Third: once the model is loaded, the objects alive are frozen out of the garbage collector's
sight (`gc.freeze`). TensorFlow and Rasa make a heap of millions of objects, and every full
collection walked all of them, stopping the event loop and every request in flight (up to
0.34 s each in a 500-user load run, `benchmarks/gc_pauses.py`). Objects created later are
collected as usual.
"""
import copy
import os
import sys
from collections import OrderedDict

PARSE_CACHE_TEXTS = 4096


def install_gc_freeze_after_model_load() -> None:
    """Wrap `rasa.core.run.load_agent_on_start`: collect, then `gc.freeze()` the loaded heap."""
    import gc

    from rasa.core import run as rasa_run

    original = rasa_run.load_agent_on_start

    async def load_agent_on_start(*args, **kwargs):
        agent = await original(*args, **kwargs)
        gc.collect()
        gc.freeze()
        return agent

    load_agent_on_start.__doc__ = original.__doc__
    rasa_run.load_agent_on_start = load_agent_on_start


def install_parse_cache(max_texts: int = PARSE_CACHE_TEXTS) -> None:
    """Remember the NLU output (`only_output_properties`) of the last `max_texts` texts."""
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor._parse_message_with_graph
    results: OrderedDict = OrderedDict()

    def _parse_message_with_graph(self, message, tracker, only_output_properties=True):
        text = message.text
        if not only_output_properties or not isinstance(text, str):
            return original(self, message, tracker, only_output_properties)
        key = (self.model_metadata.model_id, text)  # every trained model has its own id
        cached = results.get(key)
        if cached is None:
            cached = original(self, message, tracker, only_output_properties)
            results[key] = copy.deepcopy(cached)
            if len(results) > max_texts:
                results.popitem(last=False)
            return cached
        results.move_to_end(key)
        return copy.deepcopy(cached)  # callers mutate parse data

    _parse_message_with_graph.__doc__ = original.__doc__
    MessageProcessor._parse_message_with_graph = _parse_message_with_graph


TOKEN_ENV = "HOTLINE_RASA_TOKEN"


def main() -> None:
    install_parse_cache()
    install_gc_freeze_after_model_load()
    from rasa.__main__ import main as rasa_main

    # Changing sys.argv does not change /proc/<pid>/cmdline: the token stays out of `ps`.
    sys.argv[0] = "rasa"
    token = os.environ.pop(TOKEN_ENV, "")
    if token:
        sys.argv += ["--auth-token", token]
    rasa_main()


if __name__ == "__main__":
    main()
