"""The staff dashboard at /staff: one blueprint, every URL listed in `ROUTES`-style order below.

    /staff/login, /staff/logout                 sign in and out
    /staff/                                     overview: charts, totals, top hotspots
    /staff/hotspots, /staff/hotspots/<key>      hotspot list, drill-down to example questions
    /staff/unanswered                           the queue, with "add answer"
    /staff/answers, /staff/answers/new          curated answers (served ahead of retrieval);
    /staff/answers/<id>/edit, …/review, …/active  edit, review, retire or publish again
    /staff/articles                             per-article heat and uncovered articles
    /staff/export.csv, /staff/export.xlsx       exports; /staff/report.json the CLI's figures
    /staff/report/weekly                        printable weekly report
    /staff/calls                                callback desk: one row per call
    /staff/agent…                               agent console (bot/dashboard/console.py)
    /staff/audit, /staff/users                  audit log and accounts (admin)
"""
from __future__ import annotations

import datetime as dt
import logging
import time

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from wtforms.validators import ValidationError

from bot.core.messages import say
from bot.dashboard import auth, charts, exports
from bot.dashboard.auth import login_required
from bot.errors import HTTP_CODES
from bot.handoff import CALLBACK_ROLE
from bot.hotspots import db
from bot.hotspots.analysis import (
    CHANNEL_LABELS,
    SPIKE_BASELINE_DAYS,
    SPIKE_MIN_COUNT,
    SPIKE_RATIO,
    HotspotAnalysis,
    Period,
    build_report,
    channel_label,
    growth,
    growth_text,
    parse_since,
    reason_label,
    today,
)
from bot.hotspots.curated import DEFAULT_TEAM, CuratedAnswerError
from bot.hotspots.reasons import REASON_LABELS

logger = logging.getLogger(__name__)

bp = Blueprint(
    "staff", __name__, url_prefix="/staff", template_folder="templates", static_folder="static",
    static_url_path="/static",
)

CLUSTER_INTERVAL_DEFAULT_S = 600
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
ERROR_MESSAGES = {
    400: "请求无效，请返回上一页重试。",
    403: "您的账号没有执行此操作的权限。",
    404: "页面不存在，或所查的内容已没有数据。",
}


# The weeks a weekly report can be asked for (the log holds nothing earlier; dates outside overflow).
REPORT_WEEKS = (dt.date(2000, 1, 1), dt.date(2099, 12, 31))


@bp.record_once
def _configure(state) -> None:
    """Session-cookie hardening for the whole app (the dashboard is the only cookie user)."""
    app = state.app
    settings = app.extensions["hotline"].settings
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    if settings.public_url.lower().startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    # Set, not setdefault: Flask's own default (31 days) would always win and outlive the session.
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=auth.SESSION_HOURS)
    app.config.setdefault("HOTSPOT_CLUSTER_INTERVAL", CLUSTER_INTERVAL_DEFAULT_S)


# --- per-request plumbing ------------------------------------------------------------------


def analysis() -> HotspotAnalysis:
    return current_app.extensions["hotline"].hotspot_analysis


@bp.before_request
def _before() -> None:
    g.request_started = time.perf_counter()
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token"))
        except (ValidationError, CSRFError):
            abort(400, "页面已过期或来源不明（CSRF 校验失败），请刷新页面后重试。")
    if auth.current_user() is not None:
        interval = float(current_app.config.get("HOTSPOT_CLUSTER_INTERVAL") or 0)
        current_app.extensions["hotline"].hotspot_refresher.start(interval)


@bp.after_request
def _headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@bp.context_processor
def _template_globals() -> dict:
    return {
        "csrf_token": generate_csrf,
        "user": auth.current_user(),
        "role_at_least": auth.role_at_least,
        "role_labels": auth.ROLE_LABELS,
        "channel_label": channel_label,
        "reason_label": reason_label,
        "growth_text": growth_text,
        "local_time": auth.utc_to_local,
        "sparkline": charts.sparkline,
        "hbar": charts.hbar,
    }


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    status = error.code or 500
    custom = error.description and error.description != type(error).description  # our own Chinese text
    message = error.description if custom else (
        ERROR_MESSAGES.get(status) or say(f"error_{HTTP_CODES.get(status, HTTP_CODES[500])}")
    )
    return render_template("staff/error.html", status=status, message=message), status


@bp.errorhandler(Exception)
def _unexpected(error: Exception):
    # A bug or an unreachable database: keep the traceback in the log, show staff a page.
    logger.exception("dashboard: unhandled error on %s", request.path)
    return render_template("staff/error.html", status=500,
                           message="系统繁忙或数据库暂时不可用，请稍后刷新重试。"), 500


def _period(default: str) -> tuple[Period, str]:
    """The `since` query parameter as a period ending today; a bad value falls back with a notice."""
    raw = request.args.get("since", default)
    try:
        days = parse_since(raw)
    except ValueError as error:
        flash(str(error), "error")
        raw, days = default, parse_since(default)
    return Period.last(days, today()), raw


# --- sign in and out -----------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in. Five failures for one name from one address lock it for five minutes."""
    if request.method == "GET":
        if auth.current_user() is not None:
            return redirect(auth.safe_next(request.args.get("next")))
        return render_template("staff/login.html", next=request.args.get("next", ""))
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    key = f"{username.lower()}|{auth.client_ip()}"
    error = None
    if auth.login_throttled(key):
        error = "登录失败次数过多，请 5 分钟后再试。"
    else:
        user = auth.authenticate(auth.staff_engine(), username, password)
        if user is None:
            auth.note_login_failure(key)
            auth.audit(auth.staff_engine(), username[:64] or "-", "login_failed", ip=auth.client_ip())
            error = "用户名或密码不正确。"
        else:
            auth.clear_login_failures(key)
            auth.log_in(user)
            auth.record("login")
            return redirect(auth.safe_next(request.form.get("next")))
    return render_template("staff/login.html", error=error, username=username,
                           next=request.form.get("next", "")), 401


@bp.post("/logout")
def logout():
    if auth.current_user() is not None:
        auth.record("logout")
    auth.log_out()
    flash("已退出登录。", "info")
    return redirect(url_for("staff.login"))


# --- pages ---------------------------------------------------------------------------------


@bp.get("/")
@login_required()
def overview():
    period, since = _period("30d")
    data = analysis().overview(period, top=10)
    open_calls = len(analysis().call_queue(limit=200))
    unanswered = analysis().unanswered(Period.last(7, today()), limit=5)
    human = current_app.extensions["hotline"].handoff.metrics(period.start, period.end)
    per_day = dict(human["per_day"])
    human["daily"] = [per_day.get(day, 0) for day in period.dates()]
    return render_template(
        "staff/overview.html", o=data, since=since, human=human,
        bars=charts.stacked_bars(data.per_day, data.channels, channel_label),
        line=charts.rate_line(data.answered_per_day),
        growth=growth_text(growth(data.total, data.previous_total)),
        spikes=[h for h in data.top_hotspots if h.spike], open_calls=open_calls, unanswered=unanswered,
    )


@bp.get("/hotspots")
@login_required()
def hotspots():
    period, since = _period("7d")
    channel = request.args.get("channel")
    channel = channel if channel in CHANNEL_LABELS else None
    items = analysis().hotspots(period, limit=100, channel=channel)
    grouping = analysis().grouping(period)
    regrouping = bool(grouping.pending) and current_app.extensions["hotline"].hotspot_refresher.wake()
    return render_template("staff/hotspots.html", items=items, period=period, since=since, channel=channel,
                           channels=CHANNEL_LABELS, spike_rule=_spike_rule(), grouping=grouping,
                           regrouping=regrouping)


@bp.get("/hotspots/<key>")
@login_required()
def hotspot(key: str):
    """:raise 404: no question of this hotspot in the period."""
    period, since = _period("30d")
    if len(key) > 64:
        abort(404)
    detail = analysis().hotspot_detail(key, period)
    if detail is None:
        abort(404)
    peak = max((n for _, n in detail.weekly), default=0)
    return render_template("staff/hotspot.html", d=detail, h=detail.hotspot, since=since, peak=peak,
                           spike_rule=_spike_rule())


@bp.get("/unanswered")
@login_required()
def unanswered():
    period, since = _period("30d")
    reason = request.args.get("reason")
    reason = reason if reason in {r.value for r in REASON_LABELS} else None
    resolved = request.args.get("resolved") == "1"
    entries = analysis().unanswered(period, reason=reason, include_resolved=resolved, limit=200)
    return render_template("staff/unanswered.html", entries=entries, since=since, reason=reason,
                           resolved=resolved, reasons=[(r.value, label) for r, label in REASON_LABELS.items()])


def _answer_form(row=None) -> dict:
    """The answer form's fields: from a stored answer, or empty for a new one."""
    if row is None:
        return {"question": "", "answer": "", "article": "", "team": DEFAULT_TEAM, "expires_on": "", "key": ""}
    return {
        "question": row.question, "answer": row.answer,
        "article": f"{row.document}#{row.article}" if row.document else "",
        "team": row.team, "expires_on": row.expires_on.isoformat() if row.expires_on else "", "key": "",
    }


def _read_answer_form(form: dict) -> dict:
    """The posted form as `CuratedAnswerStore.add`/`update` arguments.

    :raises CuratedAnswerError: a date that cannot be read.
    """
    for name in ("question", "answer", "article", "team", "expires_on"):
        form[name] = request.form.get(name, "")
    document, _, number = form["article"].partition("#")
    raw = form["expires_on"].strip()
    try:
        expires_on = dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        raise CuratedAnswerError(f"有效期“{raw}”无法识别，请写成 2026-12-31 的形式。") from None
    return {"question": form["question"], "answer": form["answer"], "document": document or None,
            "article": number or None, "team": form["team"].strip() or DEFAULT_TEAM, "expires_on": expires_on}


def _source_text(row) -> str:
    return f"{row.document}第{row.article}条" if row.document else "工作人员答复（不引用条款）"


@bp.route("/answers/new", methods=["GET", "POST"])
@login_required("editor")
def new_answer():
    """Add a curated answer, usually from an unanswered question (`?key=` its hotspot key)."""
    key = (request.values.get("key") or "").strip()[:64] or None
    articles = analysis().all_articles()
    form = {**_answer_form(), "key": key or ""}
    if request.method == "GET":
        if key:
            form["question"] = analysis().label_of(key)
        return render_template("staff/answer_form.html", form=form, articles=articles)
    try:
        fields = _read_answer_form(form)
        row = current_app.extensions["hotline"].curated.add(
            **fields, created_by=auth.current_user().username, source_question_key=key,
        )
    except CuratedAnswerError as error:
        return render_template("staff/answer_form.html", form=form, articles=articles, error=str(error)), 400
    auth.record("add_answer", f"curated:{row.id}", f"{row.question} → {_source_text(row)}")
    flash(f"答案已发布：用户再问“{row.question}”及其同义问法时将直接收到此答案。", "info")
    return redirect(url_for("staff.answers"))


@bp.route("/answers/<int:answer_id>/edit", methods=["GET", "POST"])
@login_required("editor")
def edit_answer(answer_id: int):
    """Edit a curated answer; it is served as edited at once and is due for review again.

    :raise 404: no such answer.
    """
    store = current_app.extensions["hotline"].curated
    row = store.get(answer_id)
    if row is None:
        abort(404)
    articles = analysis().all_articles()
    form = _answer_form(row)
    if request.method == "GET":
        return render_template("staff/answer_form.html", form=form, articles=articles, row=row)
    try:
        row = store.update(answer_id, **_read_answer_form(form))
    except CuratedAnswerError as error:
        return render_template("staff/answer_form.html", form=form, articles=articles, row=row,
                               error=str(error)), 400
    if row is None:
        abort(404)
    auth.record("edit_answer", f"curated:{row.id}", f"{row.question} → {_source_text(row)}")
    flash("答案已修改并立即生效，请其他编辑重新审核。", "info")
    return redirect(url_for("staff.answers"))


@bp.post("/answers/<int:answer_id>/review")
@login_required("editor")
def review_answer(answer_id: int):
    """Mark an answer as checked by a second editor. :raise 404: no such answer."""
    try:
        row = current_app.extensions["hotline"].curated.review(answer_id, auth.current_user().username)
    except CuratedAnswerError as error:
        flash(str(error), "error")
        return redirect(url_for("staff.answers"))
    if row is None:
        abort(404)
    auth.record("review_answer", f"curated:{answer_id}")
    flash("已记录审核。", "info")
    return redirect(url_for("staff.answers"))


@bp.get("/answers")
@login_required()
def answers():
    rows = current_app.extensions["hotline"].curated.all()
    return render_template("staff/answers.html", rows=rows, today=today(), source_text=_source_text)


@bp.post("/answers/<int:answer_id>/active")
@login_required("editor")
def toggle_answer(answer_id: int):
    """Retire an answer or publish it again. :raise 404: no such answer."""
    active = request.form.get("active") == "1"
    if not current_app.extensions["hotline"].curated.set_active(answer_id, active):
        abort(404)
    auth.record("publish_answer" if active else "withdraw_answer", f"curated:{answer_id}")
    flash("答案已重新发布。" if active else "答案已停用，不再提供给用户。", "info")
    return redirect(url_for("staff.answers"))


@bp.get("/articles")
@login_required()
def articles():
    period, since = _period("30d")
    hot, uncovered = analysis().article_heat(period)
    peak = max((a.hits for a in hot), default=0)
    return render_template("staff/articles.html", hot=hot, uncovered=uncovered, since=since, peak=peak,
                           period=period)


@bp.get("/export.csv")
@login_required()
def export_csv():
    """:raise 400: unknown export type."""
    period, since = _period("30d")
    what = request.args.get("what", "hotspots")
    if what not in exports.EXPORTS:
        abort(400, f"不支持的导出类型“{what}”。")
    headers, rows = exports.table(analysis(), what, period)
    auth.record("export", f"csv:{what}", period.label())
    # text/csv: werkzeug adds "; charset=utf-8" to text types
    return _attachment(stream_with_context(exports.csv_stream(headers, rows)), "text/csv",
                       f"hotline-{what}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv")


@bp.get("/export.xlsx")
@login_required()
def export_xlsx():
    period, since = _period("30d")
    body = exports.xlsx_bytes(analysis(), period)
    auth.record("export", "xlsx", period.label())
    return _attachment(body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       f"hotline-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx")


def _attachment(body, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/report.json")
@login_required()
def report_json():
    """The figures of `hotline hotspots --format json`."""
    period, since = _period("7d")
    limit = min(max(request.args.get("limit", 20, type=int) or 20, 1), 200)
    return jsonify(build_report(analysis(), period, limit=limit))


@bp.get("/report/weekly")
@login_required()
def weekly_report():
    """The week (Monday to Sunday) containing `?week=YYYY-MM-DD`; default: this week, or the last
    week anything was asked in when this week has nothing yet."""
    raw = request.args.get("week")
    try:
        day = dt.date.fromisoformat(raw) if raw else _latest_week_day()
    except ValueError:
        flash(f"日期“{raw}”无法识别，请写成 2020-06-01 的形式。", "error")
        day = _latest_week_day()
    first, last = REPORT_WEEKS
    if not first <= day <= last:  # 0001-01-01 or 9999-12-31 would overflow the week arithmetic
        abort(400, f"周报日期须在 {first.isoformat()} 至 {last.isoformat()} 之间。")
    period = Period.week_of(day)
    data = analysis().overview(period, top=0)
    hot = analysis().hotspots(period, limit=50)
    report = build_report(analysis(), period, limit=10, overview=data, hotspots=hot)
    return render_template(
        "staff/report.html", r=report, period=period, o=data, spikes=[h for h in hot if h.spike],
        bars=charts.stacked_bars(data.per_day, data.channels, channel_label, width=640, height=180),
        previous_week=(period.start - dt.timedelta(days=7)).isoformat(),
        next_week=(period.start + dt.timedelta(days=7)).isoformat() if period.end < today() else None,
        generated=auth.utc_to_local(db.utcnow()), today=today(),
    )


def _latest_week_day() -> dt.date:
    """A day of the week the report opens on: today, or the last day with questions if this week has none."""
    now = today()
    latest = analysis().latest_day(until=now)
    return now if latest is None or latest >= Period.week_of(now).start else latest


@bp.get("/calls")
@login_required()
def calls():
    """The callback desk: one row per call; full numbers for roles allowed to call back."""
    include = request.args.get("all") == "1"
    rows = analysis().call_queue(include_handled=include)
    reveal = auth.role_at_least(auth.current_user().role, CALLBACK_ROLE)
    numbers = current_app.extensions["hotline"].turn_log.numbers
    for row in rows:
        row["number"] = numbers.decrypt(row.pop("caller_enc")) if reveal else ""
    return render_template("staff/calls.html", rows=rows, include=include, reveal=reveal)


@bp.post("/calls/<int:event_id>/handled")
@login_required(CALLBACK_ROLE)
def call_handled(event_id: int):
    """Mark a call (every event of it) as called back. :raise 404: no such open call."""
    table = db.CallEvent.__table__
    with auth.staff_engine().begin() as conn:
        call_hash = conn.execute(select(table.c.call_hash).where(table.c.id == event_id)).scalar()
        result = conn.execute(
            table.update().where(table.c.call_hash == call_hash, table.c.handled_at.is_(None))
            .values(handled_at=db.utcnow(), handled_by=auth.current_user().username)
        ) if call_hash else None
    if result is None or not result.rowcount:
        abort(404)
    auth.record("handle_call", f"call_event:{event_id}")
    flash("已标记为已回电。", "info")
    return redirect(url_for("staff.calls"))


@bp.post("/cluster")
@login_required("editor")
def cluster_now():
    full = request.form.get("full") == "1"
    current_app.extensions["hotline"].hotspot_refresher.run_now(full)
    auth.record("recluster", "full" if full else "incremental")
    flash("已开始归类新问法，稍后刷新页面即可看到结果。", "info")
    return redirect(url_for("staff.hotspots"))


@bp.get("/audit")
@login_required("admin")
def audit_log():
    table = db.AuditEntry.__table__
    who = (request.args.get("user") or "").strip()[:64]
    statement = select(table).order_by(table.c.id.desc()).limit(500)
    if who:
        statement = statement.where(table.c.username == who)
    with auth.staff_engine().connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(statement)]
    return render_template("staff/audit.html", rows=rows, who=who)


@bp.route("/users", methods=["GET", "POST"])
@login_required("admin")
def users():
    error = None
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "create":
                created = auth.create_user(auth.staff_engine(), request.form.get("username", ""),
                                           request.form.get("password", ""), request.form.get("role", ""))
                auth.record("create_user", created.username, created.role)
                flash(f"已创建账号“{created.username}”。", "info")
            elif action == "update":
                active = {"1": True, "0": False}.get(request.form.get("active", ""))
                updated = auth.update_user(auth.staff_engine(), request.form.get("id", type=int) or 0,
                                           role=request.form.get("role") or None, active=active)
                auth.record("update_user", updated.username, f"role={updated.role} active={updated.active}")
                flash(f"已更新账号“{updated.username}”。", "info")
            else:
                abort(400)
            return redirect(url_for("staff.users"))
        except auth.StaffError as exc:
            error = str(exc)
    return render_template("staff/users.html", rows=auth.list_users(auth.staff_engine()), roles=auth.ROLES,
                           error=error), (400 if error else 200)


def _spike_rule() -> str:
    return (f"突增：今天或昨天的提问次数不少于 {SPIKE_MIN_COUNT} 次，且达到此前 {SPIKE_BASELINE_DAYS} 天"
            f"日均次数的 {SPIKE_RATIO:g} 倍以上。")
