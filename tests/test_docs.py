"""The docs are tested (after Datasette's test_docs): every HOTLINE_*/WECHAT_*/TWILIO_* variable the
settings module reads has a row, with its default, in docs/configuration.md, and every row names a
variable that is really read; every relative link of README.md and docs/*.md resolves, and every
repository path they name in backticks exists (so a page fails when the code it describes moves); the
README stays a short guide that opens with the two commands."""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from pathlib import Path

import pytest

from bot.config import REPO_ROOT, Settings

# The module that defines Settings, wherever the runtime keeps it.
CONFIG_SOURCE = inspect.getsource(importlib.import_module(Settings.__module__))
CONFIGURATION = REPO_ROOT / "docs" / "configuration.md"
README = REPO_ROOT / "README.md"
VARIABLE = r"(?:HOTLINE|WECHAT|TWILIO)_[A-Z0-9_]+"


def read_variables() -> list[str]:
    """Variables the settings module reads: the quoted names passed to its readers or looked up in `env`."""
    return sorted(set(re.findall(rf'"({VARIABLE})"', CONFIG_SOURCE)))


def variable_fields() -> dict[str, str]:
    """Variable → Settings field, from `text("VAR", "field")` and `("VAR", "field", kind)` lines."""
    return dict(re.findall(rf'"({VARIABLE})",\s*"([a-z_]+)"', CONFIG_SOURCE))


def configuration_rows() -> dict[str, str]:
    """docs/configuration.md's table rows: variable → its whole row."""
    rows = {}
    for line in CONFIGURATION.read_text(encoding="utf-8").splitlines():
        match = re.match(rf"\|\s*`({VARIABLE})`\s*\|", line)
        if match:
            rows[match.group(1)] = line
    return rows


ROWS = configuration_rows()


def test_the_config_module_is_found():
    assert "HOTLINE_PORT" in read_variables() and variable_fields()["HOTLINE_PORT"] == "port"


@pytest.mark.parametrize("variable", read_variables())
def test_every_variable_has_a_row(variable):
    assert variable in ROWS, f"{variable} is read by the settings but has no row in docs/configuration.md"


@pytest.mark.parametrize("variable", sorted(ROWS))
def test_every_row_is_a_real_variable(variable):
    assert variable in read_variables(), f"docs/configuration.md documents {variable}, which the settings do not read"


DEFAULTS = {f.name: f.default for f in dataclasses.fields(Settings)}
# Variables whose default is a literal value; "unset", generated or computed ones are described in words.
LITERAL_DEFAULTS = sorted(
    (variable, DEFAULTS[field])
    for variable, field in variable_fields().items()
    if DEFAULTS[field] not in ("", None, ()) and DEFAULTS[field] is not dataclasses.MISSING
    and not isinstance(DEFAULTS[field], Path)
)


def test_literal_defaults_are_found():
    assert ("HOTLINE_PORT", 8000) in LITERAL_DEFAULTS


@pytest.mark.parametrize("variable, default", LITERAL_DEFAULTS)
def test_documented_defaults_are_the_real_ones(variable, default):
    assert f"`{default}`" in ROWS[variable], f"docs/configuration.md's row for {variable} should show its default `{default}`"


# -- links --------------------------------------------------------------------------------------

PAGES = [README, *sorted((REPO_ROOT / "docs").glob("*.md")), REPO_ROOT / "BENCHMARKS.md"]
# [text](target) and ![alt](target); the target ends at the first space or closing parenthesis.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCED = re.compile(r"^```.*?^```", re.S | re.M)


def prose(page: Path) -> str:
    """A page without its fenced code blocks (their `# comments` are no headings, their text no links)."""
    return FENCED.sub("", page.read_text(encoding="utf-8"))


def anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces → hyphens."""
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", prose(page), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def relative_links() -> list[tuple[str, str]]:
    links = []
    for page in PAGES:
        text = prose(page)
        for target in LINK.findall(text):
            if not re.match(r"[a-z]+:", target):  # http:, https:, mailto: are not checked here
                links.append((page.relative_to(REPO_ROOT).as_posix(), target))
    return links


def test_the_pages_have_relative_links():
    assert ("README.md", "docs/turn.svg") in relative_links()
    assert ("docs/architecture.md", "turn.svg") in relative_links()


@pytest.mark.parametrize("page, target", relative_links())
def test_every_relative_link_resolves(page, target):
    source = REPO_ROOT / page
    path, _, anchor = target.partition("#")
    resolved = (source.parent / path).resolve() if path else source
    assert resolved.exists(), f"{page} links to {target}, which does not exist"
    if anchor and resolved.suffix == ".md":
        assert anchor in anchors(resolved), f"{page} links to {target}: {resolved.name} has no heading #{anchor}"


def test_anchors_follow_github():
    assert "web-chat-" in anchors(REPO_ROOT / "docs" / "channels.md")  # "## Web chat (`/`)"


# -- the README is a guide ----------------------------------------------------------------------


def test_the_readme_opens_with_the_two_commands():
    commands = re.findall(r"^(make \w+)", README.read_text(encoding="utf-8"), re.M)
    assert commands[:2] == ["make run", "make test"]


def test_the_readme_stays_short():
    lines = len(README.read_text(encoding="utf-8").splitlines())
    assert lines <= 200, f"README.md has {lines} lines: move the detail to docs/ and link it"


# -- paths --------------------------------------------------------------------------------------

# Pages that describe today's code; docs/benchmarks-history.md names files of earlier commits.
CURRENT = [README, *(p for p in sorted((REPO_ROOT / "docs").glob("*.md")) if p.name != "benchmarks-history.md"),
           REPO_ROOT / "BENCHMARKS.md"]
TOP = ("bot", "ivr", "knowledge_base", "training_data", "tests", "benchmarks", "scripts", "deploy")
PATH = re.compile(rf"`((?:{'|'.join(TOP)})/[^`\s]*)`")
# Named before it lands: the message catalogue of issue 15 (branch i15-messages). Empty this once merged.
PENDING = {"bot/core/messages.yaml"}


def code_paths() -> list[tuple[str, str]]:
    found = []
    for page in CURRENT:
        for path in sorted(set(PATH.findall(page.read_text(encoding="utf-8")))):
            found.append((page.relative_to(REPO_ROOT).as_posix(), path))
    return found


def test_the_pages_name_paths():
    assert ("README.md", "bot/eligibility/rules.yaml") in code_paths()


@pytest.mark.parametrize("page, path", [p for p in code_paths() if p[1] not in PENDING])
def test_every_named_path_exists(page, path):
    """A path in backticks exists (up to a placeholder such as <slug> or *), and a named test is in its file."""
    path, _, test = path.partition("::")
    existing = re.split(r"[<*]", path)[0]
    target = REPO_ROOT / existing
    assert target.exists() or target.parent.exists() and any(target.parent.glob(target.name + "*")), (
        f"{page} names `{path}`, which does not exist: the code moved, so should the page"
    )
    if test:
        assert f"def {test}(" in target.read_text(encoding="utf-8"), f"{page} names {path}::{test}, which is not there"
