"""`hotline ask "问题" [--json] [--as-of 2021-09-01]`: one question, answered from the notice.

Prints the cited article with its relevant clauses and validity, or an honest "本通知未涉及…"
with suggestions. `--json` prints exactly the chat-API body (`Reply.to_api()`).
Uses `Settings.from_env()`: HOTLINE_ENCODER, HOTLINE_AS_OF and HOTLINE_VAR_DIR (index location).
"""
from __future__ import annotations

import datetime as dt
import json

import click


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"日期格式应为 2021-09-01，收到 {value!r}") from None


def render_text(reply) -> str:
    """The human-readable form of a reply for the terminal."""
    lines = [reply.reply]
    if reply.suggestions:
        lines += ["", "您可能还想问：" + " / ".join(reply.suggestions)]
    lines.append(f"（置信度 {reply.confidence:.2f}{'' if reply.answered else '，未作答'}）")
    return "\n".join(lines)


NO_QUESTION = '请在命令后写上要问的问题，例如：hotline ask "失业保险金标准提高了吗"'


@click.command("ask")
@click.argument("question", required=False, default="")
@click.option("--json", "as_json", is_flag=True, help="Print the chat-API JSON body.")
@click.option("--as-of", "as_of", callback=_parse_date, default=None, metavar="YYYY-MM-DD",
              help="Judge validity against this date (default: HOTLINE_AS_OF or today).")
@click.pass_context
def ask(ctx: click.Context, question: str, as_json: bool, as_of: dt.date | None) -> None:
    """向政策知识库提问，例如：hotline ask "失业保险金标准提高了吗"。"""
    if not question.strip():  # no question is a usage mistake, not a chat turn
        click.echo(ctx.get_help(), err=True)
        click.echo(f"\n错误：{NO_QUESTION}", err=True)
        ctx.exit(2)
    from bot.config import ConfigError, Settings
    from knowledge_base.answers import policy_reply
    from knowledge_base.encoders import EncoderUnavailable
    from knowledge_base.retrieval import PolicyRetriever
    from knowledge_base.store import load_knowledge_base

    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(f"配置错误：{exc}") from None
    try:
        retriever = PolicyRetriever(
            load_knowledge_base(), encoder=settings.encoder, index_dir=settings.var_dir / "index"
        )
        retriever.warm_up()
    except EncoderUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    reply = policy_reply(retriever.run(question), as_of or settings.today, settings.epidemic_end)
    if as_json:
        click.echo(json.dumps(reply.to_api(), ensure_ascii=False, indent=1))
    else:
        click.echo(render_text(reply))
