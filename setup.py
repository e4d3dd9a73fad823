"""Package discovery for the flat layout: every folder under services/, schemas/, calendars/
and templates/ is installed as forewarn.<folder>, so a new one can never be left out of the
wheel. Everything else about the package is in pyproject.toml."""

from setuptools import find_namespace_packages, setup

ROOTS = ("services", "schemas", "calendars", "templates")

setup(
    packages=[
        f"forewarn.{name}"
        for name in find_namespace_packages(
            include=[pattern for root in ROOTS for pattern in (root, f"{root}.*")],
            exclude=["*.__pycache__"],
        )
    ]
)
