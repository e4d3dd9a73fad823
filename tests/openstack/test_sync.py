"""`forewarn inventory sync openstack` against a real cloud: the store holds what the APIs say."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from forewarn.schemas.base import Impact
from forewarn.schemas.commands import BookWindow, HostSelector
from forewarn.services.cli.main import app
from forewarn.services.inventory.models import Host, Resource, Site, Tenant, TenantContact
from forewarn.services.platform.config import CommonSettings
from forewarn.services.platform.db import create_db_engine
from forewarn.services.scheduler.freezes import FreezeCalendar
from forewarn.services.scheduler.lifecycle import book, window_id_for
from forewarn.services.scheduler.rules import Rules
from forewarn.services.scheduler.selectors import select_hosts

from .testcloud import PROJECTS, SERVERS, ZONES, Cloud

pytestmark = pytest.mark.openstack


def _sync(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["inventory", "sync", "openstack", *args])
    return result.exit_code, result.stdout, result.stderr


def _store() -> dict:
    engine = create_db_engine(CommonSettings().db_url)
    with Session(engine) as session:
        found = {
            "sites": {s.code: s.timezone for s in session.scalars(select(Site))},
            "hosts": {
                h.name: (h.site, h.role, sorted(h.tags), h.zone) for h in session.scalars(select(Host))
            },
            "resources": {
                r.id: (r.name, r.host, r.tenant, r.kind) for r in session.scalars(select(Resource))
            },
            "tenants": {t.id: (t.name, t.locale, t.timezone) for t in session.scalars(select(Tenant))},
            "contacts": sorted(
                (c.tenant_id, c.email, c.mode) for c in session.scalars(select(TenantContact))
            ),
        }
    engine.dispose()
    return found


def test_a_sync_stores_what_the_apis_say_and_a_second_changes_nothing(cloud_env: Cloud) -> None:
    code, out, err = _sync("--json")
    assert code == 0, err
    [result] = json.loads(out)
    assert result["source"] == "openstack:forewarn-admin" and result["applied"]
    store = _store()

    # Hosts: site from the availability zone, role from the gpu aggregate's metadata, tags its aggregates.
    assert store["hosts"] == {
        "cmp-01": ("STO1", "compute", ["az-sto1"], "sto1"),
        "cmp-02": ("STO1", "compute", ["az-sto1"], "sto1"),
        "cmp-03": ("STO2", "compute", ["az-sto2"], "sto2"),
        "cmp-04": ("STO2", "gpu", ["az-sto2", "gpu"], "sto2"),
    }
    # Servers, as Nova lists them for every project: those on a host (one that never got one,
    # or is shelved, is on no host that maintenance could touch).
    servers = {
        s.id: (s.name, s.compute_host, s.project_id, "m1.tiny")
        for s in cloud_env.admin.compute.servers(details=True, all_projects=True)
        if s.compute_host
    }
    assert store["resources"] == servers
    placed = {name: host for name, host, _, _ in servers.values()}
    assert {n: placed.get(n) for n in SERVERS} == {n: h for n, (_, h) in SERVERS.items()}
    # Projects, with their tags, and contacts from the role.
    ids = cloud_env.projects
    assert store["tenants"][ids["alpha"]] == ("alpha", "sv", "Europe/Stockholm")
    assert store["tenants"][ids["beta"]] == ("beta", "en", "UTC")
    assert store["contacts"] == sorted(
        (ids[p], email, "notice" if p == "gamma" else "invite")
        for p, (_, contacts) in PROJECTS.items()
        for _, email in contacts
    )
    # The project with servers and no contact is said, not dropped.
    assert any("silent" in w and "maintenance-contact" in w for w in result["warnings"])
    assert ids["silent"] in store["tenants"]

    code, out, err = _sync("--json")
    assert code == 0, err
    [again] = json.loads(out)
    assert again["changes"] == []
    assert _store() == store
    assert set(ZONES) == {"sto1", "sto2"}


def test_a_sync_tells_a_person_what_changed_and_warns_on_stderr(cloud_env: Cloud) -> None:
    code, out, err = _sync()
    assert code == 0, err
    assert "openstack:forewarn-admin" in out and "resources" in out
    assert "warning:" in err and "silent" in err
    code, out, _ = _sync("--dry-run")
    assert code == 0 and "nothing would change" in out


def _clouds_yaml_with(cloud: Cloud, tmp_path, **auth: str):
    """A clouds.yaml like the test cloud's, with some of its auth changed."""
    import yaml

    data = yaml.safe_load(cloud.clouds_yaml.read_text())
    data["clouds"]["forewarn-admin"]["auth"].update(auth)
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("case", "code", "words"),
    [
        ("unknown cloud", 2, "cloud nowhere:"),
        ("wrong password", 1, "Keystone refused the credentials"),
        ("keystone unreachable", 1, "cannot reach Keystone"),
    ],
)
def test_bad_credentials_are_one_clear_line_and_leave_the_store_alone(
    cloud_env: Cloud, tmp_path, monkeypatch, case: str, code: int, words: str
) -> None:
    assert _sync()[0] == 0
    before = _store()
    args: list[str] = []
    if case == "unknown cloud":
        args = ["--cloud", "nowhere"]
    elif case == "wrong password":
        monkeypatch.setenv(
            "OS_CLIENT_CONFIG_FILE", str(_clouds_yaml_with(cloud_env, tmp_path, password="wrong"))
        )
    else:
        unreachable = _clouds_yaml_with(cloud_env, tmp_path, auth_url="http://127.0.0.1:9/v3")
        monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(unreachable))
    exit_code, out, err = _sync(*args)
    assert exit_code == code, err
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    exit_code, out, _ = _sync(*args, "--json")
    assert exit_code == code and json.loads(out)["reasons"][0]["field"] == "--cloud"
    assert _store() == before


def test_a_contact_without_an_email_is_named_and_not_a_contact(cloud_env: Cloud) -> None:
    identity = cloud_env.admin.identity
    user = identity.create_user(name="nomail", domain_id="default", password="x")
    try:
        identity.assign_project_role_to_user(
            cloud_env.projects["beta"], user, identity.find_role("maintenance-contact")
        )
        code, out, _ = _sync("--json")
        assert code == 0
        [result] = json.loads(out)
        assert any("'nomail'" in w and "no email" in w for w in result["warnings"]), result["warnings"]
        assert all(email != "" for _, email, _ in _store()["contacts"])
    finally:
        identity.delete_user(user)


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ({"zones": ["sto2"]}, ["cmp-03", "cmp-04"]),
        ({"tags": ["gpu"]}, ["cmp-04"]),  # what `forewarn book --aggregate gpu` sends
        ({"zones": ["sto2"], "roles": ["compute"]}, ["cmp-03"]),
        ({"zones": ["sto1", "sto2"], "tags": ["az-sto1"]}, ["cmp-01", "cmp-02"]),
    ],
)
def test_a_booking_selects_hosts_by_availability_zone_and_aggregate(
    cloud_env: Cloud, selector: dict, expected: list[str]
) -> None:
    assert _sync()[0] == 0
    engine = create_db_engine(CommonSettings().db_url)
    with Session(engine) as session:
        hosts, reasons = select_hosts(session, HostSelector(**selector))
        _, unknown = select_hosts(session, HostSelector(zones=["nowhere"]))
    engine.dispose()
    assert reasons == [] and [h.name for h in hosts] == expected
    assert unknown[0].message == "unknown availability zone(s) nowhere; known: sto1, sto2"


def test_show_says_which_affected_projects_have_no_contact(cloud_env: Cloud) -> None:
    assert _sync()[0] == 0
    command = BookWindow(
        command_id=uuid.uuid4().hex,
        requested_by="test",
        title="cmp-03 firmware",
        impact=Impact.OUTAGE,
        start=datetime.now(UTC) + timedelta(days=1),
        end=datetime.now(UTC) + timedelta(days=1, hours=2),
        hosts=HostSelector(nodeset="cmp-03"),
    )
    rules = Rules(min_lead=timedelta(0), max_duration=timedelta(days=1), freezes=FreezeCalendar([]))
    engine = create_db_engine(CommonSettings().db_url)
    with Session(engine) as session:
        book(session, command, rules=rules, now=datetime.now(UTC))
        session.commit()
    engine.dispose()
    shown = CliRunner().invoke(app, ["show", window_id_for(command.command_id)], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    # alpha, beta and silent have servers on cmp-03; silent has nobody holding the contact role.
    assert "Tenants  3 affected" in shown.output
    assert "No contact 1 affected tenant: silent" in shown.output
