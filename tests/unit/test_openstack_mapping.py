"""The OpenStack conventions and Nova's notifications, read without a cloud."""

from __future__ import annotations

import json

import pytest

from forewarn.services.inventory.notifications import NotANotification, read
from forewarn.services.inventory.openstack import CloudData, Conventions, map_cloud


def _cloud(**changes) -> CloudData:
    data = CloudData(
        services=[{"host": "CMP-01", "zone": "sto1"}, {"host": "cmp-02", "zone": "sto1"}],
        aggregates=[
            {"name": "gpu-a100", "hosts": ["cmp-02"], "metadata": {"forewarn:role": "gpu"}},
            {
                "name": "oslo",
                "hosts": ["cmp-02"],
                "metadata": {"forewarn:site": "OSL2", "forewarn:timezone": "Europe/Oslo"},
            },
        ],
        servers=[
            {"id": "s1", "name": "web", "flavor": "m1.large", "host": "cmp-01", "project_id": "p1"},
            {"id": "s2", "name": "train", "flavor": None, "host": "cmp-02", "project_id": "p2"},
            {"id": "s3", "name": "shelved", "flavor": "m1.small", "host": None, "project_id": "p1"},
        ],
        projects=[
            {
                "id": "p1",
                "name": "Acme",
                "tags": ["forewarn:locale=sv", "forewarn:mode=notice"],
                "properties": {},
            },
            {"id": "p2", "name": "Quiet", "tags": [], "properties": {"forewarn_timezone": "Europe/Helsinki"}},
        ],
        users={"u1": {"name": "ops", "email": "ops@acme.example"}},
        contacts=[("u1", "p1")],
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return data


def test_hosts_sites_roles_tenants_and_contacts_follow_the_conventions() -> None:
    snapshot = map_cloud(_cloud(), Conventions(timezone="Europe/Stockholm"))
    hosts = {h.name: (h.site, h.role, h.tags, h.zone) for h in snapshot.hosts}
    assert hosts == {
        "cmp-01": ("STO1", "compute", [], "sto1"),
        "cmp-02": ("OSL2", "gpu", ["gpu-a100", "oslo"], "sto1"),
    }
    assert {s.code: s.timezone for s in snapshot.sites} == {"STO1": "Europe/Stockholm", "OSL2": "Europe/Oslo"}
    tenants = {
        t.id: (t.locale, t.timezone, [(c.email, c.mode) for c in t.contacts]) for t in snapshot.tenants
    }
    assert tenants == {
        "p1": ("sv", "Europe/Stockholm", [("ops@acme.example", "notice")]),
        "p2": ("en", "Europe/Helsinki", []),
    }
    # A shelved server is on no host: no maintenance touches it.
    assert {r.id: (r.host, r.kind) for r in snapshot.resources} == {
        "s1": ("cmp-01", "m1.large"),
        "s2": ("cmp-02", "vm"),
    }
    assert snapshot.warnings == [
        "1 project with servers and no user holding maintenance-contact, so nobody to tell: Quiet"
    ]


def test_what_cannot_be_taken_is_a_warning_naming_it_and_the_rest_goes_on() -> None:
    data = _cloud(users={"u1": {"name": "ops", "email": None}})
    data.projects[1]["name"] = "Evil\u202eCorp"
    snapshot = map_cloud(data)
    assert [t.id for t in snapshot.tenants] == ["p1"]
    assert [r.id for r in snapshot.resources] == ["s1"]
    said = "\n".join(snapshot.warnings)
    assert "user 'ops' in project 'Acme' holds maintenance-contact but has no email" in said
    # Named escaped: the warning itself carries no bidirectional override to a terminal.
    assert "project 'Evil\\u202eCorp' skipped, and its servers" in said and "\u202e" not in said
    assert "server s2 skipped: its host or project was skipped" in said


def _notification(event_type: str, **data) -> bytes:
    inner = {
        "message_id": "m-1",
        "event_type": event_type,
        "payload": {"nova_object.data": {"uuid": "s1", "tenant_id": "p1", "host": "cmp-02", **data}},
    }
    return json.dumps({"oslo.version": "2.0", "oslo.message": json.dumps(inner)}).encode()


def test_notifications_say_where_a_server_now_is() -> None:
    created = read(
        _notification(
            "instance.create.end",
            display_name="web",
            state="active",
            flavor={"nova_object.data": {"name": "m1.large"}},
        )
    )
    assert (created.server_id, created.host, created.name, created.flavor) == (
        "s1",
        "cmp-02",
        "web",
        "m1.large",
    )
    assert read(_notification("instance.delete.end", state="deleted")).host is None
    assert read(_notification("instance.shelve_offload.end", host=None)).host is None
    assert read(_notification("instance.update")) is None  # says nothing about a move


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xff\xfe", "not an oslo.messaging notification"),
        (json.dumps({"oslo.message": "{}"}).encode(), "not an oslo.messaging notification"),
        (
            json.dumps(
                {"oslo.message": json.dumps({"message_id": "m", "event_type": "instance.create.end"})}
            ).encode(),
            "instance.create.end without 'payload'",
        ),
    ],
)
def test_a_message_that_is_not_a_notification_is_refused_with_its_reason(body: bytes, reason: str) -> None:
    with pytest.raises(NotANotification, match=reason):
        read(body)
