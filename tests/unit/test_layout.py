"""The rooms hold: every module small enough to read whole, and every module in a package."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 300


def test_no_module_is_over_300_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for folder in ("services", "schemas")
        for path in (ROOT / folder).rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"split these by concept: {long}"


def test_services_holds_packages_only() -> None:
    loose = sorted(p.name for p in (ROOT / "services").glob("*.py") if p.name != "__init__.py")
    assert not loose, f"put these in the package they belong to: {loose}"
