"""Curated answers in the database: staff add them on the dashboard, retrieval serves them at once.

`CuratedAnswerStore` implements `knowledge_base.curated.CuratedSource`: `version()` is a cheap token
(count and latest change, cached for about a second) that the retriever checks on every query, and
`active()` returns the published answers when it changed.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.hotspots import db
from knowledge_base.curated import CuratedAnswer  # the retrieval engineer's contract

logger = logging.getLogger(__name__)

VERSION_TTL_S = 1.0
QUESTION_MAX = 500
ANSWER_MAX = 4000
TEAM_MAX = 64
# The signature of an answer when staff give none (also the migration's default for old rows).
DEFAULT_TEAM = "大连市12333热线"


class CuratedAnswerError(ValueError):
    """A curated answer staff tried to save is invalid; the message is Chinese, for the form."""


class CuratedAnswerStore:
    """Curated answers kept in the hotspot database.

    :param engine: the database (the schema is migrated on first use).
    :param version_ttl: seconds a `version()` result is reused before asking the database again.
    """

    def __init__(self, engine: Engine, version_ttl: float = VERSION_TTL_S):
        self.engine = engine
        self.version_ttl = version_ttl
        self._lock = threading.Lock()
        self._version = "empty"
        self._version_at = float("-inf")
        self._active: list[CuratedAnswer] = []
        self._active_version: str | None = None

    @classmethod
    def from_settings(cls, settings) -> "CuratedAnswerStore":
        """The store on `settings.database_url` (the process-wide shared engine)."""
        return cls(db.get_engine(settings.database_url))

    # --- the retrieval hook ---------------------------------------------------------------

    def version(self) -> str:
        """A token that changes whenever an answer is added, changed or withdrawn.

        Never raises: while the database is unavailable the last known token is returned.
        """
        now = time.monotonic()
        if now - self._version_at < self.version_ttl:
            return self._version
        try:
            db.ensure_schema(self.engine)
            table = db.CuratedAnswerRow.__table__
            with self.engine.connect() as conn:
                total, latest, top = conn.execute(
                    select(func.count(), func.max(table.c.updated_at), func.max(table.c.id))
                ).one()
            version = f"{total}:{top or 0}:{latest.isoformat() if latest else '-'}"
        except Exception as error:  # noqa: BLE001 - retrieval keeps serving what it has
            logger.warning("curated answers: version check failed (%s); keeping the last one", error)
            version = self._version
        with self._lock:
            self._version, self._version_at = version, now
        return version

    def active(self) -> list[CuratedAnswer]:
        """The published (not retired) answers, oldest first; the retriever's matcher skips the
        expired ones. Never raises (last known list on a database error)."""
        version = self.version()
        if version == self._active_version:
            return list(self._active)
        try:
            rows = self._select(active_only=True)
        except Exception as error:  # noqa: BLE001
            logger.warning("curated answers: could not read them (%s)", error)
            return list(self._active)
        answers = [
            CuratedAnswer(id=r.id, question=r.question, answer=r.answer, document=r.document, article=r.article,
                          team=r.team or DEFAULT_TEAM, updated=db.local_day(r.updated_at), expires_on=r.expires_on)
            for r in rows
        ]
        with self._lock:
            self._active, self._active_version = answers, version
        return list(answers)

    # --- staff side -----------------------------------------------------------------------

    def add(self, question: str, answer: str, document: str | None = None, article: int | str | None = None, *,
            created_by: str, team: str = DEFAULT_TEAM, expires_on: dt.date | None = None,
            source_question_key: str | None = None) -> db.CuratedAnswerRow:
        """Publish a curated answer; retrieval in this process serves it from the next question.

        :param question: the question it answers (typically the hotspot's name).
        :param answer: the full answer text.
        :param document: the cited document number, e.g. 大人社发[2020]38号; None or "" with no
            article: the answer cites nothing and is shown as 工作人员答复.
        :param article: the cited article number within it.
        :param created_by: the staff username (audit).
        :param team: the team that signs it (shown with an answer that cites nothing).
        :param expires_on: the last day it is served; None: until retired.
        :param source_question_key: the unanswered question it came from, if any.
        :returns: the stored row.
        :raises CuratedAnswerError: an empty or over-long field, a bad article number, an expiry date
            in the past.
        """
        fields = _clean(question, answer, document, article, team, expires_on)
        db.ensure_schema(self.engine)
        now = db.utcnow()
        row = db.CuratedAnswerRow(**fields, active=True, created_by=created_by, source_question_key=source_question_key,
                                  created_at=now, updated_at=now)
        with Session(self.engine, expire_on_commit=False) as session:
            session.add(row)
            session.commit()
        self.invalidate()
        return row

    def update(self, answer_id: int, question: str, answer: str, document: str | None = None,
               article: int | str | None = None, *, team: str = DEFAULT_TEAM,
               expires_on: dt.date | None = None) -> db.CuratedAnswerRow | None:
        """Edit an answer; served as edited from the next question, and due for review again.

        :returns: the stored row, or None when no answer has that id.
        :raises CuratedAnswerError: as `add`.
        """
        fields = _clean(question, answer, document, article, team, expires_on)
        db.ensure_schema(self.engine)
        with Session(self.engine, expire_on_commit=False) as session:
            row = session.get(db.CuratedAnswerRow, int(answer_id))
            if row is None:
                return None
            for name, value in fields.items():
                setattr(row, name, value)
            row.reviewed_by, row.reviewed_at, row.updated_at = None, None, db.utcnow()
            session.commit()
        self.invalidate()
        return row

    def review(self, answer_id: int, reviewer: str) -> db.CuratedAnswerRow | None:
        """Record that `reviewer` checked the answer as it stands.

        :returns: the stored row, or None when no answer has that id.
        :raises CuratedAnswerError: the reviewer wrote it (a second pair of eyes is the point).
        """
        db.ensure_schema(self.engine)
        with Session(self.engine, expire_on_commit=False) as session:
            row = session.get(db.CuratedAnswerRow, int(answer_id))
            if row is None:
                return None
            if row.created_by == reviewer:
                raise CuratedAnswerError("不能审核自己添加的答案，请由其他编辑审核。")
            row.reviewed_by, row.reviewed_at = reviewer, db.utcnow()
            session.commit()
        return row

    def set_active(self, answer_id: int, active: bool) -> bool:
        """Publish again or retire an answer.

        :returns: False when no answer has that id.
        """
        db.ensure_schema(self.engine)
        table = db.CuratedAnswerRow.__table__
        with self.engine.begin() as conn:
            result = conn.execute(
                update(table).where(table.c.id == int(answer_id)).values(active=bool(active), updated_at=db.utcnow())
            )
        self.invalidate()
        return result.rowcount > 0

    def all(self) -> list[db.CuratedAnswerRow]:
        """Every answer, published or retired, newest first (the dashboard's list)."""
        return list(reversed(self._select(active_only=False)))

    def get(self, answer_id: int) -> db.CuratedAnswerRow | None:
        db.ensure_schema(self.engine)
        with Session(self.engine, expire_on_commit=False) as session:
            return session.get(db.CuratedAnswerRow, int(answer_id))

    def invalidate(self) -> None:
        """Forget the cached version so the next `version()` asks the database."""
        with self._lock:
            self._version_at = float("-inf")

    def _select(self, *, active_only: bool) -> list[db.CuratedAnswerRow]:
        db.ensure_schema(self.engine)
        statement = select(db.CuratedAnswerRow).order_by(db.CuratedAnswerRow.id)
        if active_only:
            statement = statement.where(db.CuratedAnswerRow.active.is_(True))
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(statement))


def _clean(question, answer, document, article, team, expires_on) -> dict:
    """The validated, stripped fields of an answer staff save.

    :raises CuratedAnswerError: with a Chinese message for the form.
    """
    question, answer = (question or "").strip(), (answer or "").strip()
    document, team = (document or "").strip(), (team or "").strip()
    if not question:
        raise CuratedAnswerError("请填写问题。")
    if not answer:
        raise CuratedAnswerError("请填写答案。")
    if len(question) > QUESTION_MAX:
        raise CuratedAnswerError(f"问题不能超过 {QUESTION_MAX} 个字。")
    if len(answer) > ANSWER_MAX:
        raise CuratedAnswerError(f"答案不能超过 {ANSWER_MAX} 个字。")
    if not team:
        raise CuratedAnswerError("请填写答复部门（署名）。")
    if len(team) > TEAM_MAX:
        raise CuratedAnswerError(f"答复部门不能超过 {TEAM_MAX} 个字。")
    if expires_on is not None and expires_on < db.local_day(db.utcnow()):
        raise CuratedAnswerError("有效期不能早于今天。")
    no_article = article is None or (isinstance(article, str) and not article.strip())
    if not document and no_article:  # a staff reply that cites nothing from the notice
        document, article = None, None
    elif not document or len(document) > 64:
        raise CuratedAnswerError("请选择答案依据的文件。")
    else:
        try:
            article = int(article)
        except (TypeError, ValueError):
            raise CuratedAnswerError("请选择答案依据的条款。") from None
        if not 1 <= article <= 999:
            raise CuratedAnswerError("条款编号不正确。")
    return {"question": question, "answer": answer, "document": document, "article": article, "team": team,
            "expires_on": expires_on}
