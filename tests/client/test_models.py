"""The models parse whatever the server sends without ever raising."""

from __future__ import annotations

import json
from typing import Any

from httpx_sse import ServerSentEvent
from hypothesis import given
from hypothesis import strategies as st

from mlkwatch.client import (
    Connection,
    Delivery,
    Flow,
    Me,
    Run,
    RunStatus,
    Step,
    StreamEvent,
    Webhook,
    is_known,
)
from mlkwatch.client._models import Attempt, DeliveryAttempt, FlowStep, TokenInfo

from ._strategies import json_values

MODELS = (
    Run,
    Step,
    Flow,
    FlowStep,
    Connection,
    Webhook,
    Delivery,
    DeliveryAttempt,
    Attempt,
    Me,
    TokenInfo,
)

# Objects whose keys are the models' own field names, so values hit the parsers.
FIELD_NAMES = sorted(
    {name for model in MODELS for name in model.__dataclass_fields__}
    | {"workspace", "token", "created_by", "run_id"}
)
model_shaped = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=12)


@given(data=model_shaped | st.dictionaries(st.text(max_size=10), json_values))
def test_any_json_object_parses_into_every_model(data: dict[str, Any]) -> None:
    for model in MODELS:
        model.from_json(data)


@given(value=json_values)
def test_any_json_parses_as_stream_data(value: Any) -> None:

    for kind in ("run.updated", "step.finished", "reset", "unheard.of"):
        event = StreamEvent.from_sse(ServerSentEvent(kind, json.dumps(value), "7"))
        assert event.type == kind
        assert event.id == "7"
        event.run_id  # noqa: B018 - a property that must not raise


def test_unknown_enum_values_are_kept_as_strings() -> None:
    run = Run.from_json(
        {"id": "run_1", "status": "paused_for_review", "trigger": "api"}
    )
    assert run.status == "paused_for_review"
    assert not is_known(run.status)
    assert run.trigger == "api"
    assert is_known(Run.from_json({"status": "failed"}).status)
    assert Run.from_json({"status": "failed"}).status is RunStatus.FAILED


def test_unknown_fields_are_ignored() -> None:
    flow = Flow.from_json(
        {"id": "flw_1", "name": "n", "x_future": {"a": 1}, "steps": []}
    )
    assert flow.id == "flw_1"
    assert flow.steps == ()


def test_stream_event_with_text_data_keeps_the_raw_text() -> None:
    event = StreamEvent.from_sse(ServerSentEvent("run.updated", "{not json", ""))
    assert event.data == "{not json"
    assert event.run is None
    assert event.id is None


def test_step_events_carry_their_run_id() -> None:
    event = StreamEvent.from_sse(
        ServerSentEvent("step.started", '{"id": "stp_1", "run_id": "run_9"}', "3")
    )
    assert event.step is not None and event.step.id == "stp_1"
    assert event.run_id == "run_9"
