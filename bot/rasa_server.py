"""Entry point of the Rasa server process: Rasa's own command line, plus performance fixes.

Runs inside `.venv-rasa` (Python 3.10, rasa 3.6.21), started by `bot.rasa_process` as
`.venv-rasa/bin/python -m bot.rasa_server run …` from the repository root; it must therefore
import nothing from the app (Python 3.11) beyond this file.

The fix: for every custom-action response, Rasa 3.6 calls `jsonschema.validate(result, spec)`,
which first re-validates the constant response schema against the JSON-Schema 2020-12
meta-schema. With jsonschema 4.17 that costs ~65 ms of CPU per action call, more than NLU,
the policies and the tracker store together. The response is still validated against the same
schema, by the same validator class, with the same error message; only the check of the
schema itself is done once instead of on every call. A valid response is recognised by
checking each event against the one alternative its type names, not all 23.

Second: loading a tracker turns every stored event into an object, and `Event.resolve_by_type`
walks the whole tree of event classes for each one (8 % of a dialogue turn's CPU in a
profile). The name → class table is the same for the life of the process, so it is kept.

Third: on SQLite (the single-machine default) the tracker store commits with
`synchronous=NORMAL`, which in WAL mode syncs at checkpoints instead of every commit: a killed
Rasa loses nothing (the WAL is in the OS), only a power cut could lose the last turns. And
its connections stay open between turns instead of one new connection per read and write.

Fourth: NLU results are remembered per text. The pipeline (jieba, count vectors, regexes,
DIET, fallback) is deterministic and reads only the text, yet it costs about a quarter of a
dialogue turn's CPU; the same texts come again and again ("中小微企业", "五年", a question
everyone asks the day a policy is announced), and a check that starts while none is open is
parsed twice (the app's `/model/parse`, then the dialogue turn).

Fifth: the SQL tracker store reads and writes the same rows as Rasa's, with the same session
boundary, but as fixed SQL statements and one batched insert instead of ORM queries built, keyed
and flushed row by row (a third of a dialogue turn's CPU went to SQLAlchemy). A saved tracker
remembers how many of its events are stored, so the next save of the same object needs no
count query; Rasa's lock store keeps other writers out of a conversation during its turn.

Sixth: once the model is loaded, the objects alive are frozen out of the garbage collector's
sight (`gc.freeze`). TensorFlow and Rasa make a heap of millions of objects, and every full
collection walked all of them, stopping the event loop and every turn in flight: 7 times in a
500-user load run, up to 0.34 s each (`benchmarks/gc_pauses.py`). Objects created later are
collected as usual.
"""
import copy
import functools
import sys
from collections import OrderedDict

PARSE_CACHE_TEXTS = 4096


def install_action_result_validator_cache() -> None:
    """Replace `RemoteAction._validate_action_result` by an equivalent with a cached validator."""
    from jsonschema import ValidationError, exceptions, validators
    from rasa.core.actions import action as rasa_action

    original = rasa_action.RemoteAction._validate_action_result

    @functools.lru_cache(maxsize=None)
    def response_validator():
        spec = rasa_action.RemoteAction.action_response_format_spec()
        cls = validators.validator_for(spec)
        cls.check_schema(spec)  # once, not per response
        return cls(spec)

    @functools.lru_cache(maxsize=None)
    def valid_by_event_type():
        """Validators that accept exactly what the full schema accepts, one per event type.

        Every event must match exactly one of the schema's `oneOf` alternatives, and each
        alternative fixes `event` to its own constant; so an event is valid exactly when it
        matches the alternative named by its `event`. Checking that one is far cheaper than
        trying all 23 alternatives for every event.
        """
        spec = rasa_action.RemoteAction.action_response_format_spec()
        cls = validators.validator_for(spec)
        event_schema = spec["properties"]["events"]["items"]
        common = {k: v for k, v in event_schema.items() if k != "oneOf"}
        by_type = {alt["properties"]["event"]["const"]: cls({"allOf": [common, alt]}) for alt in event_schema["oneOf"]}
        if len(by_type) != len(event_schema["oneOf"]):  # pragma: no cover - two alternatives for one type
            return None
        outer = cls({**spec, "properties": {**spec["properties"], "events": {"type": "array"}}})

        def is_valid(result) -> bool:
            if not outer.is_valid(result):
                return False
            for event in result.get("events") or ():
                name = event.get("event") if isinstance(event, dict) else None
                validator = by_type.get(name) if isinstance(name, str) else None
                if validator is None or not validator.is_valid(event):
                    return False
            return True

        return is_valid

    def _validate_action_result(self, result):
        fast = valid_by_event_type()
        if fast is not None and fast(result):
            return True
        # Anything else goes through the full schema, which gives Rasa's own error.
        error = exceptions.best_match(response_validator().iter_errors(result))
        if error is None:
            return True
        if not isinstance(error, ValidationError):  # pragma: no cover - jsonschema always raises these
            raise error
        # The same message as Rasa's own implementation.
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            "For more information about the format visit "
            f"{rasa_action.DOCS_BASE_URL}/custom-actions"
        )
        raise error

    _validate_action_result.__doc__ = original.__doc__
    rasa_action.RemoteAction._validate_action_result = _validate_action_result


def install_event_type_cache() -> None:
    """Replace `Event.resolve_by_type` by the same lookup remembered per type name."""
    from rasa.shared.core import events

    original = events.Event.resolve_by_type
    known: dict = {}

    def resolve_by_type(type_name, default=None):
        cls = known.get(type_name)
        if cls is None:
            cls = original(type_name, default)
            if cls is not None and cls.type_name == type_name:  # never remember a default
                known[type_name] = cls
        return cls

    resolve_by_type.__doc__ = original.__doc__
    events.Event.resolve_by_type = staticmethod(resolve_by_type)


def install_sqlite_synchronous_normal() -> None:
    """Every SQLite connection of this process (the tracker store) commits without an fsync."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _pragma(dbapi_connection, _record):
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()


def install_sqlite_connection_pool() -> None:
    """The SQLite tracker store keeps its connections open between turns (a small QueuePool).

    SQLAlchemy 1.4 gives a SQLite file NullPool: every tracker read and write opened and
    closed the database file again. Only the Rasa server's event-loop thread uses them.
    """
    from rasa.core import tracker_store as rasa_store
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import QueuePool

    original = rasa_store.create_engine_kwargs

    def create_engine_kwargs(url):
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
            return original(url)
        return {"poolclass": QueuePool, "pool_size": 2, "connect_args": {"check_same_thread": False}}

    create_engine_kwargs.__doc__ = original.__doc__
    rasa_store.create_engine_kwargs = create_engine_kwargs


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


STORED_EVENTS = "_hotline_stored_events"  # tracker attribute: events of it already in the store
_SESSION_START = "(SELECT max(timestamp) FROM events WHERE sender_id = :sender_id AND type_name = 'session_started')"
LATEST_SESSION_SQL = (
    "SELECT data FROM events WHERE sender_id = :sender_id"
    f" AND ({_SESSION_START} IS NULL OR timestamp >= {_SESSION_START}) ORDER BY id"
)
ALL_SESSIONS_SQL = "SELECT data FROM events WHERE sender_id = :sender_id ORDER BY id"
COUNT_LATEST_SESSION_SQL = (
    "SELECT count(*) FROM events WHERE sender_id = :sender_id"
    f" AND ({_SESSION_START} IS NULL OR timestamp >= {_SESSION_START})"
)


def install_lean_sql_tracker_store() -> None:
    """Replace `SQLTrackerStore._retrieve` and `.save` by Core SQL with the same effect."""
    import itertools
    import json
    import os

    import sqlalchemy as sa
    from rasa.core import tracker_store as rasa_store
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.nlu.constants import INTENT_NAME_KEY

    if os.environ.get(rasa_store.POSTGRESQL_SCHEMA):
        return  # Rasa checks a named PostgreSQL schema per session; keep its own code for that
    store_class = rasa_store.SQLTrackerStore
    original_retrieve, original_save = store_class._retrieve, store_class.save
    latest, every, count = sa.text(LATEST_SESSION_SQL), sa.text(ALL_SESSIONS_SQL), sa.text(COUNT_LATEST_SESSION_SQL)
    insert = store_class.SQLEvent.__table__.insert()

    async def _retrieve(self, sender_id, fetch_events_from_all_sessions):
        with self.engine.connect() as connection:
            query = every if fetch_events_from_all_sessions else latest
            events = [json.loads(data) for data in connection.execute(query, {"sender_id": sender_id}).scalars()]
        if not (self.domain and events):
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        if not fetch_events_from_all_sessions:  # the store counts the latest session only
            setattr(tracker, STORED_EVENTS, len(events))
        return tracker

    async def save(self, tracker):
        if tracker.events.maxlen is not None:  # a capped tracker has no stable event positions
            return await original_save(self, tracker)
        await self.stream_events(tracker)
        events = list(tracker.events)
        with self.engine.begin() as connection:
            stored = getattr(tracker, STORED_EVENTS, None)
            if stored is None:
                stored = connection.execute(count, {"sender_id": tracker.sender_id}).scalar()
            rows = []
            for event in itertools.islice(events, stored, None):
                data = event.as_dict()
                rows.append({
                    "sender_id": tracker.sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                })
            if rows:
                connection.execute(insert, rows)
        setattr(tracker, STORED_EVENTS, len(events))

    _retrieve.__doc__, save.__doc__ = original_retrieve.__doc__, original_save.__doc__
    store_class._retrieve, store_class.save = _retrieve, save


def main() -> None:
    install_action_result_validator_cache()
    install_event_type_cache()
    install_sqlite_synchronous_normal()
    install_sqlite_connection_pool()
    install_parse_cache()
    install_lean_sql_tracker_store()
    install_gc_freeze_after_model_load()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
