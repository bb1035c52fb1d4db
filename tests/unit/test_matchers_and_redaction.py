"""goss-style matchers and the redactor, on plain values."""

from __future__ import annotations

import json
import secrets
import string

import pytest
from pydantic import ValidationError

from gonogo.checklist import Target
from gonogo.matchers import JsonMatcher, Matcher
from gonogo.redaction import Redactor, secret_values
from gonogo.secret_patterns import AI_KEY_FORMATS

MISSING = object()  # the path selects nothing
VALUES = {
    "string": "ok",
    "number": 3,
    "bool": False,
    "null": None,
    "list": ["ok", 3],
    "object": {"broken": True, "detail": "token expired"},
    "missing": MISSING,
}
# Per operator: the JSON types on which it holds, and those it does not apply to (a wrong-type
# failure that says so); on every other type it is a plain miss.
TABLE: list[tuple[dict[str, object], set[str], set[str]]] = [
    ({"equals": "ok"}, {"string"}, set()),
    ({"equals": 3}, {"number"}, set()),
    ({"equals": False}, {"bool"}, set()),
    ({"equals": "False"}, set(), set()),
    ({"equals": None}, {"null", "missing"}, set()),
    ({"equals": ["ok", 3]}, {"list"}, set()),
    ({"equals": {"broken": True, "detail": "token expired"}}, {"object"}, set()),
    ({"contains": "ok"}, {"string", "list"}, {"number", "bool", "object"}),
    ({"contains": 3}, {"list"}, {"string", "number", "bool", "object"}),
    ({"regex": "^o"}, {"string"}, {"number", "bool", "list", "object"}),
    ({"lt": 5}, {"number"}, {"string", "bool", "list", "object"}),
    ({"gt": 1}, {"number"}, {"string", "bool", "list", "object"}),
    ({"exists": True}, {"string", "number", "bool", "list", "object"}, set()),
    ({"exists": False}, {"null", "missing"}, set()),
]


@pytest.mark.parametrize("json_type", list(VALUES))
@pytest.mark.parametrize(
    ("conditions", "holds_on", "wrong_type"), TABLE, ids=[str(row[0]) for row in TABLE]
)
def test_every_operator_on_every_json_type(
    conditions: dict[str, object], holds_on: set[str], wrong_type: set[str], json_type: str
) -> None:
    value = VALUES[json_type]
    document = {} if value is MISSING else {"v": value}
    miss = JsonMatcher.model_validate({"path": "v", **conditions}).mismatch_in(document)
    if json_type in holds_on:
        assert miss is None
    else:
        assert miss is not None
        assert miss.startswith("v: expected ")
        assert ("applies to" in miss) == (json_type in wrong_type), miss


@pytest.mark.parametrize(
    ("conditions", "document", "miss"),
    [
        (
            {"contains": "ok"},
            {"v": {"broken": True, "detail": "token expired"}},
            'v: expected contains \'ok\', got {"broken": true, "detail": "token expired"} '
            "(contains applies to a string or a list, not an object)",
        ),
        ({"equals": "False"}, {"v": False}, "v: expected equals 'False', got false"),
        ({"equals": 200}, {"v": "200"}, "v: expected equals 200, got '200'"),
        (
            {"lt": 2},
            {"v": True},
            "v: expected lt 2.0, got true (lt applies to a number, not a bool)",
        ),
        ({"contains": "gpt"}, {"v": ["gpt-4"]}, "v: expected contains 'gpt', got [\"gpt-4\"]"),
        ({"exists": True}, {}, "v: expected exists true, got nothing"),
    ],
)
def test_a_miss_says_what_was_found(
    conditions: dict[str, object], document: dict[str, object], miss: str
) -> None:
    assert JsonMatcher.model_validate({"path": "v", **conditions}).mismatch_in(document) == miss


@pytest.mark.parametrize(
    ("conditions", "text", "miss"),
    [
        ({"equals": 200}, "200", None),
        ({"equals": True}, "true", None),
        ({"contains": "alive"}, "I'm alive!", None),
        ({"regex": r"^\d+\.\d+"}, "1.106.2", None),
        ({"lt": 2, "gt": 0}, "1.5", None),
        ({"lt": 2}, "2.5", "expected lt 2.0, got '2.5'"),
        (
            {"gt": 0},
            "n/a",
            "expected gt 0.0, got 'n/a' (gt applies to a number, and this text is not one)",
        ),
        ({"exists": True}, None, "expected exists true, got nothing"),
        ({"exists": False}, None, None),
    ],
)
def test_a_matcher_on_text_reads_numbers_from_it(
    conditions: dict[str, object], text: str | None, miss: str | None
) -> None:
    assert Matcher.model_validate(conditions).mismatch_text(text) == miss


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


def key_of_every_format() -> dict[str, str]:
    """One key of each format the secrets check detects, made at run time (none is committed)."""
    upper, mixed = string.ascii_uppercase + string.digits, string.ascii_letters + string.digits

    def token(length: int, alphabet: str = mixed) -> str:
        return "".join(secrets.choice(alphabet) for _ in range(length))

    begin, end = "-----BEGIN " + "RSA PRIVATE KEY-----", "-----END " + "RSA PRIVATE KEY-----"
    return {
        "Anthropic API key": f"sk-ant-api03-{token(40)}",
        "OpenAI API key": f"sk-proj-{token(48)}",
        "Google API key": f"AIza{token(35)}",
        "AWS access key id": f"AKIA{token(16, upper)}",
        "AWS temporary access key id": f"ASIA{token(16, upper)}",
        "Hugging Face token": f"hf_{token(34)}",
        "Groq API key": f"gsk_{token(48)}",
        "Replicate API token": f"r8_{token(37)}",
        "xAI API key": f"xai-{token(80)}",
        "Perplexity API key": f"pplx-{token(48)}",
        "Private key block": f"{begin}\\n{token(64)}\\n{end}",
    }


def test_every_key_format_of_the_secrets_check_is_masked() -> None:
    keys = key_of_every_format()
    assert set(keys) == set(AI_KEY_FORMATS)  # a new format needs a key here
    text = Redactor()(json.dumps({"echo": list(keys.values()), "said": "; ".join(keys.values())}))
    for key in keys.values():
        assert key not in text
        assert key[8:20] not in text
    assert "***" in text


@pytest.mark.parametrize("detector", ["AWS access key id", "Hugging Face token", "Groq API key"])
def test_a_key_written_where_a_variable_name_belongs_is_refused(detector: str) -> None:
    key = key_of_every_format()[detector]
    with pytest.raises(ValidationError, match="the NAME of an environment variable") as refused:
        Target(api_key_env=key)
    assert key not in str(refused.value.errors(include_input=False))
    assert Target(api_key_env="GATEWAY_API_KEY").api_key_env == "GATEWAY_API_KEY"
