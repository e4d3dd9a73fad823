"""An empty variable, as compose writes `${VAR:-}`, leaves a setting unset, in every service.

A validator method that a subclass names as its parent did replaces the parent's: the
notifier once read FOREWARN_ANSWER_SECRET="" as a secret too short, and would not start.
"""

from __future__ import annotations

import pytest

from forewarn.services.platform.config import CommonSettings

from .test_compose_file import SETTINGS

OPTIONAL = [
    (service, field)
    for service, settings in {"common": CommonSettings, **SETTINGS}.items()
    for field, info in settings.model_fields.items()
    if info.default is None
]


@pytest.mark.parametrize(("service", "field"), OPTIONAL, ids=[f"{s}-{f}" for s, f in OPTIONAL])
def test_an_empty_variable_leaves_an_optional_setting_unset(
    service: str, field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = CommonSettings if service == "common" else SETTINGS[service]
    monkeypatch.setenv(f"FOREWARN_{field.upper()}", "")
    assert getattr(settings(), field) is None
