"""The packages import each other one way only, and the core imports none of them.

Every import counts, at module level or inside a function. The packages, lowest first:

- `bot.core`: Turn, Reply, Citation, the slot table and the message catalogue;
- the leaf modules at `bot/`: settings, the state store, the error shape, the rate limit, Rasa's
  client, the agents' hours, the end-to-end evaluation;
- `knowledge_base`: the notice, retrieval and policy answers;
- dialogue: `bot.eligibility`, `bot.dialogue`;
- channels: `bot.channels`, `ivr`;
- staff: `bot.hotspots`, `bot.dashboard`, `bot.handoff`;
- runtime: the app factory (`bot.app`, the composition root) and `bot.runtime`: services, the
  supervisor, the Rasa process, the CLI.

Run: .venv/bin/python -m pytest -q tests/test_layers.py
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Module prefix → package; the longest prefix wins.
PACKAGES = {
    "bot.core": "core",
    "bot": "leaf",
    "knowledge_base": "knowledge_base",
    "bot.eligibility": "dialogue",
    "bot.dialogue": "dialogue",
    "bot.channels": "channels",
    "ivr": "channels",
    "bot.hotspots": "staff",
    "bot.dashboard": "staff",
    "bot.handoff": "staff",
}
PACKAGES.update({"bot.app": "runtime", "bot.runtime": "runtime"})


def package_of(module: str) -> str | None:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in PACKAGES:
            return PACKAGES[".".join(parts[:n])]
    return None


def imports() -> dict[tuple[str, str], list[str]]:
    """(from package, to package) → the modules that make that edge."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for top in ("bot", "knowledge_base", "ivr"):
        for path in (REPO / top).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(REPO).with_suffix("").parts)
            source = package_of(module)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
                else:
                    continue
                for name in names:
                    target = package_of(name)
                    if target and target != source and (name.split(".")[0] in ("bot", "knowledge_base", "ivr")):
                        edges[(source, target)].append(f"{module} → {name}")
    return edges


def cycles(edges) -> list[list[str]]:
    graph = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
    found, path = [], []

    def visit(node: str) -> None:
        if node in path:
            found.append(path[path.index(node):] + [node])
            return
        path.append(node)
        for nxt in sorted(graph[node]):
            visit(nxt)
        path.pop()

    for start in sorted(graph):
        visit(start)
    return found


def test_no_import_cycle_between_packages():
    edges = imports()
    found = cycles(edges)
    detail = {" → ".join(c): [edges[(a, b)][0] for a, b in zip(c, c[1:])] for c in found}
    assert not found, detail


def test_the_core_imports_none_of_the_app():
    edges = imports()
    assert not [e for (a, _), e in edges.items() if a == "core"]


def test_every_module_belongs_to_a_package():
    for top in ("bot", "knowledge_base", "ivr"):
        for path in (REPO / top).rglob("*.py"):
            assert package_of(".".join(path.relative_to(REPO).with_suffix("").parts)), path
