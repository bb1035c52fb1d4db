"""What the secrets check calls a secret; every key-shaped string is made here at run time."""

from __future__ import annotations

import secrets
import string

import pytest

from gonogo.secret_patterns import fingerprint, scan


def token(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


@pytest.mark.parametrize(
    ("line", "detector"),
    [
        (lambda: f"OPENAI_API_KEY=sk-proj-{token(48)}", "OpenAI API key"),
        (lambda: f"key: sk-ant-api03-{token(40)}", "Anthropic API key"),
        (lambda: f"google = 'AIza{token(35)}'", "Google API key"),
        (
            lambda: f"aws_access_key_id = AKIA{token(16, string.ascii_uppercase)}",
            "AWS access key id",
        ),
        (lambda: f"HF_TOKEN=hf_{token(34)}", "Hugging Face token"),
        (lambda: f"REPLICATE_API_TOKEN=r8_{token(37)}", "Replicate API token"),
        (lambda: f"xai = 'xai-{token(80)}'", "xAI API key"),
        (lambda: f"PPLX: pplx-{token(48)}", "Perplexity API key"),
        (lambda: "-----BEGIN " + "OPENSSH PRIVATE KEY-----", "Private key block"),
        (lambda: f"token = ghp_{token(36)}", "GitHub Token"),
        (lambda: f'DB_PASSWORD = "{token(24)}"', "high-entropy value of DB_PASSWORD"),
    ],
)
def test_each_format_is_found_with_its_detector(line, detector) -> None:
    text = f"first line\n{line()}\n"
    hits = scan(text)
    assert [hit.detector for hit in hits] == [detector]
    assert text.count("\n", 0, hits[0].start) == 1  # on the second line
    assert hits[0].masked.endswith("***")
    assert len(hits[0].masked) <= 7


@pytest.mark.parametrize(
    "line",
    [
        "    key = Ed25519PrivateKey.generate()",
        "def raw_public(key: Ed25519PublicKey) -> bytes:",
        "        key = serialization.load_pem_private_key(data, password=None)",
        "master_key: os.environ/LITELLM_MASTER_KEY",
        "api_key_env: OPENAI_API_KEY",
        "password: ${REDIS_PASSWORD}",
        "GONOGO_SIGNOFF_KEY=/etc/gonogo/signoff-private.key",
        "PORTKEY := .portkey/node_modules/@portkey-ai/gateway/build/start-server.js",
        'key="${GONOGO_SIGNOFF_KEY:-/etc/gonogo/signoff.key}"',
        "TOKEN = 'xxxxxxxxxxxxxxxxxxxxxxxx'",
        "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "checksum = 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ],
)
def test_names_code_and_placeholders_are_not_secrets(line: str) -> None:
    assert scan(line + "\n") == []


def test_a_fingerprint_never_shows_the_secret() -> None:
    secret = f"sk-proj-{token(48)}"
    assert secret[3:] not in fingerprint(secret)
    assert fingerprint(secret) == fingerprint(secret)
    assert len(fingerprint(secret)) == 20
