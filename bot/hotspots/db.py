"""Tables of the hotspot log and the staff dashboard, the engine factory and schema migrations.

SQLite (WAL mode, busy timeout) is the default; a `postgresql+psycopg://…` URL selects PostgreSQL.
The schema is owned by Alembic (`bot/hotspots/migrations`); `ensure_schema(engine)` upgrades to head
once per process and is what every component calls before its first query.
"""
from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Iterator

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.config import LOCAL_TZ  # noqa: F401 (the log's days are local days; its modules import it from here)

# The hotline's days and weeks are Dalian's: times are stored in UTC, `day` in local time.
SQLITE_BUSY_TIMEOUT_MS = 5000
PG_CONNECT_TIMEOUT_S = 3
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
IN_CHUNK = 500  # keys per IN (…) list

_BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only


def utcnow() -> dt.datetime:
    """Now in UTC as a naive datetime (the form stored in every table)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def local_day(moment_utc: dt.datetime) -> dt.date:
    """The hotline's calendar day of a naive-UTC moment."""
    return moment_utc.replace(tzinfo=dt.timezone.utc).astimezone(LOCAL_TZ).date()


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def user_key(user_hash: str) -> int:
    """The first 60 bits of a pseudonym as an integer: counting distinct users over 100,000 turns
    is several times faster on integers than on 64-character strings (collisions: ~2^-60)."""
    return int(user_hash[:15], 16)


# The rows of the unanswered queue: abstained, handed off, or 👎 (a partial index covers them).
UNANSWERED_SQL = "abstain_reason IS NOT NULL OR feedback = 'down'"


class TurnRow(Base):
    """One turn on one channel: what was asked (masked), how it was answered."""

    __tablename__ = "turns"
    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    day: Mapped[dt.date] = mapped_column(Date())
    user_hash: Mapped[str] = mapped_column(String(64))
    user_key: Mapped[int] = mapped_column(BigInteger(), default=0)  # `user_key(user_hash)`, for fast distinct counts
    question: Mapped[str] = mapped_column(Text())
    question_key: Mapped[str] = mapped_column(String(32))
    intent: Mapped[str] = mapped_column(String(64), default="")
    citations: Mapped[str] = mapped_column(Text(), default="")
    confidence: Mapped[float] = mapped_column(Float(), default=0.0)
    answered: Mapped[bool] = mapped_column(Boolean())
    abstain_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    handoff: Mapped[bool] = mapped_column(Boolean(), default=False)
    degraded: Mapped[bool] = mapped_column(Boolean(), default=False)
    asking_for: Mapped[str | None] = mapped_column(String(64), nullable=True)
    latency_ms: Mapped[float] = mapped_column(Float(), default=0.0)
    feedback: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # Human service (bot/handoff): who spoke (`citizen` or `agent`) and the agent's account when a
    # person held the conversation ("" while it waited in the queue); NULL for turns the bot answered.
    speaker: Mapped[str] = mapped_column(String(8), default="citizen", server_default="citizen")
    agent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Covering indexes: each dashboard aggregate reads one index, never the rows (see migration 0002).
    __table_args__ = (
        UniqueConstraint("channel", "message_id"),
        Index("ix_turns_message_id", "message_id"),
        Index("ix_turns_day_overview", "day", "channel", "answered", "handoff", "feedback", "latency_ms"),
        Index("ix_turns_day_question", "day", "question_key", "answered", "channel"),
        Index("ix_turns_day_user", "day", "user_key"),
        Index("ix_turns_user_key", "user_key"),
        Index("ix_turns_question_day", "question_key", "day", "answered", "channel"),
        Index(
            "ix_turns_unanswered", "day", "question_key", "abstain_reason", "channel", "created_at",
            sqlite_where=text(UNANSWERED_SQL), postgresql_where=text(UNANSWERED_SQL),
        ),
    )


class QuestionText(Base):
    """The first masked wording seen for each question key: a cheap name for a wording that is
    not yet in a hotspot cluster."""

    __tablename__ = "question_texts"
    question_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    question: Mapped[str] = mapped_column(Text())
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())


class QuestionDaily(Base):
    """Turns per day, wording and channel: the hotspot figures read this rollup (about a tenth of
    the rows of `turns`). Kept in step by `insert_turns`, in the same transaction."""

    __tablename__ = "question_daily"
    day: Mapped[dt.date] = mapped_column(Date(), primary_key=True)
    question_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    turns: Mapped[int] = mapped_column(Integer(), default=0)
    answered: Mapped[int] = mapped_column(Integer(), default=0)
    handoff: Mapped[int] = mapped_column(Integer(), default=0)
    latency_ms: Mapped[float] = mapped_column(Float(), default=0.0)  # the sum over the turns
    __table_args__ = (
        Index("ix_question_daily_question_key_day", "question_key", "day"),
        Index("ix_question_daily_overview", "day", "channel", "turns", "answered", "handoff", "latency_ms"),
    )


class TurnArticle(Base):
    """One cited article of one turn, for per-article heat without parsing every row."""

    __tablename__ = "turn_articles"
    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(128))
    day: Mapped[dt.date] = mapped_column(Date())
    document: Mapped[str] = mapped_column(String(64))
    article: Mapped[int] = mapped_column(Integer())
    rank: Mapped[int] = mapped_column(SmallInteger(), default=0)
    __table_args__ = (
        UniqueConstraint("channel", "message_id", "document", "article"),
        Index("ix_turn_articles_day_document_article_rank", "day", "document", "article", "rank"),
    )


class FeedbackRow(Base):
    """👍/👎 on a turn, keyed by the turn id the user saw (`Turn.message_id`); the last vote wins."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    turn_id: Mapped[str] = mapped_column(String(128), unique=True)
    value: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(Text(), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(), index=True)


class CallEvent(Base):
    """An IVR status callback, voicemail or hand-off; the staff callback queue reads these."""

    __tablename__ = "call_events"
    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(64), unique=True)
    call_hash: Mapped[str] = mapped_column(String(64), index=True)
    event: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(), index=True)
    caller_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    caller_tail: Mapped[str | None] = mapped_column(String(8), nullable=True)
    status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    recording_url: Mapped[str | None] = mapped_column(String(512), nullable=True)
    duration_s: Mapped[int | None] = mapped_column(Integer(), nullable=True)
    data: Mapped[str] = mapped_column(Text(), default="{}")
    handled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    handled_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The caller's full number, encrypted (bot/handoff/cipher.py), for staff allowed to call back.
    caller_enc: Mapped[str | None] = mapped_column(Text(), nullable=True)


class HandoffSession(Base):
    """One request for a person on a chat channel (bot/handoff): queued, held by an agent, ended."""

    __tablename__ = "handoff_sessions"
    id: Mapped[int] = mapped_column(Integer(), primary_key=True, autoincrement=True)
    conv_key: Mapped[str] = mapped_column(String(64))  # the log's pseudonymous user hash
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12))  # waiting, held, ended
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    day: Mapped[dt.date] = mapped_column(Date())
    off_duty: Mapped[bool] = mapped_column(Boolean(), default=False)
    topic: Mapped[str] = mapped_column(Text(), default="{}")
    agent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    taken_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    first_reply_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(12), nullable=True)  # handled, abandoned
    callback_enc: Mapped[str | None] = mapped_column(Text(), nullable=True)
    callback_tail: Mapped[str | None] = mapped_column(String(8), nullable=True)
    __table_args__ = (
        Index("ix_handoff_sessions_status_created_at", "status", "created_at"),
        Index("ix_handoff_sessions_conv_key_status", "conv_key", "status"),
        Index("ix_handoff_sessions_day", "day"),
    )


class HandoffMessage(Base):
    """One line of a handed-off conversation's transcript, masked like the log: the citizen's and
    the bot's turns before the handoff, then the citizen's and the agent's messages."""

    __tablename__ = "handoff_messages"
    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(Integer(), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    speaker: Mapped[str] = mapped_column(String(8))  # citizen, bot, agent, system
    agent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    text: Mapped[str] = mapped_column(Text())
    citations: Mapped[str] = mapped_column(Text(), default="[]")
    delivery: Mapped[str | None] = mapped_column(String(32), nullable=True)


class StaffUser(Base):
    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(Integer(), primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean(), default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    # Bumped on logout: sessions carrying an older generation are over (migration 0006).
    session_generation: Mapped[int] = mapped_column(Integer(), default=0, server_default="0")


class AuditEntry(Base):
    """Who did what when on the dashboard (logins, answers added, exports, users created)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(), index=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(255), default="")
    detail: Mapped[str] = mapped_column(Text(), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")


class CuratedAnswerRow(Base):
    """A staff-written answer, served ahead of retrieval when a question matches it."""

    __tablename__ = "curated_answers"
    id: Mapped[int] = mapped_column(Integer(), primary_key=True, autoincrement=True)
    question: Mapped[str] = mapped_column(Text())
    answer: Mapped[str] = mapped_column(Text())
    document: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: cites no article
    article: Mapped[int | None] = mapped_column(Integer(), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean(), default=True)  # False: retired (撤下)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    team: Mapped[str] = mapped_column(String(64), server_default="大连市12333热线")  # who signs it
    expires_on: Mapped[dt.date | None] = mapped_column(Date(), nullable=True)  # last day it is served
    reviewed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    source_question_key: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(), index=True)


class EmbeddingRow(Base):
    """Cached question embeddings: key = hash(encoder name, normalised text)."""

    __tablename__ = "question_embeddings"
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary())


class QuestionCluster(Base):
    """The cluster of each distinct (normalised, masked) question; unlisted questions stand alone."""

    __tablename__ = "question_clusters"
    question_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    cluster_key: Mapped[str] = mapped_column(String(32), index=True)
    similarity: Mapped[float] = mapped_column(Float(), default=1.0)


class ClusterRow(Base):
    """A hotspot: paraphrases of one question, named by its most typical member."""

    __tablename__ = "clusters"
    cluster_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    label: Mapped[str] = mapped_column(Text())
    members: Mapped[int] = mapped_column(Integer(), default=1)
    centroid: Mapped[bytes] = mapped_column(LargeBinary())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime())


class ClusterRun(Base):
    """One clustering pass: encoder, threshold, how long it took."""

    __tablename__ = "cluster_runs"
    id: Mapped[int] = mapped_column(Integer(), primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    mode: Mapped[str] = mapped_column(String(16))
    encoder: Mapped[str] = mapped_column(String(255))
    threshold: Mapped[float] = mapped_column(Float())
    questions: Mapped[int] = mapped_column(Integer())
    new_questions: Mapped[int] = mapped_column(Integer())
    clusters: Mapped[int] = mapped_column(Integer())
    seconds: Mapped[float] = mapped_column(Float())


# --- engines -------------------------------------------------------------------------------

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection, timeout_ms: int) -> None:
    # WAL lets the dashboard read while the log writes; busy_timeout waits out short locks.
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", f"busy_timeout={int(timeout_ms)}", "synchronous=NORMAL", "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def make_engine(url: str) -> Engine:
    """A new engine for `url`: SQLite in WAL mode (parent dir created) or PostgreSQL via psycopg 3.
    Most callers want `get_engine`, the process-wide one.

    :param url: a SQLAlchemy URL; `sqlite:///path` or `postgresql+psycopg://…`.
    :raises ValueError: the URL names a database this system does not support.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            _sqlite_pragmas(dbapi_connection, SQLITE_BUSY_TIMEOUT_MS)

        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5,
                             connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S})
    raise ValueError(
        f"HOTLINE_DATABASE_URL must be sqlite:///… or postgresql+psycopg://…, got {parsed.drivername!r}"
    )


def get_engine(url: str) -> Engine:
    """The process-wide shared engine for `url` (the turn log, curated answers and dashboard share it)."""
    with _engines_lock:
        if url not in _engines:
            _engines[url] = make_engine(url)
        return _engines[url]


def dispose_engine(url: str) -> None:
    """Forget and close the shared engine for `url` (tests; after the database was dropped)."""
    with _engines_lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


# --- chunked queries ---------------------------------------------------------------------

def chunks(items: list, size: int = IN_CHUNK) -> Iterator[list]:
    """`items` in slices of at most `size`: keeps IN lists and multi-row inserts within driver limits."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def lookup(conn: Connection, key_column, value_column, keys: list) -> dict:
    """{key: value} of the rows whose `key_column` is one of `keys` (one IN query per chunk)."""
    found = {}
    for chunk in chunks(keys):
        found.update(conn.execute(select(key_column, value_column).where(key_column.in_(chunk))).all())
    return found


# --- portable upserts --------------------------------------------------------------------

def _dialect_insert(conn: Connection, table):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def insert_ignore(conn: Connection, table, rows: list[dict], keys: list[str]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: replays and duplicates leave the first row as it was."""
    conn.execute(_dialect_insert(conn, table).on_conflict_do_nothing(index_elements=keys), rows)


def insert_turns(conn: Connection, rows: list[dict]) -> int:
    """Insert turn rows, ignoring ones already stored (same channel and message id), and keep
    `question_texts` and the `question_daily` rollup in step with the rows really inserted.

    :param rows: values of `TurnRow` columns (without id).
    :returns: how many rows were new.
    """
    if not rows:
        return 0
    turns = TurnRow.__table__
    statement = (
        _dialect_insert(conn, turns)
        .on_conflict_do_nothing(index_elements=["channel", "message_id"])
        .returning(turns.c.day, turns.c.question_key, turns.c.channel, turns.c.answered, turns.c.handoff,
                   turns.c.latency_ms, turns.c.agent)
    )
    inserted_all = conn.execute(statement, rows).all()
    # Messages to and from a person (bot/handoff) are turns of the conversation, not questions to
    # the bot: they stay out of the hotspot figures.
    inserted = [row[:6] for row in inserted_all if row[6] is None]
    rows = [row for row in rows if row.get("agent") is None]
    if not inserted:
        return len(inserted_all)
    rollup: dict[tuple, dict] = {}
    for day, key, channel, answered, handoff, latency in inserted:
        entry = rollup.setdefault((day, key, channel), {"day": day, "question_key": key, "channel": channel,
                                                        "turns": 0, "answered": 0, "handoff": 0, "latency_ms": 0.0})
        entry["turns"] += 1
        entry["answered"] += int(bool(answered))
        entry["handoff"] += int(bool(handoff))
        entry["latency_ms"] += float(latency or 0.0)
    daily = QuestionDaily.__table__
    upsert_daily = _dialect_insert(conn, daily)
    upsert_daily = upsert_daily.on_conflict_do_update(
        index_elements=["day", "question_key", "channel"],
        set_={column: daily.c[column] + upsert_daily.excluded[column]
              for column in ("turns", "answered", "handoff", "latency_ms")},
    )
    conn.execute(upsert_daily, list(rollup.values()))
    new_keys = {row[1] for row in inserted}
    texts = {}  # the first wording of each new key
    for row in rows:
        if row["question_key"] in new_keys:
            texts.setdefault(row["question_key"], {k: row[k] for k in ("question_key", "question", "created_at")})
    insert_ignore(conn, QuestionText.__table__, list(texts.values()), ["question_key"])
    return len(inserted_all)


def upsert(conn: Connection, table, rows: list[dict], keys: list[str], columns: list[str]) -> None:
    stmt = _dialect_insert(conn, table)
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in columns}), rows)


# --- schema --------------------------------------------------------------------------------

_upgraded: set[str] = set()
_upgrade_lock = threading.Lock()


def alembic_config(url: str):
    """An Alembic `Config` for this package's migrations against `url` (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations on `engine` up to `revision`.

    :raises sqlalchemy.exc.OperationalError: the database cannot be reached or is locked.
    """
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _schema_key(engine_or_url: Engine | str) -> str:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.render_as_string(hide_password=False)


def ensure_schema(engine: Engine) -> None:
    """Upgrade `engine`'s database to head once per process (cheap after the first call).

    :raises sqlalchemy.exc.OperationalError: the database cannot be reached or is locked.
    """
    key = _schema_key(engine)
    if key in _upgraded:
        return
    with _upgrade_lock:
        if key in _upgraded:
            return
        upgrade(engine)
        _upgraded.add(key)


def forget_schema(engine_or_url: Engine | str) -> None:
    """Make the next `ensure_schema` check again (tests that drop and recreate a database)."""
    _upgraded.discard(_schema_key(engine_or_url))
