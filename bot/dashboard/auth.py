"""Staff accounts, roles, login sessions, CSRF and the audit log of the dashboard.

Roles are ordered: a `viewer` reads every page and export, an `agent` also answers citizens in the
agent console, sees callers' full numbers and closes callbacks, an `editor` also adds curated
answers, an `admin` also manages accounts and reads the audit log. Passwords are
stored as werkzeug hashes (scrypt); sessions are Flask's signed cookies (HttpOnly, SameSite=Lax,
Secure when HOTLINE_PUBLIC_URL is https) and expire after `SESSION_HOURS`, the cookie with them.
Each session carries the account's session generation; logging out bumps it, so the server refuses
every earlier copy of the cookie (a changed password or a deactivated account ends sessions too).
"""
from __future__ import annotations

import datetime as dt
import functools
import time

from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from bot.hotspots import db

ROLES = ("viewer", "agent", "editor", "admin")
ROLE_LABELS = {"viewer": "查看员", "agent": "人工客服", "editor": "编辑", "admin": "管理员"}
PASSWORD_MIN = 10
USERNAME_MAX = 64
SESSION_HOURS = 8
LOGIN_FAILURES_MAX = 5
LOGIN_LOCK_SECONDS = 300
SESSION_KEY = "staff_user"


class StaffError(ValueError):
    """An account operation was refused; the message is Chinese, for the form or the terminal."""


def role_at_least(role: str, needed: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def check_password_strength(password: str) -> None:
    """:raises StaffError: the password is too short or too simple."""
    if len(password or "") < PASSWORD_MIN:
        raise StaffError(f"密码至少需要 {PASSWORD_MIN} 个字符。")
    if password.isdigit() or password.isalpha() or len(set(password)) < 4:
        raise StaffError("密码过于简单，请混合使用字母、数字或符号。")


def create_user(engine: Engine, username: str, password: str, role: str) -> db.StaffUser:
    """Create a staff account.

    :raises StaffError: bad username, weak password, unknown role, or the name is taken.
    """
    username = (username or "").strip()
    if not username or len(username) > USERNAME_MAX or any(ch.isspace() for ch in username):
        raise StaffError(f"用户名须为 1 至 {USERNAME_MAX} 个字符，且不含空格。")
    if role not in ROLES:
        raise StaffError(f"角色须为 {'、'.join(ROLES)} 之一，收到“{role}”。")
    check_password_strength(password)
    db.ensure_schema(engine)
    with Session(engine, expire_on_commit=False) as s:
        if s.scalar(select(db.StaffUser).where(func.lower(db.StaffUser.username) == username.lower())):
            raise StaffError(f"用户名“{username}”已存在。")
        user = db.StaffUser(username=username, password_hash=generate_password_hash(password), role=role, active=True,
                            created_at=db.utcnow())
        s.add(user)
        s.commit()
        return user


def authenticate(engine: Engine, username: str, password: str) -> db.StaffUser | None:
    """The active account with this name and password, or None (same time cost either way)."""
    db.ensure_schema(engine)
    with Session(engine, expire_on_commit=False) as s:
        user = s.scalar(select(db.StaffUser).where(db.StaffUser.username == (username or "").strip()))
        if user is None:
            check_password_hash(_DUMMY_HASH, password or "")  # no timing hint that the name is unknown
            return None
        if not check_password_hash(user.password_hash, password or "") or not user.active:
            return None
        user.last_login_at = db.utcnow()
        s.commit()
        return user


_DUMMY_HASH = generate_password_hash("not-a-real-password-0")


def update_user(engine: Engine, user_id: int, *, role: str | None = None, active: bool | None = None,
                password: str | None = None) -> db.StaffUser:
    """Change an account's role, active flag or password.

    :raises StaffError: unknown account, unknown role, weak password, or the change would leave no admin.
    """
    with Session(engine, expire_on_commit=False) as s:
        user = s.get(db.StaffUser, int(user_id))
        if user is None:
            raise StaffError("账号不存在。")
        if role is not None:
            if role not in ROLES:
                raise StaffError(f"角色须为 {'、'.join(ROLES)} 之一。")
            user.role = role
        if active is not None:
            user.active = bool(active)
        if password is not None:
            check_password_strength(password)
            user.password_hash = generate_password_hash(password)
        s.flush()
        admins = s.scalar(select(func.count()).select_from(db.StaffUser).where(
            db.StaffUser.role == "admin", db.StaffUser.active.is_(True)))
        if not admins:
            s.rollback()
            raise StaffError("至少需要保留一个可用的管理员账号。")
        s.commit()
        return user


def list_users(engine: Engine) -> list[db.StaffUser]:
    db.ensure_schema(engine)
    with Session(engine, expire_on_commit=False) as s:
        return list(s.scalars(select(db.StaffUser).order_by(db.StaffUser.username)))


def audit(engine: Engine, username: str, action: str, target: str = "", detail: str = "", ip: str = "") -> None:
    """Append one entry to the audit log (who did what when)."""
    db.ensure_schema(engine)
    with engine.begin() as conn:
        conn.execute(db.AuditEntry.__table__.insert().values(
            created_at=db.utcnow(), username=username[:64], action=action[:32], target=str(target)[:255],
            detail=str(detail)[:2000], ip=(ip or "")[:64],
        ))


# --- request side ------------------------------------------------------------------------


def staff_engine() -> Engine:
    return db.get_engine(current_app.extensions["hotline"].settings.database_url)


def current_user() -> db.StaffUser | None:
    """The logged-in, still active account of this request (None when anonymous or expired)."""
    if "staff_user_obj" in g:
        return g.staff_user_obj
    user = None
    data = session.get(SESSION_KEY)
    if isinstance(data, dict) and time.time() - float(data.get("at", 0)) < SESSION_HOURS * 3600:
        with Session(staff_engine(), expire_on_commit=False) as s:
            candidate = s.get(db.StaffUser, int(data.get("id", 0)))
        # A changed password, a deactivated account or a logout ends existing sessions.
        if (candidate and candidate.active and candidate.password_hash[-16:] == data.get("pw")
                and candidate.session_generation == data.get("gen")):
            user = candidate
    if user is None and SESSION_KEY in session:
        session.pop(SESSION_KEY, None)
    g.staff_user_obj = user
    return user


def log_in(user: db.StaffUser) -> None:
    session.clear()  # a fresh session (and CSRF token) on login: no fixation
    session.permanent = True
    session[SESSION_KEY] = {"id": user.id, "at": time.time(), "pw": user.password_hash[-16:],
                            "gen": user.session_generation}
    g.staff_user_obj = user


def log_out() -> None:
    """End the session here and, by bumping the account's session generation, every copy of it."""
    user = current_user()
    if user is not None:
        table = db.StaffUser.__table__
        with staff_engine().begin() as conn:
            conn.execute(table.update().where(table.c.id == user.id)
                         .values(session_generation=table.c.session_generation + 1))
    session.clear()
    g.staff_user_obj = None


def record(action: str, target: str = "", detail: str = "") -> None:
    """Audit an action of the current user."""
    user = current_user()
    audit(staff_engine(), user.username if user else "-", action, target, detail, client_ip())


def client_ip() -> str:
    """The client's address, taken the trusted way the rate limiter takes it (a local proxy's
    X-Forwarded-For, never a remote client's): for the lockout key and the audit log."""
    from bot.channels.base import client_address

    return client_address()


def login_required(role: str = "viewer"):
    """Decorator: anonymous visitors are sent to the login page, a too-low role gets 403.

    :param role: the lowest role allowed: viewer, agent, editor or admin.
    :raises ValueError: an unknown role (at import time).
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                target = request.full_path if request.method == "GET" else url_for("staff.overview")
                return redirect(url_for("staff.login", next=target.rstrip("?")))
            if not role_at_least(user.role, role):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role
        return wrapped

    return decorator


def safe_next(target: str | None) -> str:
    """Only local /staff paths after login: no open redirect, and no control characters (a CR/LF
    would split the Location header)."""
    if (target and target.startswith("/staff") and not target.startswith("//") and "\\" not in target
            and target.isprintable()):
        return target
    return url_for("staff.overview")


def login_throttled(key: str) -> bool:
    store = current_app.extensions["hotline"].state
    return int(store.get(f"staff-login:{key}") or 0) >= LOGIN_FAILURES_MAX


def note_login_failure(key: str) -> None:
    current_app.extensions["hotline"].state.incr(f"staff-login:{key}", LOGIN_LOCK_SECONDS)


def clear_login_failures(key: str) -> None:
    current_app.extensions["hotline"].state.delete(f"staff-login:{key}")


def utc_to_local(moment: dt.datetime | None) -> str:
    return "" if moment is None else f"{moment.replace(tzinfo=dt.timezone.utc).astimezone(db.LOCAL_TZ):%Y-%m-%d %H:%M}"
