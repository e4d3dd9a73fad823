"""An empty variable, as compose writes `${VAR:-}`, leaves a setting unset, in every service.

A validator method that a subclass names as its parent did replaces the parent's: the
notifier once read FOREWARN_ANSWER_SECRET="" as a secret too short, and would not start.
"""

from __future__ import annotations

from pathlib import Path

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


@pytest.mark.parametrize(
    ("variables", "inventory", "replies"),
    [
        ({}, False, False),
        ({"FOREWARN_OPENSTACK_CLOUDS": " , ", "FOREWARN_IMAP_HOST": ""}, False, False),
        ({"FOREWARN_OPENSTACK_CLOUDS": "sto,osl"}, True, False),
        ({"OS_CLOUD": "sto"}, True, False),
        ({"OS_AUTH_URL": "https://keystone.example.net/v3"}, True, False),
        ({"FOREWARN_IMAP_HOST": "imap.example.net"}, False, True),
    ],
)
def test_forewarn_up_runs_the_inventory_and_the_replies_reader_only_when_named(
    variables: dict[str, str], inventory: bool, replies: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forewarn.services.inventory.settings import InventorySettings
    from forewarn.services.replies.settings import RepliesSettings

    for name in ("FOREWARN_OPENSTACK_CLOUDS", "OS_CLOUD", "OS_AUTH_URL", "FOREWARN_IMAP_HOST"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert InventorySettings().follows_a_cloud is inventory
    assert RepliesSettings().reads_mailbox is replies


def test_state_lives_in_one_place_per_user_whatever_the_folder(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("FOREWARN_DATA_DIR", raising=False)
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.chdir(tmp_path)
    assert CommonSettings().data_dir == tmp_path / "share" / "forewarn"
    # A system service that systemd gives a StateDirectory= keeps its state there.
    monkeypatch.setenv("STATE_DIRECTORY", "/var/lib/forewarn")
    assert CommonSettings().data_dir == Path("/var/lib/forewarn")
    monkeypatch.setenv("FOREWARN_DATA_DIR", str(tmp_path / "mine"))
    assert CommonSettings().data_dir == tmp_path / "mine"
