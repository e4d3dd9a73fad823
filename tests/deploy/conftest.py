"""The deploy tests' one image: built once per session, from this tree, as `make image` builds it."""

import pytest

from .containers import forewarn_image


@pytest.fixture(scope="session")
def image() -> str:
    return forewarn_image()
