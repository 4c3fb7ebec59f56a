"""Entry point of the Rasa server process: Rasa's own command line, plus three performance fixes.

Runs inside `.venv-rasa` (Python 3.10, rasa 3.6.21), started by `bot.rasa_process` as
`.venv-rasa/bin/python -m bot.rasa_server run …` from the repository root; it must therefore
import nothing from the app (Python 3.11) beyond this file.

The fix: for every custom-action response, Rasa 3.6 calls `jsonschema.validate(result, spec)`,
which first re-validates the constant response schema against the JSON-Schema 2020-12
meta-schema. With jsonschema 4.17 that costs ~65 ms of CPU per action call, more than NLU,
the policies and the tracker store together. The response is still validated against the same
schema, by the same validator class, with the same error message; only the check of the
schema itself is done once instead of on every call.

Second: loading a tracker turns every stored event into an object, and `Event.resolve_by_type`
walks the whole tree of event classes for each one (8 % of a dialogue turn's CPU in a
profile). The name → class table is the same for the life of the process, so it is kept.

Third: on SQLite (the single-machine default) the tracker store commits with
`synchronous=NORMAL`, which in WAL mode syncs at checkpoints instead of every commit: a killed
Rasa loses nothing (the WAL is in the OS), only a power cut could lose the last turns.
"""
import functools
import sys


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

    def _validate_action_result(self, result):
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


def main() -> None:
    install_action_result_validator_cache()
    install_event_type_cache()
    install_sqlite_synchronous_normal()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
