"""The settings reference, written from the Settings classes, names and explains every variable."""

from __future__ import annotations

import re

from forewarn.services.contracts import reference


def test_every_setting_is_in_the_reference_and_says_what_it_does() -> None:
    fields = {
        f"FOREWARN_{name.upper()}": field
        for cls in reference.SETTINGS
        for name, field in cls.model_fields.items()
    }
    unexplained = sorted(name for name, field in fields.items() if not field.description)
    assert not unexplained, f"give these a Field(description=...): {unexplained}"
    rows = re.findall(r"^\| `(FOREWARN_[A-Z0-9_]+)` \|", reference.settings_markdown(), re.MULTILINE)
    assert set(rows) == set(fields), set(rows) ^ set(fields)


def test_the_min_duration_guard_is_documented_with_its_default() -> None:
    row = next(r for r in reference.settings_markdown().splitlines() if "`FOREWARN_MIN_DURATION`" in r)
    assert "| `15m` |" in row and "--short" in row
