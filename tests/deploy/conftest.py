"""The deploy tests' one image: built once per session, from this tree, as `make image` builds it."""

import pytest

from .containers import forewarn_image, preflight


@pytest.fixture(scope="session")
def image() -> str:
    preflight()
    return forewarn_image()
