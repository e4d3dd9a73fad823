"""Every message names its type: a body made as one type never validates as another."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import ValidationError

from forewarn.schemas.catalog import ALL
from forewarn.schemas.windows import WindowCompleted, WindowScheduled, WindowStarted

from ..factories import make_window


def test_every_message_carries_its_own_type() -> None:
    for model in ALL:
        assert get_args(model.model_fields["type"].annotation) == (model.__name__,), model
        assert model.model_fields["type"].default == model.__name__


@pytest.mark.parametrize("model", list(ALL), ids=lambda m: m.__name__)
def test_no_other_type_validates_as_this_one(model) -> None:
    for other in ALL:
        if other is not model:
            with pytest.raises(ValidationError) as refused:
                model.model_validate({"type": other.__name__})
            assert any(e["loc"] == ("type",) for e in refused.value.errors())


def test_a_scheduled_event_is_not_a_completion_or_a_start() -> None:
    body = WindowScheduled(window=make_window()).model_dump_json()
    assert '"type":"WindowScheduled"' in body
    for other in (WindowCompleted, WindowStarted):
        with pytest.raises(ValidationError, match="type"):
            other.model_validate_json(body)


def test_a_message_of_the_last_release_reads_as_its_subjects_type() -> None:
    """Stored before types were written: no `type`, read as the model its subject names."""
    body = WindowScheduled(window=make_window()).model_dump(mode="json")
    del body["type"]
    assert WindowCompleted.model_validate(body).type == "WindowCompleted"
