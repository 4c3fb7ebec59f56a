"""`hotline doctor`: checks an installation for what a security and fault probe found.

- data files and folders (under `HOTLINE_VAR_DIR`, and a SQLite database elsewhere) must not be
  readable or writable by other users (FAIL; `--fix` removes those permissions);
- the secret key must not be a placeholder or a short, guessable value (FAIL);
- no secret (secret key, the Rasa API token, WeChat and Twilio tokens) may be visible in the
  process list, `ps` / `/proc/*/cmdline` (FAIL);
- the turn log must be able to keep records on disk (`var/turnlog/`) while the database is
  unavailable (WARN: turns then wait in memory only).

Exit status: 1 when a check failed (or, with `--strict`, when one warned), else 0.

    hotline doctor            # report
    hotline doctor --fix      # also remove other users' access to the data files
"""
from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

import click

from bot.config import REPO_ROOT, Settings, development_token
from bot.runtime.procgroup import program_name
from bot.rasa_client import api_token

# Values no deployment may run with: the placeholder of deploy/scaleout.env and common stand-ins.
PLACEHOLDER_FILE = REPO_ROOT / "deploy" / "scaleout.env"
WEAK_SECRETS = {"", "dev", "development", "secret", "changeme", "change-me", "test", "testing", "hotline",
                "hotline12333", "12333", "password", "default"}
SECRET_MIN_LENGTH = 32
SECRET_SHOWN_MIN_LENGTH = 8  # shorter values are too likely to match by chance in a command line
OTHERS = stat.S_IRWXO  # read, write and search by other users


@dataclass
class Finding:
    level: str  # "ok", "warn" or "fail"
    check: str
    message: str
    advice: str = ""


def placeholder_secrets() -> set[str]:
    """The example values of deploy/scaleout.env (e.g. HOTLINE_SECRET_KEY=change-me-…)."""
    values = set()
    try:
        for line in PLACEHOLDER_FILE.read_text(encoding="utf-8").splitlines():
            name, _, value = line.partition("=")
            if name.strip().endswith(("SECRET_KEY", "TOKEN", "SECRET")) and value.strip():
                values.add(value.strip())
    except OSError:
        pass
    return values


def check_secret_key(settings: Settings) -> Finding:
    key = settings.secret_key or ""
    if key.lower() in WEAK_SECRETS or key in placeholder_secrets() or "change-me" in key.lower():
        return Finding("fail", "secret key", "HOTLINE_SECRET_KEY is a placeholder or development value",
                       "generate one: openssl rand -hex 32; set it in the environment of every node")
    if len(key) < SECRET_MIN_LENGTH or len(set(key)) < 8:
        return Finding("fail", "secret key", f"HOTLINE_SECRET_KEY is short or repetitive ({len(key)} characters)",
                       "generate one: openssl rand -hex 32")
    return Finding("ok", "secret key", "HOTLINE_SECRET_KEY is set to a strong value")


def _data_paths(settings: Settings) -> list[Path]:
    paths = [Path(settings.var_dir)]
    url = settings.database_url
    if url.startswith("sqlite:///"):
        database = Path(url[len("sqlite:///"):])
        if not database.resolve().is_relative_to(Path(settings.var_dir).resolve()):
            paths.append(database)
    return paths


def open_to_others(settings: Settings) -> list[Path]:
    """Data files and folders that other users may read, write or search (symlinks not followed)."""
    found = []
    for root in _data_paths(settings):
        if not root.exists():
            continue
        candidates = [root] if root.is_file() else [root, *sorted(root.rglob("*"))]
        for path in candidates:
            try:
                mode = path.lstat().st_mode
            except OSError:
                continue
            if mode & OTHERS and not stat.S_ISLNK(mode):
                found.append(path)
    return found


def check_permissions(settings: Settings, fix: bool) -> Finding:
    exposed = open_to_others(settings)
    if not exposed:
        return Finding("ok", "permissions", f"no data under {settings.var_dir} is open to other users")
    if fix:
        for path in exposed:
            try:
                path.chmod(stat.S_IMODE(path.lstat().st_mode) & ~OTHERS)
            except OSError:
                pass
        still = open_to_others(settings)
        if not still:
            return Finding("ok", "permissions", f"removed other users' access from {len(exposed)} data paths")
        exposed = still
    shown = ", ".join(f"{p} ({stat.filemode(p.lstat().st_mode)})" for p in exposed[:5])
    more = f" and {len(exposed) - 5} more" if len(exposed) > 5 else ""
    return Finding("fail", "permissions", f"{len(exposed)} data paths are open to other users: {shown}{more}",
                   f"run `hotline doctor --fix` (or chmod -R o-rwx {settings.var_dir}); the app creates "
                   "new files with umask 077")


def known_secrets(settings: Settings) -> dict[str, str]:
    """Each secret of this installation by name (only those long enough to be recognised)."""
    secrets = {
        "HOTLINE_SECRET_KEY": settings.secret_key,
        "WECHAT_TOKEN": settings.wechat_token or development_token(settings.var_dir, "WECHAT_TOKEN", create=False),
        "WECHAT_ENCODING_AES_KEY": settings.wechat_encoding_aes_key,
        "WECHAT_APP_SECRET": settings.wechat_app_secret,
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token
        or development_token(settings.var_dir, "TWILIO_AUTH_TOKEN", create=False),
        "Rasa API token": api_token(settings.secret_key),
    }
    return {name: value for name, value in secrets.items() if value and len(value) >= SECRET_SHOWN_MIN_LENGTH}


def processes_showing(secrets: dict[str, str], proc: Path = Path("/proc")) -> list[tuple[int, str, str]]:
    """(pid, program, secret name) for each process whose command line holds a secret."""
    found = []
    for entry in proc.glob("[0-9]*"):
        try:
            argv = (entry / "cmdline").read_bytes().decode("utf-8", errors="replace").split("\0")
        except OSError:
            continue
        line = " ".join(argv)
        for name, value in secrets.items():
            if value in line:
                found.append((int(entry.name), program_name(argv), name))
    return sorted(found)


def check_process_list(settings: Settings) -> Finding:
    shown = processes_showing(known_secrets(settings))
    if not shown:
        return Finding("ok", "process list", "no secret appears in any process's command line")
    lines = "; ".join(f"pid {pid} ({program}) shows {name}" for pid, program, name in shown[:5])
    return Finding("fail", "process list", f"secrets visible to every user in `ps`: {lines}",
                   "pass secrets through the environment or a file readable only by the service user, "
                   "never as command-line arguments")


def check_turn_log(settings: Settings) -> Finding:
    from bot.hotspots.log import spill_dir_problem

    spill_dir = Path(settings.var_dir) / "turnlog"
    problem = spill_dir_problem(spill_dir)
    if problem is None:
        return Finding("ok", "turn log", f"records can wait on disk in {spill_dir} while the database is down")
    return Finding("warn", "turn log", f"the turn log cannot persist records in {spill_dir}: {problem}; while the "
                   "database is unavailable, turns wait in memory only and a crash loses them",
                   "free disk space, or make the folder writable by the service user (chattr -i, chown)")


def run_checks(settings: Settings, fix: bool = False) -> list[Finding]:
    """Every check, in a fixed order."""
    return [
        check_permissions(settings, fix),
        check_secret_key(settings),
        check_process_list(settings),
        check_turn_log(settings),
    ]


LABELS = {"ok": "OK  ", "warn": "WARN", "fail": "FAIL"}


@click.command("doctor")
@click.option("--fix", is_flag=True, help="Remove other users' access to data files and folders.")
@click.option("--strict", is_flag=True, help="Exit non-zero on warnings too.")
def doctor(fix: bool, strict: bool) -> None:
    """检查安装：数据文件权限、密钥、进程列表中的密钥、日志能否落盘。Check this installation."""
    findings = run_checks(Settings.from_env(), fix=fix)
    for finding in findings:
        click.echo(f"{LABELS[finding.level]}  {finding.check}: {finding.message}")
        if finding.advice and finding.level != "ok":
            click.echo(f"      fix: {finding.advice}")
    failed = [f for f in findings if f.level == "fail" or (strict and f.level == "warn")]
    if failed:
        click.echo(f"{len(failed)} check(s) failed.")
        raise SystemExit(1)
    click.echo("All checks passed." if all(f.level == "ok" for f in findings) else "Passed, with warnings.")
