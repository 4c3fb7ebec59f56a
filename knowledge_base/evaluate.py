"""`hotline eval`: retrieval quality on a labelled question set, for BM25, the encoder and the fusion.

    hotline eval                       # dev set, table
    hotline eval --set heldout --json  # held-out set, JSON
    hotline eval --fit-calibration     # refit confidence + abstain threshold on dev (writes calibration.json)

Metrics: hit@1, hit@3 and MRR over in-scope questions (a hit on `article` or any of `also`
counts); on out-of-scope questions the abstention recall (share abstained) and precision
(share of all abstentions that were out of scope); the share of in-scope questions wrongly
abstained; per-query latency p50/p95 after warm-up; and the dense index build time.
"""
from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
import numpy as np
import yaml

from knowledge_base.calibration import fit_calibration, save_calibration

QUESTIONS_DIR = Path(__file__).resolve().parent / "questions"
QUESTION_SETS = ("dev", "heldout")
CONFIGS = {"bm25": ("bm25",), "dense": ("dense",), "fusion": ("bm25", "dense")}


@dataclass(frozen=True)
class LabelledQuestion:
    q: str
    article: int | None
    style: str = ""
    also: tuple[int, ...] = ()

    @property
    def in_scope(self) -> bool:
        return self.article is not None

    @property
    def answers(self) -> set[int]:
        return set() if self.article is None else {self.article, *self.also}


@dataclass
class QuestionSet:
    name: str
    questions: list[LabelledQuestion]
    fingerprint: str


def load_question_set(name: str, directory: Path = QUESTIONS_DIR) -> QuestionSet:
    """Read `questions/<name>.yaml`.

    :raises click.ClickException: unknown set or malformed file.
    """
    path = directory / f"{name}.yaml"
    if name not in QUESTION_SETS or not path.exists():
        raise click.ClickException(f"没有问题集 {name!r}（可选：{', '.join(QUESTION_SETS)}） / unknown question set")
    raw = path.read_bytes()
    items = yaml.safe_load(raw) or []
    if isinstance(items, dict):
        items = items.get("questions", [])
    questions = [
        LabelledQuestion(str(i["q"]), i.get("article"), str(i.get("style", "")), tuple(i.get("also") or ()))
        for i in items
    ]
    return QuestionSet(name, questions, hashlib.sha256(raw).hexdigest()[:16])


@dataclass
class Outcome:
    question: LabelledQuestion
    ranked: list[int]
    abstained: bool
    confidence: float
    features: dict[str, float] = field(default_factory=dict)
    reason: str | None = None

    @property
    def correct(self) -> bool:
        return bool(self.ranked) and self.ranked[0] in self.question.answers


def run_questions(retriever, questions: list[LabelledQuestion], top_k: int = 20) -> list[Outcome]:
    """Run every question through a warmed-up retriever."""
    outcomes = []
    for question in questions:
        r = retriever.run(question.q, top_k=top_k)
        outcomes.append(Outcome(question, [h.article for h in r.hits], r.abstained, r.confidence, r.features,
                                r.abstain_reason))
    return outcomes


def metrics(outcomes: list[Outcome]) -> dict[str, float]:
    """hit@1, hit@3, MRR, abstention precision/recall and the wrongly-abstained rate."""
    inside = [o for o in outcomes if o.question.in_scope]
    outside = [o for o in outcomes if not o.question.in_scope]

    def rank(o: Outcome) -> int | None:
        return next((i for i, a in enumerate(o.ranked, 1) if a in o.question.answers), None)

    ranks = [rank(o) for o in inside]
    abstained = [o for o in outcomes if o.abstained]
    n_in = max(len(inside), 1)
    return {
        "in_scope": len(inside),
        "out_of_scope": len(outside),
        "hit@1": sum(r == 1 for r in ranks) / n_in,
        "hit@3": sum(r is not None and r <= 3 for r in ranks) / n_in,
        "mrr": sum(1 / r for r in ranks if r) / n_in,
        "abstain_recall": sum(o.abstained for o in outside) / max(len(outside), 1),
        "abstain_precision": (sum(not o.question.in_scope for o in abstained) / len(abstained)) if abstained else 1.0,
        "in_scope_abstained": sum(o.abstained for o in inside) / n_in,
        "answered_correct": sum(o.correct and not o.abstained for o in inside) / n_in,
    }


def latency(retriever, questions: list[LabelledQuestion]) -> dict[str, float]:
    """Per-query wall time in milliseconds (default top_k), after one warm-up query."""
    retriever.run("稳岗返还")
    times = []
    for question in questions:
        started = time.perf_counter()
        retriever.run(question.q)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95))}


def index_build_seconds(kb, encoder) -> float:
    """Time a fresh dense-index build (embedding every passage) into a temporary directory."""
    from knowledge_base.dense import DenseRetriever
    from knowledge_base.lexicon import Lexicon
    from knowledge_base.passages import build_passages

    passages = build_passages(kb, Lexicon.load().article_questions)
    with tempfile.TemporaryDirectory() as tmp:
        dense = DenseRetriever(passages, encoder, Path(tmp), kb.fingerprint)
        started = time.perf_counter()
        dense.warm_up()
        return time.perf_counter() - started


def evaluate(kb, encoder: str, index_dir: Path, question_set: QuestionSet, fit: bool = False) -> dict:
    """Evaluate the three configurations; with `fit`, refit and save their calibrations first.

    :returns: `{"set", "questions", "fingerprint", "encoder", "configs": {name: metrics}, "index_build_s"}`.
    """
    from knowledge_base.encoders import make_encoder
    from knowledge_base.retrieval import PolicyRetriever

    shared_encoder = make_encoder(encoder)
    report: dict = {
        "set": question_set.name,
        "questions": len(question_set.questions),
        "fingerprint": question_set.fingerprint,
        "encoder": shared_encoder.name,
        "configs": {},
    }
    for name, retrievers in CONFIGS.items():
        # No query cache: the latency pass repeats the questions and must embed each one again.
        retriever = PolicyRetriever(
            kb, encoder=shared_encoder, index_dir=index_dir, retrievers=retrievers, query_cache_size=0
        )
        retriever.warm_up()
        outcomes = run_questions(retriever, question_set.questions)
        if fit:
            calibration = fit_calibration(
                [o.features for o in outcomes],
                [o.correct for o in outcomes],
                [o.question.in_scope for o in outcomes],
                encoder=retriever._calibration_key(),
                dev_fingerprint=question_set.fingerprint,
            )
            save_calibration(calibration)
            retriever.calibration = calibration
            outcomes = run_questions(retriever, question_set.questions)
        report["configs"][name] = {**metrics(outcomes), **latency(retriever, question_set.questions)}
        report["configs"][name]["threshold"] = retriever.abstain_threshold
    report["index_build_s"] = index_build_seconds(kb, shared_encoder)
    return report


def format_table(report: dict) -> str:
    """The report as a Markdown table (one row per configuration)."""
    head = "| retriever | hit@1 | hit@3 | MRR | OOS abstained (recall) | abstention precision | in-scope abstained | p50 ms | p95 ms |"
    lines = [
        f"{report['set']}: {report['questions']} questions "
        f"({next(iter(report['configs'].values()))['in_scope']} in scope), encoder {report['encoder']}, "
        f"index build {report['index_build_s']:.1f} s",
        "",
        head,
        "|---" * (head.count("|") - 1) + "|",
    ]
    for name, m in report["configs"].items():
        lines.append(
            f"| {name} | {m['hit@1']:.3f} | {m['hit@3']:.3f} | {m['mrr']:.3f} | {m['abstain_recall']:.3f} | "
            f"{m['abstain_precision']:.3f} | {m['in_scope_abstained']:.3f} | {m['p50_ms']:.1f} | {m['p95_ms']:.1f} |"
        )
    return "\n".join(lines)


@click.command("eval")
@click.option("--set", "set_name", type=click.Choice(sorted({*QUESTION_SETS, "dev2", "dev3", "dev4", "dev5", "dev6", "dev7", "dev8"})), default="dev", show_default=True,
              help="Question set under knowledge_base/questions/.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--fit-calibration", is_flag=True, help="Refit confidence and abstain threshold on dev (writes calibration.json).")
@click.option("--encoder", default=None, help="Encoder to evaluate (default: HOTLINE_ENCODER).")
@click.option("--e2e", is_flag=True, help="Evaluate what users get: the blind set through POST /api/chat of a running system.")
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="With --e2e: the running system.")
@click.option("--failures", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="With --e2e: write every failed question or turn, with its reply, to this JSON file.")
def eval_command(set_name: str, as_json: bool, fit_calibration: bool, encoder: str | None, e2e: bool, url: str,
                 failures: Path | None) -> None:
    """检索质量评测：BM25、向量模型与融合的 hit@1/hit@3/MRR、拒答率和延迟；--e2e：整个系统的端到端评测。"""
    from bot.config import Settings
    from knowledge_base.store import load_knowledge_base

    if set_name not in QUESTION_SETS and not e2e:
        raise click.UsageError(f"{set_name} is a blind set of the end-to-end evaluation: add --e2e")
    if e2e:
        from bot import e2e_eval

        report = e2e_eval.run(url, set_name, failures)
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=1) if as_json else e2e_eval.format_report(set_name, report))
        return

    if fit_calibration and set_name != "dev":
        raise click.UsageError("只能在开发集上拟合置信度 / --fit-calibration only works on the dev set")
    settings = Settings.from_env()
    question_set = load_question_set(set_name)
    report = evaluate(
        load_knowledge_base(), encoder or settings.encoder, settings.var_dir / "index", question_set, fit=fit_calibration
    )
    click.echo(json.dumps(report, ensure_ascii=False, indent=1) if as_json else format_table(report))
    sys.stdout.flush()
