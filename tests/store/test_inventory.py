"""Inventory loading on SQLite and PostgreSQL: idempotent, all or nothing, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlmodel import Session

from forewarn.services.inventory.load import InventoryError, load_inventory
from forewarn.services.inventory.models import Host, Resource, Tenant, TenantContact
from forewarn.services.inventory.summary import summarize


def _count(engine, model) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_example_loads_and_reload_is_idempotent(engine, example_inventory: Path) -> None:
    first = load_inventory(engine=engine, path=example_inventory)
    counts = (
        _count(engine, Host),
        _count(engine, Resource),
        _count(engine, Tenant),
        _count(engine, TenantContact),
    )
    second = load_inventory(engine=engine, path=example_inventory)
    assert first == second
    assert counts == (
        _count(engine, Host),
        _count(engine, Resource),
        _count(engine, Tenant),
        _count(engine, TenantContact),
    )
    assert first["sites"] == 3 and first["tenants"] >= 20 and first["resources"] >= 200
    rows = summarize(engine)
    assert {(r["site"], r["role"]) for r in rows} >= {
        ("STO1", "compute"),
        ("STO2", "gpu"),
        ("OSL2", "compute"),
    }


def test_upsert_changes_fields_and_replaces_contacts(engine, tmp_path: Path, example_inventory: Path) -> None:
    load_inventory(engine=engine, path=example_inventory)
    data = yaml.safe_load(example_inventory.read_text())
    data["tenants"][0]["name"] = "Renamed AB"
    data["tenants"][0]["contacts"] = [{"email": "only@renamed.example", "mode": "notice"}]
    changed = tmp_path / "changed.json"
    changed.write_text(__import__("json").dumps({"tenants": [data["tenants"][0]]}))
    load_inventory(engine=engine, path=changed)
    with Session(engine) as session:
        tenant = session.get(Tenant, data["tenants"][0]["id"])
        contacts = session.scalars(select(TenantContact).where(TenantContact.tenant_id == tenant.id)).all()
    assert tenant.name == "Renamed AB"
    assert [(c.email, c.mode) for c in contacts] == [("only@renamed.example", "notice")]


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "inv.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


GOOD = {
    "sites": [{"code": "STO1", "name": "Stockholm", "timezone": "Europe/Stockholm"}],
    "hosts": [{"name": "sto1-cmp-01", "site": "STO1", "role": "compute"}],
    "tenants": [
        {
            "id": "t1",
            "name": "T One",
            "timezone": "Europe/Oslo",
            "locale": "nb",
            "contacts": [{"email": "ops@t1.example"}],
        }
    ],
    "resources": [{"id": "vm-1", "name": "web", "kind": "vm", "host": "sto1-cmp-01", "tenant": "t1"}],
}


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["hosts"][0].update(site="STO9"),
            "hosts[0] (sto1-cmp-01): site: 'STO9' is not a known site",
        ),
        (lambda d: d["resources"][0].update(kind="toaster"), "resources[0] (vm-1): kind:"),
        (
            lambda d: d["resources"][0].update(tenant="ghost"),
            "resources[0] (vm-1): tenant: 'ghost' is not a known tenant",
        ),
        (lambda d: d["tenants"][0].update(timezone="Mars/Olympus"), "tenants[0] (t1): timezone:"),
        (lambda d: d["tenants"][0].update(locale="fr"), "tenants[0] (t1): locale:"),
        (
            lambda d: d["tenants"][0]["contacts"][0].update(email="not-an-email"),
            "tenants[0] (t1): contacts[0].email:",
        ),
        (lambda d: d["tenants"][0]["contacts"][0].update(mode="sms"), "tenants[0] (t1): contacts[0].mode:"),
        (lambda d: d["hosts"].append(dict(d["hosts"][0])), "hosts: name 'sto1-cmp-01' appears 2 times"),
        (lambda d: d.update(racks=[]), "unknown section 'racks'"),
        (
            lambda d: d["hosts"][0].update(colour="red"),
            "hosts[0] (sto1-cmp-01): colour: Extra inputs are not permitted",
        ),
        (
            lambda d: d["tenants"][0].update(name="Acme\rEND:VCALENDAR"),
            "tenants[0] (t1): name: holds the control or invisible character U+000D",
        ),
        (
            lambda d: d["resources"][0].update(id="vm-1\rATTENDEE;CN=Evil:mailto:evil@x.example"),
            "id: holds the control or invisible character U+000D",
        ),
        (
            lambda d: d["tenants"][0]["contacts"][0].update(name="\u202eteviL"),
            "tenants[0] (t1): contacts[0].name: holds the control or invisible character U+202E",
        ),
        (
            lambda d: d["hosts"][0].update(tags=["rack\x1b[31m"]),
            "hosts[0] (sto1-cmp-01): tags: holds the control",
        ),
    ],
)
def test_bad_inventory_names_file_record_field_and_loads_nothing(engine, tmp_path, mutate, expected) -> None:
    data = __import__("copy").deepcopy(GOOD)
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(InventoryError) as caught:
        load_inventory(engine=engine, path=path)
    assert any(str(path) in p and expected in p for p in caught.value.problems), caught.value.problems
    assert _count(engine, Host) == 0 and _count(engine, Tenant) == 0 and _count(engine, Resource) == 0


def test_unreadable_file_is_an_error(engine, tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("sites: [unclosed")
    with pytest.raises(InventoryError, match=r"broken\.yaml: not valid") as caught:
        load_inventory(engine=engine, path=bad)
    # The parser's own words name the file too, not "<unicode string>".
    assert f'in "{bad}", line 1' in str(caught.value.problems) and "<unicode" not in str(
        caught.value.problems
    )
    with pytest.raises(InventoryError, match="cannot read"):
        load_inventory(engine=engine, path=tmp_path / "missing.yaml")
    binary = tmp_path / "ls.yaml"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00\xff\xfe")
    with pytest.raises(InventoryError, match=r"ls\.yaml: not UTF-8 text"):
        load_inventory(engine=engine, path=binary)
    nested = tmp_path / "deep.json"
    nested.write_text('{"sites": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(InventoryError, match="nested too deeply"):
        load_inventory(engine=engine, path=nested)
