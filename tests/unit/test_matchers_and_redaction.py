"""goss-style matchers and the redactor, on plain values."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gonogo.matchers import JsonMatcher, Matcher
from gonogo.redaction import Redactor, secret_values


@pytest.mark.parametrize(
    ("conditions", "value", "miss"),
    [
        ({"equals": "healthy"}, "healthy", None),
        ({"equals": 200}, "200", None),
        ({"equals": "healthy"}, "degraded", "expected equals 'healthy', got 'degraded'"),
        ({"contains": "gpt"}, ["gpt", "llama"], None),
        ({"contains": "claude"}, ["gpt"], "expected contains 'claude', got ['gpt']"),
        ({"contains": "alive"}, "I'm alive!", None),
        ({"regex": r"^\d+\.\d+"}, "1.106.2", None),
        ({"lt": 2, "gt": 0}, 1.5, None),
        ({"lt": 2}, 2.5, "expected lt 2.0, got 2.5"),
        ({"gt": 0}, "n/a", "expected gt 0.0, got 'n/a'"),
        ({"exists": True}, None, "expected exists True, got nothing"),
        ({"exists": False}, None, None),
    ],
)
def test_matcher(conditions: dict[str, object], value: object, miss: str | None) -> None:
    assert Matcher.model_validate(conditions).mismatch(value) == miss


def test_json_matcher_selects_with_jmespath() -> None:
    matcher = JsonMatcher(path="data[].id", contains="gpt-primary")
    assert matcher.mismatch_in({"data": [{"id": "gpt-primary"}]}) is None
    assert matcher.mismatch_in({"data": []}) == (
        "data[].id: expected contains 'gpt-primary', got []"
    )


def test_a_matcher_needs_a_condition_and_a_valid_regex() -> None:
    with pytest.raises(ValidationError, match="expected at least one of"):
        Matcher()
    with pytest.raises(ValidationError, match="not a valid regular expression"):
        Matcher(regex="(")


def test_redactor_masks_known_values_and_key_shapes() -> None:
    redact = Redactor(["s3cret-value-123"])
    text = redact(
        "key s3cret-value-123, header Authorization: Bearer abc.def, sk-live-0123456789, "
        "redis://user:hunter22@127.0.0.1:6379/0"
    )
    assert text == (
        "key ***, header Authorization: Bearer ***, sk-***, redis://***@127.0.0.1:6379/0"
    )


def test_secret_values_are_the_named_ones_and_the_secret_sounding_ones() -> None:
    env = {"GATEWAY_API_KEY": "k1k1k1", "MY_TOKEN": "t2t2t2", "HOME": "/root", "GW": "named!"}
    assert sorted(secret_values(env, ["GW"])) == ["k1k1k1", "named!", "t2t2t2"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("master_key: LITELLM_MASTER_KEY is a placeholder", "master_key: LITELLM_MASTER_KEY is a "),
        ("master_key: os.environ/LITELLM_MASTER_KEY", "master_key: os.environ/LITELLM_MASTER_KEY"),
        ("api_key: MY_KEY_value", "api_key: ***"),
        ("password: hunter22", "password: ***"),
    ],
)
def test_a_variable_name_is_shown_but_a_value_is_masked(text: str, shown: str) -> None:
    assert Redactor()(text).startswith(shown)
