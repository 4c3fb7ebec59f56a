"""`hotline staff`: staff accounts of the dashboard from the command line.

    hotline staff create-admin                     # the first administrator (prompts for the password)
    hotline staff create-user NAME --role editor
    hotline staff list
"""
from __future__ import annotations

import click

from bot.config import Settings
from bot.dashboard import auth
from bot.hotspots import db


def _engine():
    return db.get_engine(Settings.from_env().database_url)


def _password_option():
    return click.option(
        "--password", prompt="密码", hide_input=True, confirmation_prompt="再次输入密码",
        help=f"至少 {auth.PASSWORD_MIN} 个字符（省略时提示输入，不回显）。",
    )


@click.group()
def staff() -> None:
    """管理后台的账号：创建管理员、创建账号、列出账号。"""


@staff.command("create-admin")
@click.option("--username", prompt="管理员用户名", default="admin", show_default=True)
@_password_option()
def create_admin(username: str, password: str) -> None:
    """创建管理员账号（首次部署时执行）。"""
    _create(username, password, "admin")


@staff.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(auth.ROLES), default="viewer", show_default=True, help="角色。")
@_password_option()
def create_user(username: str, role: str, password: str) -> None:
    """创建查看员、编辑或管理员账号。"""
    _create(username, password, role)


@staff.command("list")
def list_users() -> None:
    """列出全部账号。"""
    rows = auth.list_users(_engine())
    if not rows:
        click.echo("还没有账号。请先执行 hotline staff create-admin。")
    for user in rows:
        state = "启用" if user.active else "停用"
        click.echo(f"{user.username}\t{auth.ROLE_LABELS[user.role]}\t{state}")


def _create(username: str, password: str, role: str) -> None:
    engine = _engine()
    try:
        user = auth.create_user(engine, username, password, role)
    except auth.StaffError as error:
        raise click.ClickException(str(error)) from None
    auth.audit(engine, "cli", "create_user", user.username, user.role)
    click.echo(f"已创建{auth.ROLE_LABELS[role]}账号“{user.username}”。请访问 /staff/login 登录。")
