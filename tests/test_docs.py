"""The README documents every setting (after Datasette's test_docs): each HOTLINE_*/WECHAT_*/TWILIO_*
variable that bot/config.py reads has a row in the Configuration table, with its default, and every
row names a variable that is really read."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from bot.config import REPO_ROOT, Settings

CONFIG_SOURCE = (REPO_ROOT / "bot" / "config.py").read_text(encoding="utf-8")
README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
VARIABLE = r"(?:HOTLINE|WECHAT|TWILIO)_[A-Z0-9_]+"


def read_variables() -> list[str]:
    """Variables config.py reads: the quoted names passed to its readers or looked up in `env`."""
    return sorted(set(re.findall(rf'"({VARIABLE})"', CONFIG_SOURCE)))


def variable_fields() -> dict[str, str]:
    """Variable → Settings field, from `text("VAR", "field")` and `("VAR", "field", kind)` lines."""
    return dict(re.findall(rf'"({VARIABLE})",\s*"([a-z_]+)"', CONFIG_SOURCE))


def configuration_rows() -> dict[str, str]:
    """The Configuration section's table: variable → its whole row."""
    section = README.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(rf"\|\s*`({VARIABLE})`\s*\|", line)
        if match:
            rows[match.group(1)] = line
    return rows


ROWS = configuration_rows()


def test_the_config_module_is_found():
    assert "HOTLINE_PORT" in read_variables() and variable_fields()["HOTLINE_PORT"] == "port"


@pytest.mark.parametrize("variable", read_variables())
def test_every_variable_has_a_row(variable):
    assert variable in ROWS, f"{variable} is read in bot/config.py but has no row in README.md's Configuration table"


@pytest.mark.parametrize("variable", sorted(ROWS))
def test_every_row_is_a_real_variable(variable):
    assert variable in read_variables(), f"README documents {variable}, which bot/config.py does not read"


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
    assert f"`{default}`" in ROWS[variable], f"README's row for {variable} should show its default `{default}`"
