"""The README's configuration table and the Settings classes name the same variables."""

from __future__ import annotations

import re
from pathlib import Path

from forewarn.services.impact.settings import ImpactSettings
from forewarn.services.inventory.settings import InventorySettings
from forewarn.services.mail.settings import MailSettings
from forewarn.services.notifier.settings import NotifierSettings
from forewarn.services.platform.config import CommonSettings
from forewarn.services.replies.settings import RepliesSettings
from forewarn.services.reporter.settings import ReporterSettings
from forewarn.services.scheduler.settings import SchedulerSettings
from forewarn.services.statuspage.settings import StatusSettings

README = Path(__file__).resolve().parents[2] / "README.md"
SETTINGS = (
    CommonSettings,
    SchedulerSettings,
    ImpactSettings,
    InventorySettings,
    MailSettings,
    NotifierSettings,
    ReporterSettings,
    RepliesSettings,
    StatusSettings,
)


def _table() -> set[str]:
    """Every FOREWARN_* variable named in the first column of the Configuration table."""
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `FOREWARN_")]
    return {name for row in rows for name in re.findall(r"`(FOREWARN_[A-Z0-9_]+)`", row.split("|")[1])}


def test_every_setting_is_in_the_readme_and_every_row_is_a_setting() -> None:
    fields = {f"FOREWARN_{name.upper()}" for cls in SETTINGS for name in cls.model_fields}
    documented = _table()
    assert not fields - documented, f"settings the README does not name: {sorted(fields - documented)}"
    assert not documented - fields, f"README rows no Settings class reads: {sorted(documented - fields)}"
